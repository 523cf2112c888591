// Where ssh records a host's key, from `ssh -G`'s view of it.
import { describe, expect, it } from "vitest";
import { knownHostsFiles, knownHostsName, parseSshConfigDump } from "../../../src/transport/known-hosts.js";

describe("known hosts lookup", () => {
  const dump = parseSshConfigDump("hostname 10.0.0.5\nport 22\nuser root\nuserknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2\nglobalknownhostsfile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2\nstricthostkeychecking accept-new\n");

  it("names the host as known_hosts records it", () => {
    expect(knownHostsName(dump, "web1")).toBe("10.0.0.5");
    expect(knownHostsName(parseSshConfigDump("hostname web.example.com\nport 2222\n"), "web")).toBe("[web.example.com]:2222");
    expect(knownHostsName(parseSshConfigDump("hostname 10.0.0.5\nhostkeyalias web-prod\n"), "web")).toBe("web-prod");
  });

  it("lists the user's then the global files, ~ expanded, without /dev/null", () => {
    expect(knownHostsFiles(dump, "/home/me")).toEqual(["/home/me/.ssh/known_hosts", "/home/me/.ssh/known_hosts2", "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]);
    expect(knownHostsFiles(parseSshConfigDump("userknownhostsfile /tmp/bed/known_hosts\nglobalknownhostsfile /dev/null\n"), "/home/me")).toEqual(["/tmp/bed/known_hosts"]);
  });
});
