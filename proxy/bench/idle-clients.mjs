// Opens N keep-alive clients to URL, has each make one request, keeps them idle, then prints
// "ready" and waits for SIGTERM. Used to measure the proxy's RSS with many idle clients.
// Usage: node idle-clients.mjs http://127.0.0.1:PORT/ N
import net from "node:net";

const url = new URL(process.argv[2] ?? "http://127.0.0.1:80/");
const count = Number(process.argv[3] ?? 1000);
const sockets = [];
let answered = 0;
const request = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`;

await new Promise((resolve, reject) => {
  for (let i = 0; i < count; i++) {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(request));
    socket.once("data", () => {
      if (++answered === count) resolve();
    });
    socket.on("error", reject);
    sockets.push(socket);
  }
});
console.log("ready", answered);
process.on("SIGTERM", () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
