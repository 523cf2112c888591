// Destinations and several apps side by side (issue #14, item 5), and custom TLS certificates in
// a real deploy: one service with two destinations (`-d staging`, `-d production`, each its own
// `proxy.host`) and a second service, all on the same two servers behind the one proxy. Each is
// set up, deployed, rolled back and removed on its own while request loops through the proxy
// check that the others keep answering with their own version. Secrets come from
// `.kamal/secrets-common` and `.kamal/secrets.<destination>` (the later wins; `.kamal/secrets` is
// not read with a destination), `require_destination` refuses a deploy without one, and
// production serves a certificate from its secrets (`proxy.ssl.certificate_pem`), checked with curl
// against the CA. Kamal 2.12 deploys production once in the middle, over Berth's layout.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { baseEnv, kamalAsync } from "../support/kamal/kamal.js";
import { REGISTRY_PASSWORD, SECRET, berth, createProject, sh, type Project } from "./support/project.js";
import { startServingLoop, unexpected, type Answer, type ServingLoop } from "./support/serving-loop.js";

const run = promisify(execFile);

const STAGING = "staging.app.test";
const PRODUCTION = "production.app.test";
const OTHER = "other.test";

// Each page says which container answers (service, role, destination, version) and its secret.
const START = `#!/bin/sh
mkdir -p /www
echo "$KAMAL_CONTAINER_NAME" > /www/who
echo "$SECRET_TOKEN" > /www/secret
echo ok > /www/up
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
`;

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let app: Project;
let other: Project;
let tls: { ca: string; certificate: string; key: string };
let caFile: string;

function baseConfig(service: string, extra: string): string {
  return `service: ${service}
image: berth-test/${service}
registry:
  server: ${bed.registry}
  username: e2e
  password:
    - REGISTRY_PASSWORD
servers:
  web:
    hosts:
      - ${h1.ip}
      - ${h2.ip}
env:
  secret:
    - SECRET_TOKEN
proxy:
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
    timeout: 2
builder:
  arch: amd64
ssh:
  config: ${bed.sshConfigPath}
deploy_timeout: 10
drain_timeout: 2
readiness_delay: 0
${extra}`;
}

async function makeCertificates(): Promise<{ ca: string; certificate: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), "berth-e2e-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", ["req", "-x509", ...ec, "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem"), "-days", "2", "-subj", "/CN=Berth E2E CA"]);
  await run("openssl", ["req", ...ec, "-keyout", join(dir, "server.key"), "-out", join(dir, "server.csr"), "-subj", `/CN=${PRODUCTION}`]);
  await run("sh", [
    "-c",
    `printf 'subjectAltName=DNS:${PRODUCTION}\\n' > ext.cnf && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf`,
  ], { cwd: dir });
  const read = (name: string): string => readFileSync(join(dir, name), "utf8").trim();
  caFile = join(dir, "ca.pem");
  return { ca: read("ca.pem"), certificate: read("server.pem"), key: read("server.key") };
}

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "destinations-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  tls = await makeCertificates();

  app = createProject({ bed, roles: { web: [h1, h2] } });
  app.release("app v1", {
    "start.sh": START,
    "config/deploy.yml": baseConfig("app", "require_destination: true\n"),
    "config/deploy.staging.yml": `proxy:\n  host: ${STAGING}\n`,
    "config/deploy.production.yml": `proxy:\n  host: ${PRODUCTION}\n  ssl:\n    certificate_pem: TLS_CERTIFICATE\n    private_key_pem: TLS_PRIVATE_KEY\n`,
    // With a destination, .kamal/secrets is not read: its SECRET_TOKEN must never be served.
    ".kamal/secrets": "SECRET_TOKEN=from-plain-secrets\n",
    ".kamal/secrets-common": `REGISTRY_PASSWORD=${REGISTRY_PASSWORD}\nSECRET_TOKEN=common-token\n`,
    ".kamal/secrets.staging": "SECRET_TOKEN=staging-token\n",
    ".kamal/secrets.production": `TLS_CERTIFICATE="${tls.certificate}"\nTLS_PRIVATE_KEY="${tls.key}"\n`,
    ".gitignore": ".kamal/secrets*\n",
  });

  other = createProject({ bed, roles: { web: [h1, h2] } });
  other.release("other v1", {
    "start.sh": START,
    "config/deploy.yml": baseConfig("other", "").replace("proxy:\n", `proxy:\n  host: ${OTHER}\n`),
  });
});

afterAll(async () => {
  await bed?.stop();
});

/** What answers `path` for a proxy host, on each server: HTTP, or HTTPS checked by curl against the CA. */
async function page(server: TestHost, host: string, path: string): Promise<string> {
  if (host === PRODUCTION) {
    const { stdout } = await run("curl", ["-sS", "--fail", "--max-time", "5", "--cacert", caFile, "--resolve", `${PRODUCTION}:443:${server.ip}`, `https://${PRODUCTION}${path}`]);
    return stdout.trim();
  }
  // Not fetch: it won't send a Host header of our own.
  const { status, body } = await plainGet(server, host, path);
  return `${status === 200 ? "" : `${status} `}${body}`;
}

function plainGet(server: TestHost, host: string, path: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: server.ip, port: 80, path, headers: { Host: host }, agent: false, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").trim(), ...(response.headers.location === undefined ? {} : { location: response.headers.location }) }),
      );
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error("no answer in 5 s")));
    request.on("error", reject);
  });
}

async function expectServed(host: string, who: string, secret?: string): Promise<void> {
  for (const server of [h1, h2]) {
    expect(await page(server, host, "/who"), `${host} on ${server.ip}`).toBe(who);
    if (secret !== undefined) expect(await page(server, host, "/secret")).toBe(secret);
  }
}

interface Watch {
  readonly host: string;
  readonly bodies: readonly string[];
}

/** Request loops through both servers' proxies, one per proxy host, while `work` runs; each may answer only with `bodies`. */
async function whileServing(watches: readonly Watch[], work: () => Promise<void>): Promise<void> {
  const loops: ServingLoop[] = watches.map((watch) =>
    startServingLoop({
      servers: [h1.ip, h2.ip],
      path: "/who",
      maxRequests: 5000,
      maxDurationMs: 120_000,
      pauseMs: 30,
      headers: { Host: watch.host },
      ...(watch.host === PRODUCTION ? { tls: { ca: tls.ca, servername: PRODUCTION } } : {}),
    }),
  );
  let results: Answer[][] = [];
  try {
    await work();
  } finally {
    results = await Promise.all(loops.map((loop) => loop.stop()));
  }
  watches.forEach((watch, index) => {
    const answers = results[index]!;
    const failed = answers.filter((answer) => answer.status !== 200 || answer.failedOver.length > 0).length;
    console.log(`${watch.host}: ${answers.length} requests, ${failed} failed or refused`);
    expect(answers.length, watch.host).toBeGreaterThan(5);
    expect(unexpected(answers, watch.bodies), watch.host).toEqual([]);
    expect(answers.filter((answer) => answer.failedOver.length > 0), watch.host).toEqual([]);
  });
}

function ok(result: { code: number; output: string }, what: string): void {
  expect(result.code, `${what}:\n${result.output}`).toBe(0);
}

describe("two destinations and a second service on the same servers", () => {
  let v1: string;
  let v2: string;
  let o1: string;
  const staging = (version: string): string => `app-web-staging-${version}`;
  const production = (version: string): string => `app-web-production-${version}`;
  const otherWeb = (version: string): string => `other-web-${version}`;

  it("refuses to deploy without a destination when require_destination is set, as Kamal does", async () => {
    const result = await berth(app, ["deploy"]);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr, result.output).toContain("You must specify a destination");
    const kamal = await kamalAsync(["deploy"], { cwd: app.dir, env: baseEnv() });
    expect(kamal.status).toBe(1);
    // Kamal prints its errors on standard output.
    expect(kamal.stdout + kamal.stderr).toContain("You must specify a destination");
    for (const host of [h1, h2]) expect(await sh(host, "docker ps -aq")).toBe("");
  });

  it("sets up staging, then production beside it (with its own certificate), then the other service", async () => {
    v1 = app.head();
    ok(await berth(app, ["setup", "-d", "staging"]), "setup staging");
    await expectServed(STAGING, staging(v1), "staging-token");
    for (const host of [h1, h2]) {
      expect(await sh(host, "stat -c %a /root/.kamal/apps/app-staging/env/roles/web.env")).toBe("600");
    }

    await whileServing([{ host: STAGING, bodies: [staging(v1)] }], async () => ok(await berth(app, ["setup", "-d", "production"]), "setup production"));
    await expectServed(PRODUCTION, production(v1), "common-token");
    // Plain HTTP is sent to HTTPS; the certificate is the one from the secrets, on the host 0600.
    const redirect = await plainGet(h1, PRODUCTION, "/who");
    expect([redirect.status, redirect.location]).toEqual([301, `https://${PRODUCTION}/who`]);
    for (const host of [h1, h2]) {
      expect(await sh(host, "stat -c %a /root/.kamal/proxy/apps-config/app-production/tls/web/key.pem")).toBe("600");
    }

    o1 = other.head();
    await whileServing(
      [
        { host: STAGING, bodies: [staging(v1)] },
        { host: PRODUCTION, bodies: [production(v1)] },
      ],
      async () => ok(await berth(other, ["setup"]), "setup other"),
    );
    await expectServed(OTHER, otherWeb(o1), SECRET);
    await expectServed(STAGING, staging(v1));
    for (const host of [h1, h2]) expect(await sh(host, "docker ps --filter name=kamal-proxy -q | wc -l")).toBe("1");
  });

  it("deploys and rolls back staging alone: production and the other service keep answering with their version", async () => {
    v2 = app.release("app v2");
    const others = [
      { host: PRODUCTION, bodies: [production(v1)] },
      { host: OTHER, bodies: [otherWeb(o1)] },
    ];
    await whileServing([...others, { host: STAGING, bodies: [staging(v1), staging(v2)] }], async () => ok(await berth(app, ["deploy", "-d", "staging"]), "deploy staging"));
    await expectServed(STAGING, staging(v2), "staging-token");
    await expectServed(PRODUCTION, production(v1));

    await whileServing([...others, { host: STAGING, bodies: [staging(v1), staging(v2)] }], async () => ok(await berth(app, ["rollback", "-d", "staging", v1]), "rollback staging"));
    await expectServed(STAGING, staging(v1));
  });

  it("Kamal deploys production over Berth's layout, with the certificate from the secrets; the others keep answering", async () => {
    await whileServing(
      [
        { host: STAGING, bodies: [staging(v1)] },
        { host: OTHER, bodies: [otherWeb(o1)] },
        { host: PRODUCTION, bodies: [production(v1), production(v2)] },
      ],
      async () => {
        const result = await kamalAsync(["deploy", "-d", "production"], { cwd: app.dir, env: baseEnv({ DOCKER_CONFIG: app.dockerConfig }), timeoutMs: 180_000 });
        expect(result.status, result.stdout + result.stderr).toBe(0);
      },
    );
    await expectServed(PRODUCTION, production(v2), "common-token");
    ok(await berth(app, ["rollback", "-d", "production", v1]), "berth rollback production");
    await expectServed(PRODUCTION, production(v1));
  });

  it("removes staging, then the other service, each leaving the rest serving; the last removal takes the proxy", async () => {
    await whileServing(
      [
        { host: PRODUCTION, bodies: [production(v1)] },
        { host: OTHER, bodies: [otherWeb(o1)] },
      ],
      async () => ok(await berth(app, ["remove", "-d", "staging", "-y"]), "remove staging"),
    );
    for (const host of [h1, h2]) {
      expect(await sh(host, "docker ps -a --filter label=destination=staging -q")).toBe("");
      expect((await host.exec("test -e /root/.kamal/apps/app-staging")).code).not.toBe(0);
      expect(await page(host, STAGING, "/who")).toMatch(/^404 /);
    }

    await whileServing([{ host: PRODUCTION, bodies: [production(v1)] }], async () => ok(await berth(other, ["remove", "-y"]), "remove other"));
    for (const host of [h1, h2]) expect(await sh(host, "docker ps -a --filter label=service=other -q")).toBe("");
    await expectServed(PRODUCTION, production(v1));

    ok(await berth(app, ["remove", "-d", "production", "-y"]), "remove production");
    for (const host of [h1, h2]) {
      expect(await sh(host, "docker ps -aq")).toBe("");
      expect((await host.exec("test -e /root/.kamal/apps/app-production")).code).not.toBe(0);
    }
  });
});
