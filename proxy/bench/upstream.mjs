// Benchmark app: a minimal HTTP/1.1 keep-alive server over node:net answering every request
// (bodiless GETs, as wrk sends) with a tiny 200, so the proxy, not the app, is what is measured.
// Usage: node upstream.mjs PORT
import net from "node:net";

const port = Number(process.argv[2] ?? 9000);
const response = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!");

const server = net.createServer({ noDelay: true }, (socket) => {
  let carry = "";
  socket.on("data", (chunk) => {
    const text = carry + chunk.toString("latin1");
    let count = 0;
    let index = 0;
    while ((index = text.indexOf("\r\n\r\n", index)) !== -1) {
      count++;
      index += 4;
    }
    const last = text.lastIndexOf("\r\n\r\n");
    carry = last === -1 ? text : text.slice(last + 4);
    if (count === 1) socket.write(response);
    else if (count > 1) socket.write(Buffer.concat(Array(count).fill(response)));
  });
  socket.on("error", () => {});
});
server.listen(port, "127.0.0.1", () => process.send?.("ready"));
process.on("SIGTERM", () => process.exit(0));
