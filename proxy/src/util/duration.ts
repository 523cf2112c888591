// Go's time.ParseDuration / Duration.String, so flags read exactly as kamal-proxy's do.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds for a Go duration string (`30s`, `1m30s`, `500ms`, `0`); throws on bad input. */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === "0" || input === "+0" || input === "-0") return 0;
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(input);
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  const sign = match[1] === "-" ? -1 : 1;
  let total = 0;
  for (const part of input.slice(match[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return sign * total;
}

/** Go-style rendering (`30s`, `1m30s`, `500ms`, `0s`) of a millisecond count. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trim(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trim(seconds)}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(6)));
}

export const NS_PER_MS = 1_000_000;
