// In-process test harness: a real ProxyServer on loopback ephemeral ports, driven through the
// real CLI (`main`) over the real control socket, plus small upstream apps and clients.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { main } from "../../src/cli/main.js";
import { ProxyServer, type ServerConfig } from "../../src/server/server.js";

export interface TestProxy {
  server: ProxyServer;
  dir: string;
  socket: string;
  statePath: string;
  httpUrl: string;
  httpPort: number;
  httpsPort: number;
  logs: string[];
  /** Parsed access-log lines ("Request"). */
  requests(): Array<Record<string, unknown>>;
  /** Runs `kamal-proxy <argv>` against this proxy; resolves with exit code and output. */
  cli(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  stop(): Promise<void>;
}

export async function startProxy(overrides: Partial<ServerConfig> & { dir?: string } = {}): Promise<TestProxy> {
  const dir = overrides.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "berth-proxy-test-"));
  const socket = path.join(dir, "kamal-proxy.sock");
  const statePath = path.join(dir, "kamal-proxy.state");
  const logs: string[] = [];
  const server = new ProxyServer({
    httpPort: 0,
    httpsPort: 0,
    metricsPort: 0,
    bind: "127.0.0.1",
    debug: false,
    socketPath: socket,
    statePath,
    stateDir: path.join(dir, "certs"),
    certificates: null,
    logSink: (text) => logs.push(...text.split("\n").filter((line) => line !== "")),
    ...overrides,
  });
  await server.start();
  const ports = server.ports;
  const env = { ...process.env, KAMAL_PROXY_SOCKET: socket, HOME: dir };
  return {
    server,
    dir,
    socket,
    statePath,
    httpPort: ports.http,
    httpsPort: ports.https,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    logs,
    requests() {
      server.logger.flush();
      return logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === "Request");
    },
    async cli(...argv: string[]) {
      let out = "";
      let err = "";
      const code = await main(argv, { out: (text) => (out += text), err: (text) => (err += text), env, isTty: false });
      return { code, out, err };
    },
    stop: () => server.stop(),
  };
}

export interface TestApp {
  port: number;
  address: string;
  server: http.Server;
  close(): Promise<void>;
}

/** An upstream app; the default handler answers /up with 200 and everything else with `name`. */
export async function startApp(
  name: string,
  handler?: (request: http.IncomingMessage, response: http.ServerResponse) => void,
): Promise<TestApp> {
  const server = http.createServer((request, response) => {
    if (handler !== undefined) {
      handler(request, response);
      return;
    }
    if (request.url === "/up") {
      response.end("ok");
      return;
    }
    response.setHeader("Content-Type", "text/plain");
    response.end(name);
  });
  server.keepAliveTimeout = 60_000;
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy(); // includes upgraded ones
        server.close(() => resolve());
      }),
  };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const keepAliveAgent = (): http.Agent => new http.Agent({ keepAlive: true, maxSockets: 64 });

export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent | false } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Raw HTTP/1.1 exchange over one socket, for checks node:http would normalise away. */
export function rawRequest(port: number, text: string | Buffer, waitMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    }, waitMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}
