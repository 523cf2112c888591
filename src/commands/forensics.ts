// What Berth reads about a new container that never became healthy, before it is stopped: its
// state (no environment: that holds secrets), the sockets listening inside it, and its health
// URL probed as the proxy probes it. The proxy asks `http://<container id>:<app_port><path>` on
// the kamal network with `User-Agent: kamal-proxy`; the host reaches the container's address on
// that network directly, so curl (or wget) there sends the same request to the same socket.
import { cmd, singleQuote, type Cmd } from "../core/cmd.js";
import { docker } from "./shared.js";

/** The network Kamal's app containers and the proxy share. */
export const APP_NETWORK = "kamal";
/** How long the probe waits for an answer, like the proxy's default health check timeout. */
export const PROBE_TIMEOUT_SECONDS = 5;
/** The probe's output is cut to this many bytes (status, headers, the body's first bytes). */
export const PROBE_OUTPUT_BYTES = 1024;

/**
 * `docker inspect` of the state (status, exit code, errors, times, health log), restart count,
 * the image's healthcheck and the id, one per line. (`index` reads a key Docker may leave out.)
 */
export function containerFacts(name: string): Cmd {
  const format = ["{{json .State}}", "{{.RestartCount}}", `{{json (index .Config "Healthcheck")}}`, "{{.Id}}"].join("{{println}}");
  return docker("inspect", "--format", singleQuote(format), name);
}

/** The TCP sockets listening in the container's network namespace (hex address:port per line), read from the host. */
export function listeningInContainer(name: string): Cmd {
  return cmd(
    `pid=$(docker inspect --format '{{.State.Pid}}' ${singleQuote(name)})`,
    "&&",
    '[ "${pid:-0}" != 0 ]',
    "&&",
    "awk",
    `'$4 == "0A" { print $2 }'`,
    '"/proc/$pid/net/tcp"',
    '"/proc/$pid/net/tcp6"',
    "2>/dev/null",
  );
}

/**
 * GET <path> on the container's port, as the proxy sends it. Prints the URL asked, the client's
 * exit status, then its output (status line, headers, the body's first bytes, or its error),
 * cut to PROBE_OUTPUT_BYTES. `no-client` when the host has neither curl nor wget.
 */
export function probeHealth(name: string, port: number, path: string): Cmd {
  const headers = (flag: string): string => `${flag} 'User-Agent: kamal-proxy' ${flag} "Host: $host"`;
  const script =
    `set -- $(docker inspect --format '{{.Id}} {{with index .NetworkSettings.Networks "${APP_NETWORK}"}}{{.IPAddress}}{{end}}' ${singleQuote(name)}) ; ` +
    `[ -n "\${2:-}" ] || { echo no-address ; exit 0 ; } ; ` +
    `host=$(printf %s "$1" | cut -c1-12)${port === 80 ? "" : `:${port}`} ; ` +
    `url="http://$2:${port}${shellPath(path)}" ; ` +
    `if command -v curl >/dev/null 2>&1 ; then out=$(curl --silent --show-error --include --max-time ${PROBE_TIMEOUT_SECONDS} ${headers("-H")} "$url" 2>&1) ; rc=$? ; ` +
    `elif command -v wget >/dev/null 2>&1 ; then out=$(timeout ${PROBE_TIMEOUT_SECONDS + 1} wget -q -S -O - --max-redirect=0 ${headers("--header")} "$url" 2>&1) ; rc=$? ; ` +
    `else echo no-client ; exit 0 ; fi ; ` +
    `printf '%s\\n%s\\n' "$url" "$rc" ; printf '%s' "$out" | head -c ${PROBE_OUTPUT_BYTES}`;
  return cmd(script);
}

/** A URL path for a double-quoted shell word: `"`, `\`, `$` and backquotes escaped. */
function shellPath(path: string): string {
  const absolute = path.startsWith("/") ? path : `/${path}`;
  return absolute.replace(/["\\$`]/g, (character) => `\\${character}`);
}
