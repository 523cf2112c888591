// Opens N keep-alive connections to URL, makes one request on each, keeps them open and idle,
// prints "ready N", and exits on SIGTERM (or after --hold seconds). For the proxies' RSS with many
// idle clients (bench/proxy.mjs). Opens them in batches so the listener's backlog keeps up.
// Usage: node idle-clients.mjs http://HOST:PORT/ N [HOLD_SECONDS]
import net from "node:net";

const url = new URL(process.argv[2] ?? "http://127.0.0.1:80/");
const count = Number(process.argv[3] ?? 1000);
const holdSeconds = Number(process.argv[4] ?? 120);
const request = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`;
const sockets = [];
const BATCH = 500;

function open() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port || 80), url.hostname, () => socket.write(request));
    socket.once("data", () => resolve());
    socket.once("error", reject);
    socket.on("error", () => {}); // a reset after the answer: counted by the caller as fewer open
    sockets.push(socket);
  });
}

for (let opened = 0; opened < count; opened += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, count - opened) }, open));
}
console.log(`ready ${sockets.length}`);
const end = () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
};
process.on("SIGTERM", end);
setTimeout(end, holdSeconds * 1000);
