// The proxy's commands (`kamal-proxy deploy …`) sent to its control socket through the host's SSH
// connection, instead of `docker exec kamal-proxy kamal-proxy …`. The exec starts a process in the
// container and a Node client there: about half a second of a 2-core server's time per switch.
// The Berth proxy image keeps its control socket on the config volume (KAMAL_PROXY_SOCKET), which
// the host sees at the volume's path; ssh forwards a local socket to it, and the proxy's own CLI
// code runs here against that socket: same flags, same answers, same errors. Where that isn't
// possible (kamal-proxy's own image, an older Berth proxy, a server that forbids forwarding, a
// user who can't open the socket), the first `version` call fails and the command goes by
// `docker exec` as before. A proxy of this Berth's own image that is still starting (restarted,
// host rebooted) has no socket yet: the `version` call waits for it (bounded) rather than fail.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { shellSplit } from "../secrets/shellwords.js";
import { render, type Cmd } from "../commands/cmd.js";
import { BERTH_PROXY_TAG, PROXY_CONTAINER_NAME, PROXY_CONTROL_SOCKET_NAME } from "../config/index.js";
import { CommandFailedError } from "../transport/index.js";
import { packageRoot } from "../util/package-root.js";
import type { Level } from "../output/index.js";
import { showAsCommand } from "./display.js";
import type { ProxyState } from "./host-state.js";
import type { Run } from "./run.js";

/** The proxy CLI's entry point (proxy/src/cli/main.ts), loaded from the built proxy package. */
type ProxyMain = (
  argv: readonly string[],
  io: { out: (text: string) => void; err: (text: string) => void; env: NodeJS.ProcessEnv; isTty: boolean },
) => Promise<number>;

const channels = new WeakMap<Run, Map<string, Promise<string | undefined>>>();
let proxyMain: Promise<ProxyMain> | undefined;

function loadProxyMain(): Promise<ProxyMain> {
  // The proxy package's build, beside Berth's.
  proxyMain ??= import(pathToFileURL(join(packageRoot(), "proxy", "dist", "cli", "main.js")).href).then((module: { main: ProxyMain }) => module.main);
  return proxyMain;
}

/**
 * Starts opening the way to the host's proxy control socket (forward, then a `version` call), in
 * the background: by the time the new container has started, the answer is there.
 */
export function openProxyControl(run: Run, host: string, proxy: ProxyState): void {
  if (!proxy.running || proxy.configDirectory === "") return;
  let hosts = channels.get(run);
  if (hosts === undefined) channels.set(run, (hosts = new Map()));
  if (hosts.has(host)) return;
  const opening = (async (): Promise<string | undefined> => {
    const local = await run.forwardSocket(host, join(proxy.configDirectory, PROXY_CONTROL_SOCKET_NAME));
    if (local === undefined) return undefined;
    // `version` exits 0 either way; only a server that answered prints its version. Only this
    // Berth's proxy image surely keeps its socket there: for others a missing socket means "use exec".
    const wait = proxy.version === BERTH_PROXY_TAG ? SOCKET_WAIT : "0s";
    const answered = await call(await loadProxyMain(), ["version"], local, undefined, wait);
    return answered.code === 0 && /^Server: (?!not running)/m.test(answered.stdout) ? local : undefined;
  })().catch(() => undefined);
  hosts.set(host, opening);
}

/** The kamal-proxy arguments of a `docker exec kamal-proxy kamal-proxy …` command, else undefined. */
export function proxyArguments(command: Cmd): string[] | undefined {
  const words = shellSplit(render(command, { redact: false }));
  const prefix = ["docker", "exec", PROXY_CONTAINER_NAME, "kamal-proxy"];
  return prefix.every((word, index) => words[index] === word) ? words.slice(prefix.length) : undefined;
}

/**
 * Runs a proxy command on a host: through the control socket when openProxyControl found it
 * answering, else as the `docker exec` command it is. Fails like the command would; returns its
 * standard output.
 */
export async function runProxyCommand(run: Run, host: string, command: Cmd, level: Level = "info"): Promise<string> {
  const local = await channels.get(run)?.get(host);
  const argv = local === undefined ? undefined : proxyArguments(command);
  if (local === undefined || argv === undefined) {
    const [result] = await run.batch(host, [command], { level });
    return result?.stdout ?? "";
  }
  const shown = render(command).replace(/^docker exec \S+ /, "");
  const main = await loadProxyMain();
  const wrapped = `${shown} (on the proxy's control socket, over the SSH connection)`;
  const result = await showAsCommand(run.output, { host, command: shown, wrapped, level }, (print) => call(main, argv, local, print));
  if (result.code !== 0) throw new CommandFailedError(host, render(command), result.code, result.stdout, result.stderr);
  return result.stdout;
}

interface CallResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How long the `version` call waits for a starting proxy's socket (the proxy CLI's KAMAL_PROXY_SOCKET_WAIT). */
const SOCKET_WAIT = "20s";

async function call(
  main: ProxyMain,
  argv: readonly string[],
  socket: string,
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void,
  socketWait = "0s",
): Promise<CallResult> {
  const result: CallResult = { code: 1, stdout: "", stderr: "" };
  result.code = await main(argv, {
    out: (text) => {
      result.stdout += text;
      onOutput?.("stdout", text);
    },
    err: (text) => {
      result.stderr += text;
      onOutput?.("stderr", text);
    },
    env: { KAMAL_PROXY_SOCKET: socket, KAMAL_PROXY_SOCKET_WAIT: socketWait },
    isTty: false,
  });
  return result;
}
