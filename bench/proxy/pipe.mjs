// The floor of a proxy in Node on the benchmark's path (bench/proxy.mjs): each client connection
// gets its own connection to the app and bytes are copied both ways as they come. No parsing,
// routing, header rewriting, pooling, timeouts or access log: what Node's own I/O costs.
// Usage: node pipe.mjs LISTEN_PORT APP_HOST APP_PORT
import net from "node:net";

const [listenPort, appHost, appPort] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];

const server = net.createServer({ noDelay: true }, (client) => {
  const app = net.connect({ host: appHost, port: appPort, noDelay: true });
  client.on("data", (chunk) => {
    if (!app.write(chunk)) client.pause();
  });
  app.on("drain", () => client.resume());
  app.on("data", (chunk) => {
    if (!client.write(chunk)) app.pause();
  });
  client.on("drain", () => app.resume());
  client.on("close", () => app.destroy());
  app.on("close", () => client.destroy());
  client.on("error", () => {});
  app.on("error", () => {});
});
server.listen(listenPort);
process.on("SIGTERM", () => process.exit(0));
