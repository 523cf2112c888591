// Load generators for the proxy benchmarks and what they print: wrk (HTTP/1.1, plain or TLS) and
// h2load (HTTP/2 over TLS), both from Debian. Each runs as the caller says (e.g. inside a test
// host's network namespace) and is bounded by its duration.
import { spawn } from "node:child_process";

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}:\n${out}`))));
  });
}

function milliseconds(value, unit) {
  const number = Number(value);
  return unit === "us" ? number / 1000 : unit === "s" ? number * 1000 : unit === "m" ? number * 60_000 : number;
}

/**
 * wrk -t<threads> -c<connections> -d<seconds>s --latency [-H header] url, through `wrap` (a
 * function turning a command line into [command, args], e.g. into a namespace).
 */
export async function wrk(wrap, { url, connections, seconds, threads = 2, headers = [] }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", "--latency", ...headers.flatMap((header) => ["-H", header]), url];
  const out = await run(...wrap(["wrk", ...args]));
  const percentile = (label) => {
    const match = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return match ? milliseconds(match[1], match[2]) : NaN;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: percentile("50"),
    p99: percentile("99"),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: errors ? errors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0,
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    raw: out,
  };
}

/** h2load over TLS (ALPN h2): requests/s, mean request time; no percentiles (h2load prints none). */
export async function h2load(wrap, { url, connections, streams = 10, seconds, threads = 2 }) {
  const args = ["-t", String(threads), "-c", String(connections), "-m", String(streams), "-D", String(seconds), url];
  const out = await run(...wrap(["h2load", ...args]));
  const time = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  const counts = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  return {
    rps: Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN),
    mean: time ? milliseconds(time[5], time[6]) : NaN,
    p50: NaN,
    p99: NaN,
    protocol: /Application protocol: (\S+)/.exec(out)?.[1] ?? "?",
    failed: counts ? Number(counts[5]) + Number(counts[6]) : NaN,
    requests: counts ? Number(counts[4]) : 0,
    raw: out,
  };
}
