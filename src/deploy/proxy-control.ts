// The proxy's control socket as a carrier of the deploy's calls into the proxy (ProxyCall
// operations: `kamal-proxy deploy`, `list`), through the host's SSH connection, instead of
// `docker exec kamal-proxy kamal-proxy …`.
// The exec starts a process in the container and a Node client there: about half a second of a
// 2-core server's time per switch. The Berth proxy image keeps its control socket on the config
// volume (KAMAL_PROXY_SOCKET), which the host sees at the volume's path; ssh forwards a local
// socket to it, and the proxy's own CLI code runs here against that socket with the operation's
// arguments: same flags, same answers, same errors. Where that isn't possible (kamal-proxy's own
// image, an older Berth proxy, a server that forbids forwarding, a user who can't open the
// socket), the first `version` call fails and the operation goes as its `docker exec` command. A
// proxy of this Berth's own image that is still starting (restarted, host rebooted) has no socket
// yet: the `version` call waits for it (bounded) rather than fail.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { render } from "../core/cmd.js";
import type { ProxyCall } from "../commands/proxy/exec.js";
import { BERTH_PROXY_TAG, PROXY_CONTROL_SOCKET_NAME } from "../config/index.js";
import { importModule } from "../util/import-module.js";
import { packageRoot } from "../util/package-root.js";
import type { Level } from "../output/index.js";
import type { RunAccess, StepOutcome } from "./carrier.js";
import { showAsCommand } from "./display.js";
import type { ProxyState } from "./host-state.js";

/** The proxy CLI's entry point (proxy/src/cli/main.ts), loaded from the built proxy package. */
type ProxyMain = (
  argv: readonly string[],
  io: { out: (text: string) => void; err: (text: string) => void; env: NodeJS.ProcessEnv; isTty: boolean },
) => Promise<number>;

export class ProxyControl {
  /** host → the local socket forwarded to a proxy that answered, or undefined. */
  private readonly hosts = new Map<string, Promise<string | undefined>>();
  private main: Promise<ProxyMain> | undefined;

  constructor(private readonly access: Pick<RunAccess, "forwardSocket" | "output">) {}

  /**
   * Starts opening the way to the host's proxy control socket (forward, then a `version` call), in
   * the background: by the time the new container has started, the answer is there.
   */
  openOn(host: string, proxy: ProxyState): void {
    if (!proxy.running || proxy.configDirectory === "") return;
    if (this.hosts.has(host)) return;
    const opening = (async (): Promise<string | undefined> => {
      const local = await this.access.forwardSocket(host, join(proxy.configDirectory, PROXY_CONTROL_SOCKET_NAME));
      if (local === undefined) return undefined;
      // `version` exits 0 either way; only a server that answered prints its version. Only this
      // Berth's proxy image surely keeps its socket there: for others a missing socket means "use exec".
      const wait = proxy.version === BERTH_PROXY_TAG ? SOCKET_WAIT : "0s";
      const answered = await call(await this.proxyMain(), ["version"], local, undefined, wait);
      return answered.code === 0 && /^Server: (?!not running)/m.test(answered.stdout) ? local : undefined;
    })().catch(() => undefined);
    this.hosts.set(host, opening);
  }

  /** Whether the host's control socket answered (waiting for its opening). */
  async carries(host: string): Promise<boolean> {
    return (await this.hosts.get(host)) !== undefined;
  }

  /** Runs the operation on the host's control socket (see carries), shown as the `kamal-proxy` command it is. */
  async carry(host: string, operation: ProxyCall, level: Level): Promise<StepOutcome> {
    const local = await this.hosts.get(host);
    if (local === undefined) throw new Error(`no proxy control socket on ${host}`);
    const main = await this.proxyMain();
    const wrapped = `${render(operation.proxyCommand)} (on the proxy's control socket, over the SSH connection)`;
    return showAsCommand(this.access.output, { host, command: operation.proxyCommand, wrapped, level }, (print) => call(main, operation.argv, local, print));
  }

  private proxyMain(): Promise<ProxyMain> {
    // The proxy package's build, beside Berth's.
    this.main ??= importModule(pathToFileURL(join(packageRoot(), "proxy", "dist", "cli", "main.js")).href).then((module) => (module as { main: ProxyMain }).main);
    return this.main;
  }
}

/** How long the `version` call waits for a starting proxy's socket (the proxy CLI's KAMAL_PROXY_SOCKET_WAIT). */
const SOCKET_WAIT = "20s";

async function call(
  main: ProxyMain,
  argv: readonly string[],
  socket: string,
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void,
  socketWait = "0s",
): Promise<StepOutcome> {
  const result = { code: 1, stdout: "", stderr: "" };
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
