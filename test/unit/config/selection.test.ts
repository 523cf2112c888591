// Host and role selection for -h/--hosts, -r/--roles and -p/--primary.
import { describe, expect, it } from "vitest";
import { fnmatch } from "../../../src/config/index.js";
import { BerthError } from "../../../src/util/errors.js";
import { fixture, fromText } from "./helpers.js";

describe("fnmatch (File.fnmatch with FNM_EXTGLOB)", () => {
  it("matches *, ?, classes and braces", () => {
    expect(fnmatch("web*", "web-1")).toBe(true);
    expect(fnmatch("web*", "api")).toBe(false);
    expect(fnmatch("1.1.1.?", "1.1.1.4")).toBe(true);
    expect(fnmatch("1.1.1.[12]", "1.1.1.3")).toBe(false);
    expect(fnmatch("1.1.1.[!12]", "1.1.1.3")).toBe(true);
    expect(fnmatch("{web,api}", "api")).toBe(true);
    expect(fnmatch("*.example.com", "a.b.example.com")).toBe(true);
    expect(fnmatch("web.1", "webx1")).toBe(false);
    expect(fnmatch("*", ".hidden")).toBe(false);
  });
});

describe("select / hostsFor", () => {
  const config = fixture("roles");

  it("defaults to every host and role, primary role first", () => {
    const selection = config.select();
    expect(selection.hosts).toEqual(["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]);
    expect(selection.roles.map((role) => role.name)).toEqual(["web", "workers"]);
    expect(selection.primaryHost).toBe("1.1.1.1");
    expect(selection.primaryRole?.name).toBe("web");
  });

  it("filters by role patterns and host patterns", () => {
    expect(config.hostsFor({ roles: ["work*"] })).toEqual(["1.1.1.3", "1.1.1.4"]);
    // The first host given is the primary one; hosts sharing its role come first.
    expect(config.hostsFor({ hosts: "1.1.1.4,1.1.1.1" })).toEqual(["1.1.1.4", "1.1.1.1"]);
    expect(config.hostsFor({ hosts: "1.1.1.*" })).toEqual(["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]);
    expect(config.hostsFor({ hosts: ["1.1.1.[34]"], roles: ["web"] })).toEqual([]);
    const both = config.select({ hosts: ["1.1.1.3"] });
    expect(both.roles.map((role) => role.name)).toEqual(["workers"]);
    expect(both.primaryHost).toBe("1.1.1.3");
    expect(both.primaryRole?.name).toBe("workers");
  });

  it("selects only the primary host with -p, or the primary host of the first selected role", () => {
    expect(config.hostsFor({ primaryOnly: true })).toEqual(["1.1.1.1"]);
    expect(config.hostsFor({ primaryOnly: true, roles: "workers" })).toEqual(["1.1.1.3"]);
  });

  it("puts primary-role hosts and the primary role first", () => {
    const workersPrimary = fromText(
      "service: app\nimage: a/b\nprimary_role: workers\nservers:\n  web:\n    - 1.1.1.1\n  workers:\n    - 1.1.1.2\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n",
    );
    const selection = workersPrimary.select();
    expect(selection.roles.map((role) => role.name)).toEqual(["workers", "web"]);
    expect(selection.hosts).toEqual(["1.1.1.2", "1.1.1.1"]);
    expect(selection.appHosts).toEqual(["1.1.1.2", "1.1.1.1"]);
    expect(workersPrimary.roles.map((role) => role.name)).toEqual(["web", "workers"]);
  });

  it("errors when nothing matches, naming the filter", () => {
    expect(() => config.hostsFor({ roles: ["db*"] })).toThrow(BerthError);
    expect(() => config.hostsFor({ roles: ["db*"] })).toThrow("No --roles match for db*");
    expect(() => config.hostsFor({ hosts: ["9.9.9.9", "8.*"] })).toThrow("No --hosts match for 9.9.9.9,8.*");
  });

  it("includes accessory hosts in host selection", () => {
    const accessories = fixture("accessories");
    expect(accessories.hostsFor({ hosts: "1.1.1.5" })).toEqual(["1.1.1.5"]);
    expect(accessories.select({ hosts: "1.1.1.[56]" }).accessoryHosts).toEqual(["1.1.1.5", "1.1.1.6"]);
    expect(accessories.select({ roles: "web" }).proxyHosts).toEqual(["1.1.1.1", "1.1.1.2"]);
  });
});
