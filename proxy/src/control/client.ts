// CLI side of the control channel. Calls block as long as the server works (a deploy waits
// through health checks and draining), so there is no client timeout.
import http from "node:http";
import type { ControlCommand } from "./protocol.js";

export class ControlError extends Error {}

export function callControl<T = Record<string, unknown>>(socket: string, command: ControlCommand, body: unknown): Promise<T> {
  const payload = JSON.stringify(body ?? {});
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        socketPath: socket,
        path: `/${command}`,
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) },
        agent: false,
      },
      (response) => {
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
        reject(new ControlError(`no kamal-proxy is running (nothing listening on ${socket}); start it with "kamal-proxy run"`));
      } else {
        reject(new ControlError(`cannot reach kamal-proxy at ${socket}: ${error.message}`));
      }
    });
    request.end(payload);
  });
}
