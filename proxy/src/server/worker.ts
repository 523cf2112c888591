// A worker thread serving plain-HTTP connections from the shared port-80 listener, with
// routing mirrored from the main thread (see replication.ts).
import net from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { JsonLogger, stdoutSink } from "../http/access-log.js";
import { ClientConnection } from "../http/client-connection.js";
import type { ProxyContext } from "../http/context.js";
import { Metrics } from "../http/metrics.js";
import { NameResolver } from "./name-resolver.js";
import { MirrorRouter, type Snapshot } from "./replication.js";
import type { ToMain, ToWorker, WorkerData } from "./workers.js";

const data = workerData as WorkerData;
const port = parentPort!;
const send = (message: ToMain): void => port.postMessage(message);

const router = new MirrorRouter(new NameResolver());
router.apply(data.snapshot as Snapshot);
// Tests inject a log sink in the main thread; then lines travel there. Otherwise straight to fd 1.
const logger = new JsonLogger(data.forwardLogs ? (text) => send({ type: "log", text }) : stdoutSink, data.debug);
const pendingChallenges = new Map<number, (answer: string | undefined) => void>();
let nextChallenge = 1;

const ctx: ProxyContext = {
  router,
  logger,
  httpsPort: data.httpsPort,
  timeouts: data.timeouts,
  metrics: data.metrics ? new Metrics() : null,
  httpChallenge: data.tls
    ? (host, token, callback) => {
        const id = nextChallenge++;
        pendingChallenges.set(id, callback);
        send({ type: "challenge", id, host, token });
      }
    : null,
};

const connections = new Map<net.Socket, ClientConnection>();
const server = net.createServer({ noDelay: true }, (socket) => {
  connections.set(socket, new ClientConnection(socket, ctx));
  socket.once("close", () => connections.delete(socket));
});
server.on("error", (error) => logger.error("Worker listener failed", { error: error.message }));
if (ctx.metrics !== null) {
  const metrics = ctx.metrics;
  setInterval(() => send({ type: "metrics", data: metrics.export() }), 1_000).unref();
}

// The listening socket is shared with the main thread (same fd); it is never closed here, so
// the main thread stays its only owner.
server.listen({ fd: data.fd }, () => send({ type: "ready" }));

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "snapshot":
      router.apply(message.snapshot);
      break;
    case "drain":
      void router.drain(message.balancerId, message.timeoutMs, message.closeTunnelsNow).then(() => send({ type: "drained", id: message.id }));
      break;
    case "challenge-answer":
      pendingChallenges.get(message.id)?.(message.answer);
      pendingChallenges.delete(message.id);
      break;
    case "close-idle":
      for (const [socket, connection] of connections) if (connection.exchange === null && connection.tunnel === null) socket.destroy();
      logger.flush();
      break;
  }
});
