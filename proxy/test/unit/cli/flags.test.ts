import { describe, expect, it } from "vitest";
import { DEPLOY_FLAGS, RUN_FLAGS } from "../../../src/cli/command-flags.js";
import { buildDeployArgs } from "../../../src/cli/deploy-args.js";
import { main } from "../../../src/cli/main.js";
import { parseFlags, splitSlice } from "../../../src/cli/flags.js";

/** What the remote shell hands to the program: double-quoted words unquoted (Kamal quotes every value). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/(?:[^\s"]+|"(?:\\.|[^"\\])*")+/g)].map((match) => match[0].replace(/"((?:\\.|[^"\\])*)"/g, (_m, inner: string) => inner.replace(/\\(.)/g, "$1")));
}

const env = { HOME: "/home/kamal-proxy" };

function deployArgs(line: string): ReturnType<typeof buildDeployArgs> {
  const words = shellWords(line);
  expect(words.slice(0, 4)).toEqual(["docker", "exec", "kamal-proxy", "kamal-proxy"]);
  expect(words[4]).toBe("deploy");
  return buildDeployArgs(parseFlags(words.slice(5), DEPLOY_FLAGS, {}), env);
}

describe("Kamal's kamal-proxy command lines", () => {
  it("parses the deploy Kamal 2 sends with its defaults (buffering on, logged headers, TLS)", () => {
    const args = deployArgs(
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="3f1c9a2b7d4e:80" --host="app.example.com" --tls --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent" --error-pages=/home/kamal-proxy/.apps-config/app/error_pages/abc123',
    );
    expect(args).toMatchObject({
      service: "app-web",
      targets: ["3f1c9a2b7d4e:80"],
      deployTimeoutMs: 30_000,
      drainTimeoutMs: 30_000,
      force: false,
      serviceOptions: {
        hosts: ["app.example.com"],
        pathPrefixes: ["/"],
        tlsEnabled: true,
        tlsRedirect: true,
        stripPrefix: true,
        errorPagePath: "/home/kamal-proxy/.apps-config/app/error_pages/abc123",
        acmeCachePath: "/home/kamal-proxy/.config/kamal-proxy/certs",
        acmeDirectory: "https://acme-v02.api.letsencrypt.org/directory",
      },
      targetOptions: {
        bufferRequests: true,
        bufferResponses: true,
        maxMemoryBufferSize: 1 << 20,
        logRequestHeaders: ["Cache-Control", "Last-Modified", "User-Agent"],
        forwardHeaders: false, // kamal-proxy: default is !tls
        responseTimeoutMs: 30_000,
        healthCheck: { path: "/up", intervalMs: 1_000, timeoutMs: 5_000, port: 0, host: "" },
      },
    });
  });

  it("parses every optional flag Kamal may add", () => {
    const args = deployArgs(
      'docker exec kamal-proxy kamal-proxy deploy app-web-staging --target="abc:3000" --host="a.example.com" --host="b.example.com" --tls-certificate-path="/home/kamal-proxy/.apps-config/app/tls/web/cert.pem" --tls-private-key-path="/home/kamal-proxy/.apps-config/app/tls/web/key.pem" --deploy-timeout="1m30s" --drain-timeout="5s" --health-check-interval="500ms" --health-check-timeout="2s" --health-check-path="/health" --target-timeout="45s" --buffer-requests --buffer-responses --buffer-memory="2000000" --max-request-body="10000000" --max-response-body="0" --path-prefix="/api" --path-prefix="/v2" --strip-path-prefix=false --forward-headers --tls-redirect=false --log-response-header="X-Runtime"',
    );
    expect(args.serviceOptions).toMatchObject({
      hosts: ["a.example.com", "b.example.com"],
      pathPrefixes: ["/api", "/v2"],
      stripPrefix: false,
      tlsRedirect: false,
      tlsCertificatePath: "/home/kamal-proxy/.apps-config/app/tls/web/cert.pem",
      tlsPrivateKeyPath: "/home/kamal-proxy/.apps-config/app/tls/web/key.pem",
    });
    expect(args.deployTimeoutMs).toBe(90_000);
    expect(args.targetOptions).toMatchObject({
      healthCheck: { path: "/health", intervalMs: 500, timeoutMs: 2_000 },
      responseTimeoutMs: 45_000,
      maxMemoryBufferSize: 2_000_000,
      maxRequestBodySize: 10_000_000,
      maxResponseBodySize: 0,
      forwardHeaders: true,
      logResponseHeaders: ["X-Runtime"],
    });
  });

  it("accepts comma lists, --flag value and --flag=value alike", () => {
    const flags = parseFlags(["svc", "--target", "a:1,b:2", "--target=c:3", "--host", "x.com,y.com", "--force"], DEPLOY_FLAGS);
    const args = buildDeployArgs(flags, env);
    expect(args.targets).toEqual(["a:1", "b:2", "c:3"]);
    expect(args.serviceOptions.hosts).toEqual(["x.com", "y.com"]);
    expect(args.force).toBe(true);
    expect(args.targetOptions.forwardHeaders).toBe(true);
  });

  it("applies kamal-proxy's preRun checks", () => {
    const check = (argv: string[]): string => {
      try {
        buildDeployArgs(parseFlags(["svc", ...argv], DEPLOY_FLAGS), env);
        return "ok";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(check([])).toBe('required flag(s) "target" not set');
    expect(check(["--target=a:1", "--max-request-body=10"])).toBe("max-request-body can only be set when request buffering is enabled");
    expect(check(["--target=a:1", "--max-response-body=10"])).toBe("max-response-body can only be set when response buffering is enabled");
    expect(check(["--target=a:1", "--tls"])).toBe("host must be set when using TLS");
    expect(check(["--target=a:1", "--tls", "--host=a.com", "--path-prefix=/api"])).toBe("TLS settings must be specified on the root path service");
    expect(check(["--target=a:1", "--tls-certificate-path=/c.pem"])).toContain("[tls-certificate-path tls-private-key-path]");
    expect(check(["--target=a:1", "--deploy-timeout=soon"])).toBe('invalid argument "soon" for "--deploy-timeout" flag: time: invalid duration "soon"');
    expect(check(["--target=a:1", "--tls-redirect=maybe"])).toContain('invalid argument "maybe" for "--tls-redirect" flag');
    expect(check(["--target=a:1", "--nope"])).toBe("unknown flag: --nope");
    expect(check(["--target=a:1", "--tls-on-demand-url=http://x"])).toContain("--tls-on-demand-url is not supported");
    expect(check(["--target=a:1", "--tls-staging"])).toBe("ok");
  });

  it("reads run's ports from flags, then KAMAL_PROXY_-prefixed and plain env variables", () => {
    expect(parseFlags([], RUN_FLAGS, {}).values).toMatchObject({ "http-port": 80, "https-port": 443, "metrics-port": 0, debug: false });
    expect(parseFlags([], RUN_FLAGS, { HTTP_PORT: "8080", KAMAL_PROXY_HTTPS_PORT: "8443", DEBUG: "true" }).values).toMatchObject({
      "http-port": 8080,
      "https-port": 8443,
      debug: true,
    });
    expect(parseFlags(["--http-port=81"], RUN_FLAGS, { HTTP_PORT: "8080" }).values["http-port"]).toBe(81);
  });

  it("splits slices like pflag's CSV reader", () => {
    expect(splitSlice("a,b")).toEqual(["a", "b"]);
    expect(splitSlice('"a,b",c')).toEqual(["a,b", "c"]);
    expect(splitSlice("")).toEqual([]);
  });
});

describe("cli main", () => {
  const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = "";
    let err = "";
    const env = { KAMAL_PROXY_SOCKET: "/nonexistent/berth.sock", KAMAL_PROXY_SOCKET_WAIT: "300ms" };
    const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env, isTty: false });
    return { code, out, err };
  };

  it("exits non-zero with a clear message when no proxy is running, after waiting KAMAL_PROXY_SOCKET_WAIT for one", async () => {
    const started = Date.now();
    const result = await run("deploy", "app", "--target=a:80");
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(result.code).toBe(1);
    expect(result.err).toContain("Error: no kamal-proxy is running (nothing listening on /nonexistent/berth.sock)");
  });

  it("rejects unknown commands and wrong argument counts", async () => {
    expect((await run("frobnicate")).err).toContain('unknown command "frobnicate" for "kamal-proxy"');
    const missing = await run("remove");
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("accepts 1 arg(s), received 0");
    expect((await run("rollout", "set", "app")).err).toContain("at least one of the flags in the group [percent list] is required");
  });

  it("prints the client version even without a server", async () => {
    const result = await run("version");
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Client: \d+\.\d+\.\d+\nServer: not running\n$/);
  });

  it("shows help for a command", async () => {
    const result = await run("deploy", "--help");
    expect(result.code).toBe(0);
    expect(result.out).toContain("--deploy-timeout duration");
    expect(result.out).toContain("--health-check-path string");
  });
});
