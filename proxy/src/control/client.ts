// CLI side of the control channel. Calls block as long as the server works (a deploy waits
// through health checks and draining), so there is no timeout once connected. A proxy still
// starting (a restarted container, a rebooted host) has no socket yet: calls wait for it,
// up to KAMAL_PROXY_SOCKET_WAIT (default 20s), instead of failing at once.
import http from "node:http";
import { parseDuration } from "../util/duration.js";
import type { ControlCommand } from "./protocol.js";

export class ControlError extends Error {}

export const DEFAULT_SOCKET_WAIT_MS = 20_000;
const RETRY_MS = 100;
/** Safe to send again when the connection dropped before any answer. */
const READ_ONLY: ReadonlySet<ControlCommand> = new Set(["version", "list"]);

/** How long to wait for the socket: KAMAL_PROXY_SOCKET_WAIT as a Go duration ("0s": not at all). */
export function socketWaitMs(env: NodeJS.ProcessEnv): number {
  const configured = env.KAMAL_PROXY_SOCKET_WAIT;
  if (configured === undefined || configured === "") return DEFAULT_SOCKET_WAIT_MS;
  try {
    return Math.max(0, parseDuration(configured));
  } catch {
    return DEFAULT_SOCKET_WAIT_MS;
  }
}

/** No server behind the socket (yet): nothing was delivered, so the call may be made again. */
class NotListening extends Error {}

export async function callControl<T = Record<string, unknown>>(
  socket: string,
  command: ControlCommand,
  body: unknown,
  waitMs = DEFAULT_SOCKET_WAIT_MS,
): Promise<T> {
  const payload = JSON.stringify(body ?? {});
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await attempt<T>(socket, command, payload);
    } catch (error) {
      if (!(error instanceof NotListening)) throw error;
      if (Date.now() >= deadline) {
        throw new ControlError(`no kamal-proxy is running (nothing listening on ${socket}); start it with "kamal-proxy run"`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, Math.max(0, deadline - Date.now()))));
    }
  }
}

function attempt<T>(socket: string, command: ControlCommand, payload: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request(
      {
        socketPath: socket,
        path: `/${command}`,
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) },
        agent: false,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            reject(new ControlError(`unexpected answer from the proxy: ${text.slice(0, 200)}`));
            return;
          }
          if (response.statusCode === 200) resolve(parsed as T);
          else reject(new ControlError(typeof parsed.error === "string" ? parsed.error : `proxy answered ${response.statusCode}`));
        });
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED") {
        reject(new NotListening(error.message));
      } else if (!answered && READ_ONLY.has(command) && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
        // A forwarded socket (ssh -L) accepts, then drops the connection while nothing listens at the far end.
        reject(new NotListening(error.message));
      } else {
        reject(new ControlError(`cannot reach kamal-proxy at ${socket}: ${error.message}`));
      }
    });
    request.end(payload);
  });
}
