// A minimal Redis client (RESP2 over one TCP connection), so the example has no dependencies.
// Commands are pipelined in order; a lost connection fails what was pending and the next command
// reconnects. Real apps would use a library such as `redis` or `ioredis`.
import { connect } from "node:net";

export function createRedis(url, { timeoutMs = 1000 } = {}) {
  const { hostname, port } = new URL(url);
  let socket;
  let buffer = Buffer.alloc(0);
  const pending = [];

  const fail = (error) => {
    socket = undefined;
    buffer = Buffer.alloc(0);
    for (const { reject } of pending.splice(0)) reject(error);
  };

  const open = () => {
    socket = connect({ host: hostname, port: Number(port || 6379) });
    socket.setNoDelay(true);
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const parsed = parse(buffer, 0);
        if (parsed === undefined) return;
        buffer = buffer.subarray(parsed.end);
        const next = pending.shift();
        if (parsed.value instanceof Error) next?.reject(parsed.value);
        else next?.resolve(parsed.value);
      }
    });
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("Redis connection closed")));
  };

  return {
    /** Sends one command, e.g. ["INCR", "visits"]; resolves with Redis's reply. */
    command(args, { timeout = timeoutMs } = {}) {
      if (socket === undefined) open();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket?.destroy();
          fail(new Error(`Redis ${args[0]} timed out`));
        }, timeout);
        pending.push({
          resolve: (value) => (clearTimeout(timer), resolve(value)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        socket.write(encode(args));
      });
    },
    close() {
      socket?.end();
    },
  };
}

function encode(args) {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(String(arg))}\r\n${arg}\r\n`).join("")}`;
}

/** One reply from `buffer` at `start`: { value, end }, or undefined until all of it has arrived. */
function parse(buffer, start) {
  const lineEnd = buffer.indexOf("\r\n", start);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[start]);
  const line = buffer.toString("utf8", start + 1, lineEnd);
  const end = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end };
    case "-":
      return { value: new Error(line), end };
    case ":":
      return { value: Number(line), end };
    case "$": {
      const length = Number(line);
      if (length === -1) return { value: null, end };
      if (buffer.length < end + length + 2) return undefined;
      return { value: buffer.toString("utf8", end, end + length), end: end + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count === -1) return { value: null, end };
      const items = [];
      let position = end;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, position);
        if (item === undefined) return undefined;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      return { value: new Error(`Unexpected Redis reply type ${type}`), end };
  }
}
