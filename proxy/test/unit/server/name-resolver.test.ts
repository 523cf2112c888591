import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NameResolver, parseHosts } from "../../../src/server/name-resolver.js";
import { describeError } from "../../../src/server/health-check.js";
import { startDnsServer, type DnsServer } from "../../support/dns-server.js";

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer("127.0.0.1", new Map([["app-web-1", "10.0.0.7"]]), new Set(["app-web-gone"]), 0);
});
afterAll(() => dns.close());

const resolverFor = (options: ConstructorParameters<typeof NameResolver>[0] = {}): NameResolver =>
  new NameResolver({ servers: [`127.0.0.1:${dns.port}`], hostsFile: "/nonexistent/hosts", timeoutMs: 200, tries: 1, ...options });

const lookup = (resolver: NameResolver, name: string): Promise<{ error: NodeJS.ErrnoException | null; address: string }> =>
  new Promise((resolve) => resolver.lookup(name, (error, address) => resolve({ error, address })));

describe("name resolver", () => {
  it("answers IP literals at once, without a query", () => {
    let answer = "";
    resolverFor().lookup("10.1.2.3", (_error, address) => (answer = address));
    expect(answer).toBe("10.1.2.3");
  });

  it("reads /etc/hosts-style tables, preferring IPv4", () => {
    const table = parseHosts("127.0.0.1 localhost\n::1 localhost ip6-localhost # comment\n10.0.0.2 App-Web-2 alias\nbogus line\n");
    expect(table.get("localhost")).toBe("127.0.0.1");
    expect(table.get("ip6-localhost")).toBe("::1");
    expect(table.get("app-web-2")).toBe("10.0.0.2");
    expect(table.get("alias")).toBe("10.0.0.2");
  });

  it("shares one query among concurrent lookups of a name and reuses the answer until it expires or is forgotten", async () => {
    const resolver = resolverFor({ ttlMs: 300 });
    const before = dns.queries.length;
    const answers = await Promise.all([lookup(resolver, "app-web-1"), lookup(resolver, "APP-WEB-1"), lookup(resolver, "app-web-1")]);
    expect(answers.map((answer) => answer.address)).toEqual(["10.0.0.7", "10.0.0.7", "10.0.0.7"]);
    expect(dns.queries.length - before).toBe(1);
    let cached = "";
    resolver.lookup("app-web-1", (_error, address) => (cached = address)); // from the cache: synchronous
    expect(cached).toBe("10.0.0.7");
    resolver.forget("app-web-1");
    await lookup(resolver, "app-web-1");
    expect(dns.queries.length - before).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await lookup(resolver, "app-web-1");
    expect(dns.queries.length - before).toBe(3);
  });

  it("fails fast for unknown names and within its timeout for names the server never answers", async () => {
    const resolver = resolverFor();
    const unknown = await lookup(resolver, "nobody");
    expect(unknown.error?.code).toBe("ENOTFOUND");
    expect(describeError(unknown.error!)).toBe("no such host (nobody)");
    const started = Date.now();
    const gone = await lookup(resolver, "app-web-gone");
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(gone.error?.code).toBe("ETIMEOUT");
    expect(describeError(gone.error!)).toBe("name lookup timed out (app-web-gone)");
  });
});
