// The app behind the proxies in the proxy benchmarks (bench/proxy.mjs, bench/switch.mjs), run in
// a container from the test bed's Node image: a minimal HTTP/1.1 keep-alive server over node:net,
// so the proxy, not the app, is what is measured. GET /1mb answers 1 MiB, /version the
// APP_VERSION, anything else 13 bytes. With LOG_REQUESTS=1 it prints "<epoch ms> <path>" for every
// request (the switch benchmark reads when the new target first served one).
// Usage: node app.mjs [PORT]
import net from "node:net";

const port = Number(process.argv[2] ?? 80);
const version = process.env.APP_VERSION ?? "v1";
const logRequests = process.env.LOG_REQUESTS === "1";
const head = (length) => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n`;
const small = Buffer.from(`${head(13)}Hello, world!`);
const large = Buffer.concat([Buffer.from(head(1 << 20)), Buffer.alloc(1 << 20, "x")]);
const versioned = Buffer.from(`${head(Buffer.byteLength(version))}${version}`);

const server = net.createServer({ noDelay: true }, (socket) => {
  let carry = "";
  socket.on("data", (chunk) => {
    const text = carry + chunk.toString("latin1");
    let start = 0;
    let end;
    const out = [];
    while ((end = text.indexOf("\r\n\r\n", start)) !== -1) {
      const line = text.slice(start, text.indexOf("\r\n", start));
      const path = line.split(" ")[1] ?? "/";
      if (logRequests) process.stdout.write(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${path}\n`);
      out.push(path === "/1mb" ? large : path === "/version" ? versioned : small);
      start = end + 4;
    }
    carry = text.slice(start);
    if (out.length === 1) socket.write(out[0]);
    else if (out.length > 1) socket.write(Buffer.concat(out));
  });
  socket.on("error", () => {});
});
server.listen(port, "0.0.0.0");
process.on("SIGTERM", () => process.exit(0));
