// `server bootstrap` (Kamal's cli/server.rb): Docker where `docker -v` fails, installed with
// get.docker.com when the SSH user may (root, or sudo for usermod) and curl or wget exist; then the
// `docker-setup` hook. Hosts that already have Docker cost one round trip.
import { docker as dockerCommands, server as serverCommands } from "../commands/index.js";
import { BerthError } from "../util/errors.js";
import { runHook } from "./hooks.js";
import { withLock } from "./lock.js";
import type { Run } from "./run.js";

export async function bootstrapServers(run: Run): Promise<void> {
  await withLock(run, async () => {
    const missing: string[] = [];
    await run.on(run.selection.hosts, async (host) => {
      const [installed] = await run.batch(host, [
        { command: dockerCommands.installed(), allowFailure: true, label: "docker installed" },
        { command: serverCommands.ensureRunDirectory(run.config), label: "run directory" },
      ]);
      if (installed?.code === 0) return;
      const superuser = await run.exec(host, dockerCommands.superuser(), { allowFailure: true });
      if (superuser.code !== 0) {
        missing.push(host);
        return;
      }
      run.output.info(`Missing Docker on ${host}. Installing...`);
      const install = await run.exec(host, dockerCommands.install(), { timeoutMs: 15 * 60_000, allowFailure: true });
      if (install.code !== 0) {
        run.output.error(`Installing Docker on ${host} failed: ${(install.stderr || install.stdout).trim().split("\n").slice(-3).join(" / ")}`);
        missing.push(host);
        return;
      }
      const root = await run.exec(host, dockerCommands.root(), { allowFailure: true });
      const inGroup = root.code === 0 ? root : await run.exec(host, dockerCommands.inDockerGroup(), { allowFailure: true });
      if (inGroup.code !== 0) {
        await run.exec(host, dockerCommands.addToDockerGroup());
        await run.exec(host, dockerCommands.refreshSession(), { allowFailure: true }).catch(() => undefined);
      }
      const check = await run.exec(host, dockerCommands.installed(), { allowFailure: true });
      if (check.code !== 0) throw new BerthError(`Docker is still missing on ${host} after running get.docker.com`);
    });
    if (missing.length > 0) {
      throw new BerthError(
        `Docker is not installed on ${missing.join(", ")} and can't be automatically installed without having root access and either \`wget\` or \`curl\`. Install Docker manually: https://docs.docker.com/engine/install/`,
      );
    }
    await runHook(run, "docker-setup");
  });
}
