// `kamal-proxy run`: starts the server in the foreground and stops it gracefully on SIGTERM/SIGINT.
import { certificatePath, configDir, socketPath, statePath } from "../control/protocol.js";
import { ProxyServer } from "../server/server.js";
import { createCertificateStore } from "../tls/index.js";
import { defaultWorkerCount } from "../server/workers.js";
import type { CertificateStoreLike } from "../server/tls-contract.js";
import type { CliIo } from "./io.js";

export interface RunOptions {
  debug: boolean;
  httpPort: number;
  httpsPort: number;
  metricsPort: number;
  http3: boolean;
  acmeDirectory: string;
  acmeCaBundlePath: string;
}

export async function runServer(options: RunOptions, io: CliIo): Promise<number> {
  const env = io.env;
  let server: ProxyServer | null = null;
  const log = (event: Record<string, unknown>): void => server?.logger.event(event);
  const certificates: CertificateStoreLike = createCertificateStore({ stateDir: configDir(env), logger: log });
  server = new ProxyServer({
    httpPort: options.httpPort,
    httpsPort: options.httpsPort,
    metricsPort: options.metricsPort,
    debug: options.debug,
    socketPath: socketPath(env),
    statePath: statePath(env),
    stateDir: certificatePath(env),
    certificates,
    workers: defaultWorkerCount(env),
    ...(options.acmeDirectory !== "" ? { acmeDirectory: options.acmeDirectory } : {}),
    ...(options.acmeCaBundlePath !== "" ? { acmeCaBundlePath: options.acmeCaBundlePath } : {}),
  });
  if (options.http3) server.logger.warn("HTTP/3 is not supported by this proxy; serving HTTP/1.1 and HTTP/2 only");
  await server.start();
  const running = server;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      running.logger.info("Received signal", { signal });
      const force = setTimeout(() => resolve(1), 12_000);
      force.unref();
      void running.stop().then(() => {
        clearTimeout(force);
        resolve(0);
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
