// The running proxy: HTTP and HTTPS listeners, the optional metrics endpoint, the control
// socket, state restore at start and a graceful shutdown.
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { ControlServer } from "../control/server.js";
import { JsonLogger, stdoutSink, type LogSink } from "../http/access-log.js";
import { ClientConnection, DEFAULT_TIMEOUTS, type ConnectionTimeouts } from "../http/client-connection.js";
import type { ProxyContext } from "../http/context.js";
import { createH2Server, serveH2 } from "../http/h2.js";
import { Metrics } from "../http/metrics.js";
import { NameResolver } from "./name-resolver.js";
import { takeSnapshot } from "./replication.js";
import { Router } from "./router.js";
import type { CertificateStoreLike } from "./tls-contract.js";
import { WorkerPool } from "./workers.js";

export interface ServerConfig {
  httpPort: number;
  httpsPort: number;
  /** 0 = no metrics endpoint. */
  metricsPort: number;
  /** Address to bind; undefined = all interfaces (kamal-proxy has no flag for it). */
  bind?: string;
  debug: boolean;
  socketPath: string;
  /** null = keep no state (tests). */
  statePath: string | null;
  /** Default ACME cache (kamal-proxy: ~/.config/kamal-proxy/certs). */
  stateDir: string;
  acmeDirectory?: string;
  acmeCaBundlePath?: string;
  logSink?: LogSink;
  /** A certificate store, or null to run without TLS certificates. */
  certificates: CertificateStoreLike | null;
  /** Worker threads sharing the plain-HTTP listener (needs the built JS); 0 = main thread only. */
  workers?: number;
  /** Client timeouts (slowloris); tests shorten them. */
  timeouts?: Partial<ConnectionTimeouts>;
}

export const SHUTDOWN_TIMEOUT_MS = 10_000;

export class ProxyServer {
  readonly logger: JsonLogger;
  readonly router: Router;
  readonly metrics: Metrics | null;
  private readonly ctx: ProxyContext;
  private httpServer: net.Server | null = null;
  private httpsServer: tls.Server | null = null;
  private metricsServer: http.Server | null = null;
  private control: ControlServer | null = null;
  private pool: WorkerPool | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly connections = new Map<net.Socket, ClientConnection>();
  private stopping: Promise<void> | null = null;

  constructor(readonly config: ServerConfig) {
    this.logger = new JsonLogger(config.logSink ?? stdoutSink, config.debug);
    const log = (event: Record<string, unknown>): void => this.logger.event(event);
    const routerOptions: ConstructorParameters<typeof Router>[0] = {
      statePath: config.statePath,
      certificates: config.certificates,
      resolver: new NameResolver(),
      log,
      onChange: () => this.pool?.changed(),
      remoteDrain: (balancerId, timeoutMs, closeTunnelsNow) => this.pool?.drain(balancerId, timeoutMs, closeTunnelsNow) ?? Promise.resolve(),
    };
    if (config.acmeDirectory !== undefined) routerOptions.acmeDirectoryOverride = config.acmeDirectory;
    if (config.acmeCaBundlePath !== undefined) routerOptions.acmeCaBundlePath = config.acmeCaBundlePath;
    this.router = new Router(routerOptions);
    this.metrics = config.metricsPort > 0 ? new Metrics() : null;
    const certificates = config.certificates;
    this.ctx = {
      router: this.router,
      logger: this.logger,
      httpChallenge: certificates === null ? null : (host, token, callback) => callback(certificates.httpChallenge(host, token)),
      httpsPort: config.httpsPort,
      metrics: this.metrics,
      timeouts: { ...DEFAULT_TIMEOUTS, ...config.timeouts },
    };
  }

  /** Listening ports (useful when configured as 0). */
  get ports(): { http: number; https: number; metrics: number } {
    const port = (server: net.Server | null): number => {
      const address = server?.address();
      return typeof address === "object" && address !== null ? address.port : 0;
    };
    return { http: port(this.httpServer), https: port(this.httpsServer), metrics: port(this.metricsServer) };
  }

  async start(): Promise<void> {
    await this.router.restore();
    this.control = new ControlServer(this.router, (event) => this.logger.event(event));
    await this.control.listen(this.config.socketPath);

    const http1 = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.httpServer = http1;
    await listen(http1, this.config.httpPort, this.config.bind);

    const h2 = createH2Server(this.ctx);
    const certificates = this.config.certificates;
    const alpn = dedupe(["h2", "http/1.1", ...(certificates?.alpnProtocols ?? [])]);
    const https = tls.createServer({
      // A handshake gets as long as a request head (Node's default is 120 s).
      handshakeTimeout: this.ctx.timeouts.headMs,
      // As for plain HTTP: small h2 frames and responses go out at once, not after the peer's ACK.
      noDelay: true,
      ALPNProtocols: alpn,
      SNICallback: (servername, callback) => {
        if (certificates === null) callback(new Error("no certificates configured"));
        else certificates.sniCallback(servername, callback);
      },
    });
    https.on("secureConnection", (socket: tls.TLSSocket) => {
      if (socket.alpnProtocol === "h2") {
        this.track(socket);
        serveH2(h2, socket);
      } else if (socket.alpnProtocol === "acme-tls/1") {
        socket.end(); // the TLS-ALPN-01 handshake itself was the answer
      } else {
        this.accept(socket);
      }
    });
    https.on("tlsClientError", (error: Error) => this.logger.debug("TLS handshake failed", { error: error.message }));
    const attachable = certificates as (CertificateStoreLike & { attach?: (server: tls.Server) => void }) | null;
    attachable?.attach?.(https);
    this.httpsServer = https;
    await listen(https, this.config.httpsPort, this.config.bind);
    this.ctx.httpsPort = this.ports.https; // the real port when configured as 0

    const workers = this.config.workers ?? 0;
    if (workers > 0) {
      const fd = (http1 as unknown as { _handle: { fd: number } })._handle.fd;
      const sink = this.config.logSink;
      this.pool = new WorkerPool({
        count: workers,
        fd,
        httpsPort: this.ctx.httpsPort,
        timeouts: this.ctx.timeouts,
        debug: this.config.debug,
        tls: certificates !== null,
        metrics: this.metrics !== null,
        snapshot: () => takeSnapshot(this.router),
        ...(sink === undefined ? {} : { log: sink }),
        httpChallenge: (host, token) => certificates?.httpChallenge(host, token),
        report: (event) => this.logger.event(event),
      });
      await this.pool.start();
    }

    if (this.metrics !== null) {
      const metrics = this.metrics;
      this.metricsServer = http.createServer((request, response) => {
        if (request.url === "/metrics") {
          response.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
          response.end(metrics.render([...(this.pool?.metrics.values() ?? [])]));
        } else {
          response.writeHead(404).end();
        }
      });
      await listen(this.metricsServer, this.config.metricsPort, this.config.bind);
    }
    this.logger.info("Server started", { http: this.ports.http, https: this.ports.https, metrics: this.ports.metrics, workers });
  }

  private accept(socket: net.Socket): void {
    this.track(socket);
    this.connections.set(socket, new ClientConnection(socket, this.ctx));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.connections.delete(socket);
    });
  }

  /** Stops accepting, lets in-flight requests finish (up to 10 s), then closes everything. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.logger.info("Server stopping");
    this.control?.close();
    // With worker threads the listening fd is shared; it closes when the process exits.
    if (this.pool === null) this.httpServer?.close();
    this.pool?.closeIdle();
    this.httpsServer?.close();
    this.metricsServer?.close();
    this.metricsServer?.closeAllConnections();
    // Idle keep-alive clients are closed now; busy ones after their response.
    for (const [socket, connection] of this.connections) {
      if (connection.exchange === null && connection.tunnel === null) socket.destroy();
    }
    await this.router.drainAll(SHUTDOWN_TIMEOUT_MS);
    for (const socket of this.sockets) socket.destroy();
    this.router.dispose();
    this.config.certificates?.close();
    this.logger.info("Server stopped");
    this.logger.flush();
  }
}

function listen(server: net.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const done = (): void => {
      server.removeListener("error", reject);
      resolve();
    };
    if (host === undefined) server.listen(port, done);
    else server.listen(port, host, done);
  });
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
