// The proxy container on each host (Kamal's cli/proxy.rb): boot (network, version check,
// apps-config directory, `start || run`, one round trip per host), reboot with its hooks,
// start/stop/restart, remove, and the legacy boot_config files. Which image runs is decided in
// proxy-image.ts (Berth's own by default, built and pushed when the hosts can't pull it).
import { auditor, docker as dockerCommands, proxy as proxyCommands, render, server as serverCommands } from "../commands/index.js";
import type { BatchStep, BatchStepResult } from "../commands/batch.js";
import type { BootConfigSettings } from "../commands/proxy/boot-config.js";
import { DEFAULT_PROXY_VERSION } from "../config/index.js";
import { CommandFailedError } from "../transport/index.js";
import { BerthError } from "../util/errors.js";
import { confirm } from "./confirm.js";
import { runHook } from "./hooks.js";
import { serveImagesTo } from "./image-delivery.js";
import { remoteLoginCommand } from "./login.js";
import { withLock } from "./lock.js";
import { buildAndPushProxyImage, isMissingImageError, proxyConfigView, runsBerthProxy } from "./proxy-image.js";
import type { Run } from "./run.js";

export const PROXY_STEP_LABELS = {
  network: "network create",
  version: "proxy version",
  directory: "apps-config directory",
  startOrRun: "proxy start or run",
} as const;

/**
 * The steps that boot the proxy on a host (network, version, directory, start-or-run); only the
 * network where no proxy runs (or with `proxy: false`, e.g. for redeploy).
 */
export function proxyBootSteps(run: Run, host: string, { login = false, proxy = true }: { login?: boolean; proxy?: boolean } = {}): BatchStep[] {
  const network: BatchStep = { command: dockerCommands.createNetwork(), allowFailure: true, label: PROXY_STEP_LABELS.network };
  if (!proxy || !run.config.proxyHosts.includes(host)) return [network];
  const view = proxyConfigView(run.config, host);
  const loginCommand = login ? remoteLoginCommand(run) : null;
  return [
    network,
    ...(loginCommand === null ? [] : [{ command: loginCommand, label: "registry login" }]),
    { command: proxyCommands.version(), allowFailure: true, label: PROXY_STEP_LABELS.version },
    { command: proxyCommands.ensureAppsConfigDirectory(view), label: PROXY_STEP_LABELS.directory },
    { command: proxyCommands.startOrRun(view, host), label: PROXY_STEP_LABELS.startOrRun },
  ];
}

/**
 * Runs `steps` (which include the proxy boot steps) on a host. When the proxy couldn't start
 * because Berth's proxy image isn't in the registry yet, builds and pushes it, then starts the
 * proxy again. Checks the running proxy's version afterwards.
 */
export async function runWithProxyBoot(run: Run, host: string, steps: readonly BatchStep[]): Promise<BatchStepResult[]> {
  let results: BatchStepResult[];
  try {
    results = await run.batch(host, steps);
  } catch (error) {
    if (!(error instanceof CommandFailedError) || !isStartOrRun(run, host, error) || !runsBerthProxy(run.config, host)) throw error;
    if (!isMissingImageError(`${error.stderr}\n${error.stdout}`)) throw error;
    await buildAndPushProxyImage(run);
    await run.exec(host, proxyCommands.startOrRun(proxyConfigView(run.config, host), host));
    // The steps after start-or-run (if any) still have to run.
    const rest = steps.slice(steps.findIndex((step) => step.label === PROXY_STEP_LABELS.startOrRun) + 1);
    results = rest.length > 0 ? await run.batch(host, rest) : [];
    return results;
  }
  const version = results.find((result) => steps[result.index]?.label === PROXY_STEP_LABELS.version);
  if (version !== undefined) checkProxyVersion(host, version.code === 0 ? version.stdout.trim() : "");
  return results;
}

function isStartOrRun(run: Run, host: string, error: CommandFailedError): boolean {
  return error.command === render(proxyCommands.startOrRun(proxyConfigView(run.config, host), host));
}


/** Kamal refuses to run apps behind a proxy older than the contract it drives (v0.9.2). */
export function checkProxyVersion(host: string, version: string): void {
  if (version === "" || !olderVersion(version, DEFAULT_PROXY_VERSION)) return;
  throw new BerthError(
    `kamal-proxy version ${version} is too old on ${host}, run \`berth proxy reboot\` in order to update to at least ${DEFAULT_PROXY_VERSION}`,
  );
}

/** Ruby's Gem::Version comparison, as Kamal uses it: numeric segments; any letters make a pre-release. */
export function olderVersion(version: string, minimum: string): boolean {
  const parse = (text: string): { numbers: number[]; prerelease: boolean } => {
    const segments = text.replace(/^v/, "").split(/[.-]/);
    const prerelease = segments.some((segment) => !/^\d+$/.test(segment));
    const numbers: number[] = [];
    for (const segment of segments) {
      if (!/^\d+$/.test(segment)) break;
      numbers.push(Number(segment));
    }
    return { numbers, prerelease };
  };
  const a = parse(version);
  const b = parse(minimum);
  for (let i = 0; i < Math.max(a.numbers.length, b.numbers.length); i++) {
    const difference = (a.numbers[i] ?? 0) - (b.numbers[i] ?? 0);
    if (difference !== 0) return difference < 0;
  }
  return a.prerelease && !b.prerelease;
}

// Commands --------------------------------------------------------------------------------

/** `proxy boot`: the network on every selected host, and the proxy on the proxy hosts. */
export async function bootProxy(run: Run): Promise<void> {
  await withLock(run, async () => {
    await serveImagesTo(run, run.selection.proxyHosts);
    await run.on(run.selection.hosts, (host) => runWithProxyBoot(run, host, proxyBootSteps(run, host, { login: true })));
  });
}

/** `proxy reboot [--rolling]`: stop, remove and run the proxy again, with the pre/post-proxy-reboot hooks per group. */
export async function rebootProxy(run: Run, { rolling, confirmed }: { rolling: boolean; confirmed: boolean }): Promise<void> {
  if (!(await confirm(run, "This will cause a brief outage on each host. Are you sure?", confirmed))) return;
  await withLock(run, async () => {
    const hosts = run.selection.proxyHosts;
    await serveImagesTo(run, hosts);
    const groups = rolling ? hosts.map((host) => [host]) : [hosts];
    const tags = await run.tags();
    for (const group of groups) {
      await runHook(run, "pre-proxy-reboot", { hosts: group });
      await run.on(group, async (host) => {
        const view = proxyConfigView(run.config, host);
        const login = remoteLoginCommand(run);
        const steps: BatchStep[] = [
          { command: auditor.record(run.config, tags, "Rebooted proxy"), label: "audit" },
          ...(login === null ? [] : [{ command: login, label: "registry login" }]),
          { command: proxyCommands.stop(), allowFailure: true, label: "proxy stop" },
          { command: proxyCommands.removeContainer(), label: "proxy remove container" },
          { command: proxyCommands.ensureAppsConfigDirectory(view), label: PROXY_STEP_LABELS.directory },
          { command: proxyCommands.run(view, host), label: PROXY_STEP_LABELS.startOrRun },
        ];
        await runWithProxyReboot(run, host, steps);
      });
      await runHook(run, "post-proxy-reboot", { hosts: group });
    }
  });
}

async function runWithProxyReboot(run: Run, host: string, steps: BatchStep[]): Promise<void> {
  try {
    await run.batch(host, steps);
  } catch (error) {
    if (!(error instanceof CommandFailedError) || !runsBerthProxy(run.config, host) || !isMissingImageError(`${error.stderr}\n${error.stdout}`)) throw error;
    await buildAndPushProxyImage(run);
    await run.exec(host, proxyCommands.run(proxyConfigView(run.config, host), host));
  }
}

export async function startProxy(run: Run): Promise<void> {
  await withLock(run, async () => {
    const tags = await run.tags();
    await run.on(run.selection.proxyHosts, (host) =>
      run.batch(host, [auditor.record(run.config, tags, "Started proxy"), proxyCommands.start()]),
    );
  });
}

export async function stopProxy(run: Run): Promise<void> {
  await withLock(run, async () => {
    const tags = await run.tags();
    await run.on(run.selection.proxyHosts, (host) =>
      run.batch(host, [
        { command: auditor.record(run.config, tags, "Stopped proxy") },
        { command: proxyCommands.stop(), allowFailure: true },
      ]),
    );
  });
}

export async function restartProxy(run: Run): Promise<void> {
  await withLock(run, async () => {
    await stopProxy(run);
    await startProxy(run);
  });
}

/** `proxy remove [--force]`: refuses while other apps are installed on a proxy host, unless forced. */
export async function removeProxy(run: Run, { force }: { force: boolean }): Promise<void> {
  await withLock(run, async () => {
    const hosts = run.selection.proxyHosts;
    if (!force) {
      const counts = await run.on(hosts, async (host) => ({ host, apps: Number(await run.capture(host, serverCommands.appDirectoryCount(run.config), { allowFailure: true })) || 0 }));
      const busy = counts.filter((count) => count.apps > 0).map((count) => count.host);
      if (busy.length > 0) {
        run.say(`Not removing the proxy, as other applications are installed on ${busy.join(", ")}; ignore this check with berth proxy remove --force`, "yellow");
        return;
      }
    }
    await run.on(hosts, (host) => removeProxyOnHost(run, host));
  });
}

/** Stop, remove container and image, remove `.kamal/proxy`: one round trip. */
export async function removeProxyOnHost(run: Run, host: string): Promise<void> {
  const tags = await run.tags();
  await run.batch(host, [
    { command: auditor.record(run.config, tags, "Stopped proxy"), label: "audit" },
    { command: proxyCommands.stop(), allowFailure: true, label: "proxy stop" },
    { command: auditor.record(run.config, tags, "Removed proxy container"), label: "audit" },
    { command: proxyCommands.removeContainer(), label: "proxy remove container" },
    { command: auditor.record(run.config, tags, "Removed proxy image"), label: "audit" },
    { command: proxyCommands.removeImage(), label: "proxy remove image" },
    { command: proxyCommands.removeProxyDirectory(run.config), allowFailure: true, label: "proxy remove directory" },
  ]);
}

export async function removeProxyPart(run: Run, part: "container" | "image" | "directory"): Promise<void> {
  await withLock(run, async () => {
    const tags = await run.tags();
    const [line, command] =
      part === "container"
        ? ["Removed proxy container", proxyCommands.removeContainer()]
        : part === "image"
          ? ["Removed proxy image", proxyCommands.removeImage()]
          : ["Removed proxy directory", proxyCommands.removeProxyDirectory(run.config)];
    await run.on(run.selection.proxyHosts, (host) =>
      run.batch(host, [{ command: auditor.record(run.config, tags, line) }, { command, allowFailure: part === "directory" }]),
    );
  });
}

// boot_config (deprecated in Kamal for proxy.run, still honoured) ----------------------------

export async function bootConfigSet(run: Run, settings: BootConfigSettings): Promise<void> {
  const steps = proxyCommands.bootConfigSet(run.config, settings);
  await run.on(run.selection.proxyHosts, async (host) => {
    for (const step of steps) {
      if (step.kind === "upload") await run.upload(host, Buffer.from(step.content), step.path, { mode: 0o644 });
      else await run.exec(host, step.command, { allowFailure: step.allowFailure });
    }
  });
}

export async function bootConfigGet(run: Run): Promise<void> {
  await run.on(run.selection.proxyHosts, async (host) => {
    const text = await run.capture(host, proxyCommands.bootConfig(proxyConfigView(run.config, host)));
    run.output.putsByHost(host, text, { type: "Host" });
  });
}

export async function bootConfigReset(run: Run): Promise<void> {
  await run.on(run.selection.proxyHosts, (host) =>
    run.batch(
      host,
      proxyCommands.bootConfigReset(run.config).map((command) => ({ command, allowFailure: true })),
    ),
  );
}
