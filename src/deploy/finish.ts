// Kamal's print_runtime: "  Finished all in X.X seconds", also when the work fails. Berth adds how
// many SSH connections, remote commands and Docker API requests it took: with -v as a line,
// always in the JSON `finish` event.
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
  const text = `  Finished all in ${seconds.toFixed(1)} seconds`;
  if (run.output.format === "json") {
    run.output.data(text, {
      ts: new Date().toISOString(),
      event: "finish",
      ok,
      seconds: Number(seconds.toFixed(3)),
      connections: stats.connectionsOpened,
      commands: stats.commandsRun,
      dockerApiRequests: run.services.dockerApi.requests,
      hosts: stats.hosts,
    });
    return;
  }
  run.output.print(text);
  const requests = run.services.dockerApi.requests;
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
