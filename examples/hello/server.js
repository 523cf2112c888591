// The web role: a page that shows which version is serving it, `/up` for the proxy's health
// checks, and `/version` for scripts. Each page view is counted in Redis and queued as a job for
// the worker role.
import { createServer } from "node:http";
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import { createRedis } from "./lib/redis.js";

const port = Number(process.env.PORT ?? 3000);
// Kamal and Berth give every container the version it runs (the git commit it was built from).
const version = process.env.KAMAL_VERSION ?? "dev";
const release = readFileSync(new URL("./release.txt", import.meta.url), "utf8").trim();
const redis = createRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");

const server = createServer(async (request, response) => {
  const path = new URL(request.url ?? "/", "http://app").pathname;
  if (path === "/up") return send(response, 200, "text/plain", "OK\n");
  if (path === "/version") return send(response, 200, "text/plain", `${version}\n`);
  if (path !== "/") return send(response, 404, "text/plain", "Not found\n");
  send(response, 200, "text/html; charset=utf-8", page(await counters()));
});

/** Page views and jobs done, or why they are unknown: the page itself never depends on Redis. */
async function counters() {
  try {
    const visits = await redis.command(["INCR", "hello:visits"]);
    await redis.command(["LPUSH", "hello:jobs", JSON.stringify({ visit: visits, at: Date.now() })]);
    const processed = Number(await redis.command(["GET", "hello:processed"])) || 0;
    return `Page views: ${visits}. Jobs done by the worker: ${processed}.`;
  } catch (error) {
    return `Redis is not reachable (${error.message}).`;
  }
}

function page(counterLine) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>hello, from Berth</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>${escape(release)}</h1>
<p>Version <code>${escape(version)}</code>, served by container <code>${escape(hostname())}</code>.</p>
<p>${escape(counterLine)}</p>
</body>
</html>
`;
}

function send(response, status, type, body) {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

server.listen(port, () => console.log(`hello ${version} listening on :${port}`));

// `docker stop` sends SIGTERM once the proxy has moved traffic away: finish what is in flight and
// exit (as PID 1 in the container, Node would otherwise ignore it until docker kills it).
process.on("SIGTERM", () => {
  console.log("SIGTERM: finishing requests in flight");
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  redis.close();
});
