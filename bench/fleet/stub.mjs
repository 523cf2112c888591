// The fleet's stand-in for Docker and the proxy on every host (bench/fleet.mjs): one server in
// the benchmark's process, listening on each host's /run/docker.sock (the Docker Engine API, and
// POST /_cli for the `docker` stand-in, cli/docker) and on the proxy's control socket. It answers
// at once, from a fixed picture of a host that runs the app's current version behind the proxy,
// and records every request and command, per host.
//
// The picture: container `<service>-web-<version>` (running, from `<image>:<version>`, which is
// also `latest`), the `kamal-proxy` container (Berth's proxy image, its config volume at
// /run/kamal-proxy-config, where the control socket is). Commands change nothing: every deploy
// sees the same host.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const PROXY_CONFIG_DIRECTORY = "/home/kamal-proxy/.config/kamal-proxy";
/** Where the picture says the proxy's config volume is on the host (inside the host's /run). */
export const PROXY_VOLUME = "/run/kamal-proxy-config";

/**
 * @param {{ hosts: { index: number, runDir: string }[], service: string, image: string, version: string, proxyImage: string }} picture
 */
export async function startStub(picture) {
  const records = new Map(picture.hosts.map((host) => [host.index, []]));
  const servers = [];
  const model = hostModel(picture);
  for (const host of picture.hosts) {
    const log = records.get(host.index);
    const docker = http.createServer((request, response) => void serveDocker(request, response, model, log));
    const proxyDir = path.join(host.runDir, path.relative("/run", PROXY_VOLUME));
    fs.mkdirSync(proxyDir, { recursive: true });
    const proxy = http.createServer((request, response) => void serveProxy(request, response, log));
    for (const [server, socket] of [[docker, path.join(host.runDir, "docker.sock")], [proxy, path.join(proxyDir, "kamal-proxy.sock")]]) {
      fs.rmSync(socket, { force: true });
      server.keepAliveTimeout = 60_000;
      await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(socket, resolve);
      });
      servers.push(server);
    }
  }
  return {
    /** Requests and commands since the last reset, per host: `{ kind: "api" | "cli" | "proxy", text }`. */
    take() {
      const taken = new Map([...records].map(([index, list]) => [index, list.splice(0)]));
      return taken;
    },
    async close() {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}

async function body(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function send(response, status, value, headers = {}) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  response.writeHead(status, { "Content-Type": typeof value === "string" ? "text/plain" : "application/json", "Api-Version": "1.41", ...headers });
  response.end(text);
}

async function serveDocker(request, response, model, log) {
  const input = await body(request);
  const url = new URL(request.url ?? "/", "http://docker");
  if (url.pathname === "/_cli") {
    const argv = input.toString("utf8").split("\0").slice(0, -1);
    log.push({ kind: "cli", text: `docker ${argv.join(" ")}` });
    const { code, stdout = "", stderr = "" } = model.cli(argv);
    // The stand-in prints these: exit status, stdout and stderr in base64, one line each, then "end".
    send(response, 200, `${code}\n${Buffer.from(stdout).toString("base64")}\n${Buffer.from(stderr).toString("base64")}\nend\n`);
    return;
  }
  const pathname = url.pathname.replace(/^\/v1\.\d+/, "");
  log.push({ kind: "api", text: `${request.method} ${pathname}${url.search}` });
  const [status, answer] = model.api(request.method ?? "GET", pathname, url.searchParams, input);
  if (status === 204 || status === 304) {
    response.writeHead(status, { "Api-Version": "1.41" });
    response.end();
  } else send(response, status, answer);
}

async function serveProxy(request, response, log) {
  const input = await body(request);
  const command = (request.url ?? "/").slice(1);
  log.push({ kind: "proxy", text: `${command} ${input.toString("utf8")}` });
  send(response, 200, command === "version" ? { ok: true, version: "fleet-stub", protocol: 1 } : { ok: true });
}

/** What the pictured host answers, to API requests and CLI commands alike. */
function hostModel({ service, image, version, proxyImage }) {
  const appName = `${service}-web-${version}`;
  const appId = hex("a");
  const imageId = `sha256:${hex("b")}`;
  const proxyId = hex("c");
  const proxyImageId = `sha256:${hex("d")}`;
  const created = "2026-01-01T00:00:00.000000000Z";
  const labels = { service, role: "web", destination: "" };
  const app = {
    Id: appId,
    Name: `/${appName}`,
    Image: imageId,
    Created: created,
    State: { Status: "running", Running: true },
    Config: { Image: `${image}:${version}`, Labels: labels },
    Mounts: [],
  };
  const proxy = {
    Id: proxyId,
    Name: "/kamal-proxy",
    Image: proxyImageId,
    Created: created,
    State: { Status: "running", Running: true },
    Config: { Image: proxyImage, Labels: {} },
    Mounts: [{ Type: "volume", Name: "kamal-proxy-config", Source: PROXY_VOLUME, Destination: PROXY_CONFIG_DIRECTORY }],
  };
  const appImage = { Id: imageId, RepoTags: [`${image}:${version}`, `${image}:latest`], Config: { Labels: { service } }, Labels: { service } };
  const containers = new Map([[appId, app], [appName, app], [proxyId, proxy], ["kamal-proxy", proxy]]);
  const images = new Map([[imageId, appImage], [`${image}:${version}`, appImage], [`${image}:latest`, appImage], [proxyImage, { Id: proxyImageId, RepoTags: [proxyImage], Config: { Labels: {} } }]]);
  const summary = (container) => ({ Id: container.Id, Names: [container.Name], Image: container.Config.Image, ImageID: container.Image, Labels: container.Config.Labels, State: "running", Status: "Up 1 hour" });

  return {
    api(method, pathname, query, input) {
      if (pathname === "/_ping") return [200, "OK"];
      if (pathname === "/version") return [200, { Version: "20.10.24", ApiVersion: "1.41" }];
      if (method === "POST" && pathname === "/auth") return [200, { Status: "Login Succeeded" }];
      if (method === "GET" && pathname === "/containers/json") {
        const filters = query.get("filters") ?? "";
        return [200, filters.includes(`service=${service}`) ? [summary(app)] : [summary(app), summary(proxy)]];
      }
      if (method === "GET" && pathname === "/images/json") return [200, [{ ...appImage, Labels: { service } }]];
      let match = /^\/containers\/(.+)\/json$/.exec(pathname);
      if (match) return lookup(containers, decodeURIComponent(match[1]), "container");
      match = /^\/images\/(.+)\/json$/.exec(pathname);
      if (match) return lookup(images, decodeURIComponent(match[1]), "image");
      if (method === "POST" && pathname === "/containers/create") {
        JSON.parse(input.toString("utf8") || "{}"); // a body the CLI would send
        return [201, { Id: hex(), Warnings: [] }];
      }
      if (method === "POST" && /^\/containers\/.+\/(start|stop|restart|kill|rename|wait)$/.test(pathname)) return [204, ""];
      if (method === "DELETE" && pathname.startsWith("/containers/")) return [204, ""];
      if (method === "DELETE" && pathname.startsWith("/images/")) return [200, [{ Deleted: imageId }]];
      if (method === "POST" && /^\/images\/.+\/tag$/.test(pathname)) return [201, ""];
      if (method === "POST" && pathname === "/images/create") return [200, `{"status":"Status: Image is up to date for ${query.get("fromImage")}"}\n`];
      if (method === "POST" && pathname === "/networks/create") return [409, { message: "network with name kamal already exists" }];
      return [404, { message: `fleet stub: no answer for ${method} ${pathname}` }];
    },

    cli(argv) {
      const words = argv.filter((word) => word !== "--");
      const [command, sub] = words;
      const text = words.join(" ");
      const names = (list) => `${list.join("\n")}\n`;
      if (command === "login") return { code: 0, stdout: "Login Succeeded\n" };
      if (command === "pull" || (command === "image" && sub === "pull")) {
        const ref = words.at(-1);
        return { code: 0, stdout: `${version}: Pulling from ${ref}\nDigest: sha256:${hex("e")}\nStatus: Image is up to date for ${ref}\n${ref}\n` };
      }
      if (command === "network" && sub === "create") return { code: 1, stderr: "Error response from daemon: network with name kamal already exists\n" };
      if (command === "inspect" || (command === "container" && sub === "inspect") || (command === "image" && sub === "inspect")) return inspect(words);
      if (command === "ps" || (command === "container" && sub === "ls")) {
        const quiet = words.includes("-q") || words.includes("--quiet") || words.some((word) => /^-[a-z]*q[a-z]*$/.test(word));
        const forProxy = text.includes("name=kamal-proxy") || text.includes("name=^kamal-proxy$");
        const item = forProxy ? proxy : app;
        if (/status=(exited|created|dead)/.test(text) && !/status=running/.test(text)) return { code: 0, stdout: "" };
        if (text.includes("name=") && !text.includes(appName) && !forProxy) return { code: 0, stdout: "" };
        if (quiet) return { code: 0, stdout: names([item.Id.slice(0, 12)]) };
        const format = formatArgument(words);
        if (format?.includes(".Names")) return { code: 0, stdout: names([item.Name.slice(1)]) };
        if (format?.includes(".ID")) return { code: 0, stdout: names([item.Id.slice(0, 12)]) };
        return { code: 0, stdout: `CONTAINER ID   IMAGE   NAMES\n${item.Id.slice(0, 12)}   ${item.Config.Image}   ${item.Name.slice(1)}\n` };
      }
      if (command === "images" || (command === "image" && sub === "ls")) {
        const quiet = words.includes("-q") || words.includes("--quiet");
        const format = formatArgument(words);
        if (quiet) return { code: 0, stdout: names([imageId]) };
        if (format?.includes(".Repository")) return { code: 0, stdout: names([image]) };
        return { code: 0, stdout: names([`${image} ${version} ${imageId.slice(7, 19)}`]) };
      }
      if (command === "run" || (command === "container" && sub === "run")) return { code: 0, stdout: `${hex()}\n` };
      if (command === "start" || (command === "container" && sub === "start")) return { code: 0, stdout: `${words.at(-1)}\n` };
      if (command === "stop" || command === "rm" || command === "rmi" || (command === "container" && ["stop", "rm", "prune"].includes(sub)) || (command === "image" && ["rm", "prune"].includes(sub))) {
        return { code: 0, stdout: "" };
      }
      // rename, tag, exec (kamal-proxy deploy …), anything else: done.
      return { code: 0, stdout: "" };
    },
  };

  function inspect(words) {
    const format = formatArgument(words);
    const targets = words.slice(words[0] === "inspect" ? 1 : 2).filter((word, index, all) => !word.startsWith("-") && !["-f", "--format", "--type"].includes(all[index - 1]));
    const found = targets.map((target) => containers.get(target) ?? images.get(target)).filter((item) => item !== undefined);
    if (format === undefined) return { code: found.length === targets.length ? 0 : 1, stdout: `${JSON.stringify(found)}\n` };
    const lines = found.map((item) => render(format, item)).join("");
    return { code: found.length === targets.length ? 0 : 1, stdout: lines, ...(found.length === targets.length ? {} : { stderr: "Error: No such object\n" }) };
  }

  /** The few Go templates Kamal and Berth send, rendered well enough for their readers. */
  function render(format, item) {
    const isContainer = item.State !== undefined;
    if (format.includes("container|")) {
      if (isContainer) {
        const source = item.Mounts.find((mount) => mount.Destination === PROXY_CONFIG_DIRECTORY)?.Source ?? "";
        return `container|${item.Name}|${item.Image}|${item.State.Status}|${item.Created}|${item.Config.Image}|${item.Config.Labels.role ?? ""}|${item.Config.Labels.destination ?? ""}|${source}\n`;
      }
      return `image|${item.Id}|${item.Config.Labels.service ?? ""}|${item.RepoTags.map((tag) => `${tag} `).join("")}\n`;
    }
    if (format.includes("Labels.service") || format.includes('"service"')) return `${item.Config.Labels.service ?? ""}\n`;
    if (format.includes(".Config.Image")) return `${item.Config.Image ?? ""}\n`;
    if (format.includes(".State.Status")) return `${item.State?.Status ?? ""}\n`;
    if (format.includes(".State.Running")) return `${item.State?.Running ?? false}\n`;
    if (format.includes(".Id")) return `${item.Id}\n`;
    if (format.includes("Health")) return "\n";
    return "\n";
  }
}

function formatArgument(words) {
  for (let index = 0; index < words.length; index++) {
    const word = words[index];
    if (word === "--format" || word === "-f") return words[index + 1];
    if (word.startsWith("--format=")) return word.slice("--format=".length);
  }
  return undefined;
}

function lookup(map, key, kind) {
  const item = map.get(key) ?? map.get(key.replace(/^\//, ""));
  return item === undefined ? [404, { message: `No such ${kind}: ${key}` }] : [200, item];
}

function hex(prefix = "") {
  return `${prefix}${randomBytes(32).toString("hex")}`.slice(0, 64);
}
