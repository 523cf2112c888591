// Steady traffic for the switch benchmark (bench/switch.mjs): N keep-alive connections, each
// sending its next GET as soon as the previous answer is complete, for a bounded time. Prints
// "started" once all are answering, and the answers counted by status at the end (or on SIGTERM).
// Usage: node traffic.mjs URL HOST_HEADER CONNECTIONS SECONDS
import http from "node:http";

const [url, host, connections = "4", seconds = "30"] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) });
const counts = {};
const until = Date.now() + Number(seconds) * 1000;
let started = 0;

function loop(first = true) {
  if (Date.now() > until) return Promise.resolve();
  return new Promise((resolve) => {
    const request = http.get(url, { agent, headers: { Host: host } }, (response) => {
      response.resume();
      response.on("end", () => {
        counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
        if (first && ++started === Number(connections)) console.log("started");
        resolve(loop(false));
      });
    });
    request.on("error", () => {
      counts.error = (counts.error ?? 0) + 1;
      setTimeout(() => resolve(loop(first)), 10);
    });
  });
}

const report = () => console.log(`answers ${JSON.stringify(counts)}`);
process.on("SIGTERM", () => {
  report();
  process.exit(0);
});
await Promise.all(Array.from({ length: Number(connections) }, () => loop()));
report();
agent.destroy();
