// Host strings as Kamal/SSHKit accept them: "host", "user@host", "host:port", "user@[::1]:2222".
import { BerthError } from "../util/errors.js";

export interface ParsedHost {
  /** As written, used to name the host in events and errors. */
  original: string;
  hostname: string;
  user?: string;
  port?: number;
}

export function parseHost(original: string): ParsedHost {
  const text = original.trim();
  if (text === "" || /\s/.test(text) || text.startsWith("-")) {
    throw new BerthError(`Invalid host "${original}": expected host, user@host or host:port`);
  }
  const at = text.lastIndexOf("@");
  const user = at > 0 ? text.slice(0, at) : undefined;
  let rest = at >= 0 ? text.slice(at + 1) : text;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1]!;
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], original);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [name, portText] = rest.split(":") as [string, string];
    rest = name;
    port = parsePort(portText, original);
  }
  if (rest === "") throw new BerthError(`Invalid host "${original}": no host name`);
  return { original, hostname: rest, ...(user ? { user } : {}), ...(port !== undefined ? { port } : {}) };
}

export function parsePort(value: string | number, where: string): number {
  const port = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BerthError(`${where}: "${value}" is not a port number (1-65535)`);
  }
  return port;
}
