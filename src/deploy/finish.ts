// Kamal's print_runtime: "  Finished all in X.X seconds", also when the work fails. Berth adds how
// many SSH connections, remote commands and Docker API requests it took: with -v as a line,
// always in the JSON `finish` event.
import { dockerApiRequests } from "./docker-api.js";
import { megabytes } from "./image-delivery.js";
import type { Run } from "./run.js";

export async function timed<T>(run: Run, work: () => Promise<T>): Promise<T> {
  let ok = false;
  try {
    const result = await work();
    ok = true;
    return result;
  } finally {
    reportFinish(run, ok);
  }
}

export function reportFinish(run: Run, ok: boolean): void {
  const seconds = run.elapsedSeconds;
  const stats = run.stats();
  const delivered = run.imagesSent();
  const sent = delivered === undefined || delivered.size === 0 ? undefined : Object.fromEntries(delivered);
  const text = `  Finished all in ${seconds.toFixed(1)} seconds`;
  if (run.output.format === "json") {
    run.output.data(text, {
      ts: new Date().toISOString(),
      event: "finish",
      ok,
      seconds: Number(seconds.toFixed(3)),
      connections: stats.connectionsOpened,
      commands: stats.commandsRun,
      dockerApiRequests: dockerApiRequests(run),
      hosts: stats.hosts,
      ...(sent === undefined ? {} : { imagesSent: sent }),
    });
    return;
  }
  run.output.print(text);
  for (const [host, counts] of Object.entries(sent ?? {})) {
    run.output.info(
      `Images sent to ${host} from this machine's Docker: ${counts.layers} layers, ${counts.layerBytes} bytes; ` +
        `${counts.manifests} manifests and ${counts.configs} configs, ${counts.manifestBytes + counts.configBytes} bytes; ` +
        `${counts.bytesWritten} bytes in all with HTTP headers (${megabytes(counts.bytesWritten)})`,
    );
  }
  const requests = dockerApiRequests(run);
  run.output.debug(
    `${stats.connectionsOpened} SSH connections, ${stats.commandsRun} remote commands (${describeHosts(stats.hosts)})` +
      (requests > 0 ? `, ${requests} Docker API requests` : ""),
  );
}

function describeHosts(hosts: Readonly<Record<string, { connectionsOpened: number; commandsRun: number }>>): string {
  const entries = Object.entries(hosts);
  if (entries.length === 0) return "no hosts";
  return entries.map(([host, stats]) => `${host}: ${stats.connectionsOpened}/${stats.commandsRun}`).join(", ");
}
