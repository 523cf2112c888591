// A stand-in Docker daemon for unit tests: the Engine API on a unix socket, answering from the
// same `container|…` / `image|…` lines the state read's `docker inspect` prints (see
// deploy.test.ts), and recording every request as text: `POST /containers/x/stop?t=10`.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The ID every created container gets. */
export const CREATED_ID = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

interface Container {
  Id: string;
  Name: string;
  Image: string;
  State: { Status: string };
  Created: string;
  Config: { Image: string; Labels: Record<string, string> };
  Mounts: { Source: string; Destination: string }[];
}

interface Image {
  Id: string;
  Labels: Record<string, string>;
  RepoTags: string[];
}

export class FakeDockerDaemon {
  readonly requests: string[] = [];
  /** Bodies of the containers created (POST /containers/create), parsed. */
  readonly created: Array<Record<string, unknown>> = [];
  /** Answers for requests whose `METHOD path` matches, before the usual ones: [pattern, status, message]. */
  readonly refusals: Array<[RegExp, number, string]> = [];
  /** The X-Registry-Auth headers received, decoded. */
  readonly registryAuths: unknown[] = [];
  /** How pulls and pushes go: "ok" (the image is pulled, labelled service=app), a stream "error", or "stall" (no answer ever). */
  transfers: "ok" | "error" | "stall" = "ok";
  private readonly containers: Container[] = [];
  private readonly images: Image[] = [];

  private constructor(
    readonly socket: string,
    private readonly server: http.Server,
    private readonly directory: string,
  ) {}

  /** A daemon holding what `lines` describe, listening on a socket in a fresh directory. */
  static async start(lines: string): Promise<FakeDockerDaemon> {
    const directory = mkdtempSync(join(tmpdir(), "berth-fake-docker-"));
    const socket = join(directory, "docker.sock");
    const server = http.createServer((request, response) => daemon.answer(request, response));
    const daemon = new FakeDockerDaemon(socket, server, directory);
    daemon.load(lines);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return daemon;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    rmSync(this.directory, { recursive: true, force: true });
  }

  private load(lines: string): void {
    for (const line of lines.split("\n")) {
      const [kind, ...fields] = line.trim().split("|");
      if (kind === "container") {
        const [name = "", image = "", status = "", created = "", configImage = "", role = "", destination = "", proxyConfig = ""] = fields;
        this.containers.push({
          Id: name.replace(/^\//, ""),
          Name: name,
          Image: image,
          State: { Status: status },
          Created: created,
          Config: { Image: configImage, Labels: { ...(name === "/kamal-proxy" ? {} : { service: "app" }), ...(role ? { role } : {}), ...(destination ? { destination } : {}) } },
          Mounts: proxyConfig ? [{ Source: proxyConfig, Destination: "/home/kamal-proxy/.config/kamal-proxy" }] : [],
        });
      } else if (kind === "image") {
        const [id = "", service = "", tags = ""] = fields;
        this.images.push({ Id: id, Labels: service ? { service } : {}, RepoTags: tags.split(" ").filter(Boolean) });
      }
    }
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://docker");
    this.requests.push(`${request.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown = ""): void => {
      response.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain" : "application/json" });
      response.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    const path = decodeURIComponent(url.pathname);
    const refusal = this.refusals.find(([pattern]) => pattern.test(`${request.method} ${path}`));
    if (refusal !== undefined) return send(refusal[1], { message: refusal[2] });
    const label = (): string | undefined => (JSON.parse(url.searchParams.get("filters") ?? "{}") as { label?: string[] }).label?.[0];
    if (request.method === "POST" && path === "/containers/create") {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const created = JSON.parse(body) as Record<string, unknown>;
        this.created.push(created);
        // Inspectable by name from now on, running (the start that follows succeeds).
        const name = url.searchParams.get("name") ?? CREATED_ID;
        const labels = (created.Labels ?? {}) as Record<string, string>;
        this.containers.push({ Id: name, Name: `/${name}`, Image: String(created.Image), State: { Status: "running" }, Created: "", Config: { Image: String(created.Image), Labels: labels }, Mounts: [] });
        send(201, { Id: CREATED_ID, Warnings: [] });
      });
      return;
    }
    const auth = request.headers["x-registry-auth"];
    if (typeof auth === "string") this.registryAuths.push(JSON.parse(Buffer.from(auth, "base64url").toString("utf8")));
    if (request.method === "POST" && (path === "/images/create" || /^\/images\/.+\/push$/.test(path))) return this.transfer(url, path, response);
    if (request.method !== "GET") return send(request.method === "POST" && path.endsWith("/tag") ? 201 : 204);
    if (path === "/_ping") return send(200, "OK");
    if (path === "/containers/json") {
      const [key, value] = (label() ?? "").split("=");
      return send(200, this.containers.filter((container) => container.Config.Labels[key!] === value).map((container) => ({ Id: container.Id })));
    }
    if (path === "/images/json") {
      const [key, value] = (label() ?? "").split("=");
      return send(200, this.images.filter((image) => image.Labels[key!] === value));
    }
    const container = /^\/containers\/(.+)\/json$/.exec(path)?.[1];
    if (container !== undefined) {
      const found = this.containers.find((item) => item.Id === container);
      return found ? send(200, found) : send(404, { message: `No such container: ${container}` });
    }
    const image = /^\/images\/(.+)\/json$/.exec(path)?.[1];
    if (image !== undefined) {
      const found = this.images.find((item) => item.Id === image || item.RepoTags.includes(image));
      return found ? send(200, { Id: found.Id, Config: { Labels: found.Labels }, RepoTags: found.RepoTags }) : send(404, { message: `No such image: ${image}` });
    }
    send(404, { message: "page not found" });
  }

  /** A pull or a push: Docker's JSON progress stream. */
  private transfer(url: URL, path: string, response: http.ServerResponse): void {
    response.writeHead(200, { "Content-Type": "application/json" });
    response.write(`${JSON.stringify({ status: "Preparing", id: "1" })}\n`);
    if (this.transfers === "stall") return; // nothing more, ever
    if (this.transfers === "error") return void response.end(`${JSON.stringify({ errorDetail: { message: "connection refused" }, error: "connection refused" })}\n`);
    if (path === "/images/create") {
      const reference = `${url.searchParams.get("fromImage")}:${url.searchParams.get("tag")}`;
      this.images.push({ Id: `sha256:pulled-${this.images.length}`, Labels: { service: "app" }, RepoTags: [reference] });
    }
    response.end(`${JSON.stringify({ status: "Done" })}\n`);
  }
}
