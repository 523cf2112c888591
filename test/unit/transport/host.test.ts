import { describe, expect, it } from "vitest";
import { parseHost } from "../../../src/transport/host.js";

describe("host strings", () => {
  it("reads user, host name and port as SSHKit does", () => {
    expect(parseHost("1.2.3.4")).toEqual({ original: "1.2.3.4", hostname: "1.2.3.4" });
    expect(parseHost("app@web-1:2222")).toEqual({ original: "app@web-1:2222", hostname: "web-1", user: "app", port: 2222 });
    expect(parseHost("[2001:db8::1]:22")).toMatchObject({ hostname: "2001:db8::1", port: 22 });
    expect(parseHost("2001:db8::1")).toEqual({ original: "2001:db8::1", hostname: "2001:db8::1" });
  });

  it("refuses what ssh would read as an option or cannot be a host", () => {
    expect(() => parseHost("-oProxyCommand=touch /tmp/x")).toThrow(/Invalid host "-oProxyCommand/);
    expect(() => parseHost("web 1")).toThrow(/Invalid host/);
    expect(() => parseHost("web:99999")).toThrow(/not a port number/);
    expect(() => parseHost("app@")).toThrow(/no host name/);
  });
});
