// Test servers as Kamal 1.9 leaves them (Kamal 1 can't be installed here, so its layout is made by
// hand from its docs and code): a `traefik` container publishing port 80 with Kamal 1's labels,
// the app's containers on Docker's default bridge with Kamal 1's labels, health check and cord,
// env files under .kamal/env, the image tagged `latest`, accessories named <service>-<name>, and
// no `kamal` network.
//
// The Traefik here is a stand-in: a small Node reverse proxy in an image labelled as Traefik's is
// (the label Kamal 2's upgrade removes it by). Like Traefik's Docker provider it sends requests
// to the running containers with a router rule label whose health check passes, on their
// default-bridge address, retrying a refused connection on the next one (Kamal 1's retry
// middleware), and answers 502 when there is none (Kamal 1's catch-all).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalDocker, NODE_IMAGE, type Testbed, type TestHost } from "../../../testbed/index.js";
import { sh } from "./project.js";

const TRAEFIK_JS = `
const http = require("http");
let cache = { at: 0, list: [] };
function docker(path) {
  return new Promise((resolve, reject) => {
    http.get({ socketPath: "/var/run/docker.sock", path }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk) => (body += chunk)).on("end", () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
    }).on("error", reject);
  });
}
async function backends() {
  if (Date.now() - cache.at < 250) return cache.list;
  const containers = await docker("/containers/json");
  const list = containers
    .filter((c) => Object.keys(c.Labels || {}).some((key) => /^traefik\\.http\\.routers\\.[^.]+\\.rule$/.test(key)))
    .filter((c) => !("traefik.http.routers.catchall.rule" in c.Labels))
    .filter((c) => !c.Status.includes("(") || c.Status.includes("(healthy)"))
    .map((c) => c.NetworkSettings.Networks.bridge && c.NetworkSettings.Networks.bridge.IPAddress)
    .filter(Boolean);
  cache = { at: Date.now(), list };
  return list;
}
let next = 0;
const server = http.createServer(async (req, res) => {
  let list = [];
  try { list = await backends(); } catch (e) {}
  const attempt = (n) => {
    if (list.length === 0 || n >= 5) { res.writeHead(502); res.end("Bad Gateway\\n"); return; }
    const ip = list[next++ % list.length];
    const upstream = http.request({ host: ip, port: 80, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => { if (!res.headersSent) setTimeout(() => attempt(n + 1), 100); else res.destroy(); });
    upstream.end();
  };
  attempt(0);
});
server.listen(80);
process.on("SIGTERM", () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); });
`;

const TRAEFIK_DOCKERFILE = `FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title=Traefik
COPY traefik.js /traefik.js
ENTRYPOINT ["node", "/traefik.js"]
`;

/** Builds the stand-in Traefik image and pushes it to the bed's registry; returns its name there. */
export async function pushTraefikStandIn(bed: Testbed): Promise<string> {
  const socket = await ensureLocalDocker();
  const image = `${bed.registry}/berth-test/traefik:v2.11`;
  const dir = mkdtempSync(join(tmpdir(), "berth-traefik-"));
  try {
    writeFileSync(join(dir, "traefik.js"), TRAEFIK_JS);
    writeFileSync(join(dir, "Dockerfile"), TRAEFIK_DOCKERFILE);
    const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
    execFileSync("docker", ["build", "-q", "-t", image, dir], { env, stdio: "pipe" });
    execFileSync("docker", ["push", "--quiet", image], { env, stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return image;
}

/** `--label key="value"` as Kamal 1's argumentize writes it; a bare `--label key` for an empty value. */
function labels(entries: Readonly<Record<string, string>>): string {
  return Object.entries(entries)
    .map(([key, value]) => (value === "" ? `--label ${key}` : `--label ${key}="${value.replace(/[`"$\\]/g, "\\$&")}"`))
    .join(" ");
}

/** Kamal 1.9's `traefik boot` with its default labels and args. */
export async function bootTraefik(host: TestHost, image: string): Promise<void> {
  const catchAll = labels({
    "traefik.http.routers.catchall.entryPoints": "http",
    "traefik.http.routers.catchall.rule": "PathPrefix(`/`)",
    "traefik.http.routers.catchall.service": "unavailable",
    "traefik.http.routers.catchall.priority": "1",
    "traefik.http.services.unavailable.loadbalancer.server.port": "0",
  });
  await sh(host, `docker pull -q ${image} >/dev/null && docker run --name traefik --detach --restart unless-stopped --publish 80:80 --volume /var/run/docker.sock:/var/run/docker.sock --log-opt max-size="10m" ${catchAll} ${image} --providers.docker --log.level="DEBUG"`);
}

export interface Kamal1Role {
  readonly service: string;
  readonly role: string;
  readonly image: string;
  readonly version: string;
  /** Secrets in the role's env file (.kamal/env/roles/<service>-<role>.env). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly clear: Readonly<Record<string, string>>;
  /** The primary role runs Traefik: its labels, health check and cord. */
  readonly traefik: boolean;
  readonly cmd?: string;
}

/** Kamal 1.9's `app boot` of one role on a host (env file, cord, `docker run`, `latest` tag). */
export async function bootKamal1Role(host: TestHost, spec: Kamal1Role): Promise<void> {
  const prefix = `${spec.service}-${spec.role}`;
  const name = `${prefix}-${spec.version}`;
  const envFile = `.kamal/env/roles/${prefix}.env`;
  const secrets = Object.entries(spec.secrets).map(([key, value]) => `${key}=${value}\n`).join("");
  const cord = `.kamal/cords/${prefix}-${Math.random().toString(16).slice(2, 10)}`;
  const clear = Object.entries(spec.clear).map(([key, value]) => `--env ${key}="${value}"`).join(" ");
  const traefikArgs = spec.traefik
    ? [
        `--health-cmd "(wget -qO- http://localhost:80/up > /dev/null || exit 1) && (stat /tmp/kamal-cord/cord > /dev/null || exit 1)" --health-interval "1s"`,
        `--log-opt max-size="10m" --volume $(pwd)/${cord}:/tmp/kamal-cord`,
        labels({
          service: spec.service,
          role: spec.role,
          destination: "",
          [`traefik.http.services.${prefix}.loadbalancer.server.scheme`]: "http",
          [`traefik.http.routers.${prefix}.rule`]: "PathPrefix(`/`)",
          [`traefik.http.routers.${prefix}.priority`]: "2",
          [`traefik.http.middlewares.${prefix}-retry.retry.attempts`]: "5",
          [`traefik.http.middlewares.${prefix}-retry.retry.initialinterval`]: "500ms",
          [`traefik.http.routers.${prefix}.middlewares`]: `${prefix}-retry@docker`,
        }),
      ].join(" ")
    : `--log-opt max-size="10m" ${labels({ service: spec.service, role: spec.role, destination: "" })}`;
  const repository = spec.image.replace(/:[^:/]+$/, "");
  await sh(
    host,
    [
      "cd /root",
      "mkdir -p .kamal/env/roles",
      `printf %s '${secrets}' > ${envFile} && chmod 600 ${envFile}`,
      ...(spec.traefik ? [`mkdir -p ${cord} && touch ${cord}/cord`] : []),
      `docker pull -q ${spec.image} >/dev/null`,
      `docker run --detach --restart unless-stopped --name ${name} --hostname ${host.ip}-${Math.random().toString(16).slice(2, 14)} -e KAMAL_CONTAINER_NAME="${name}" -e KAMAL_VERSION="${spec.version}" --env-file ${envFile} ${clear} ${traefikArgs} ${spec.image}${spec.cmd === undefined ? "" : ` ${spec.cmd}`} >/dev/null`,
      `docker tag ${spec.image} ${repository}:latest`,
    ].join(" && "),
  );
}

/** Kamal 1.9's `accessory boot` (env file under .kamal/env/accessories, default bridge). */
export async function bootKamal1Accessory(host: TestHost, spec: { service: string; name: string; image: string; cmd: string; secrets: Readonly<Record<string, string>>; clear: Readonly<Record<string, string>> }): Promise<void> {
  const serviceName = `${spec.service}-${spec.name}`;
  const envFile = `.kamal/env/accessories/${serviceName}.env`;
  const secrets = Object.entries(spec.secrets).map(([key, value]) => `${key}=${value}\n`).join("");
  const clear = Object.entries(spec.clear).map(([key, value]) => `--env ${key}="${value}"`).join(" ");
  await sh(
    host,
    [
      "cd /root",
      "mkdir -p .kamal/env/accessories",
      `printf %s '${secrets}' > ${envFile} && chmod 600 ${envFile}`,
      `docker pull -q ${spec.image} >/dev/null`,
      `docker run --name ${serviceName} --detach --restart unless-stopped --log-opt max-size="10m" --env-file ${envFile} ${clear} ${labels({ service: serviceName })} ${spec.image} ${spec.cmd} >/dev/null`,
    ].join(" && "),
  );
}

/** Waits until the host's Traefik sends `path` to a healthy container. */
export async function waitForTraefik(host: TestHost, path: string, body: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const response = await fetch(`http://${host.ip}${path}`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200 && (await response.text()).trim() === body) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Traefik on ${host.ip} never served ${body} at ${path}`);
}
