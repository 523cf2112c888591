// Health-failure forensics: when a new container never becomes healthy, what it is doing and why,
// per host, before it is stopped. One round trip reads it all (the health URL probed as the
// proxy probes it, the state, the sockets listening inside, the last log lines) followed by the
// caller's steps (the stop), then the report is printed with a hint for each cause the evidence
// shows (hints.ts). Called from one place: app-boot.ts, where a boot fails.
import type { BatchStep, BatchStepResult } from "../../commands/batch.js";
import { app as appCommands, forensics as probes } from "../../commands/index.js";
import type { Role } from "../../config/index.js";
import type { Run } from "../run.js";
import { parseContainerFacts, parseListeners, parseProbe, type ContainerFacts, type Listener, type ProbeOutcome } from "./evidence.js";
import { diagnose, type Evidence } from "./hints.js";

export const FORENSIC_LOG_LINES = 50;

/** Reads why the container of `version` isn't healthy, runs `after` (the stop) in the same round trip, prints the report. */
export async function reportFailedContainer(run: Run, host: string, role: Role, version: string, after: readonly BatchStep[]): Promise<void> {
  const config = run.config;
  const name = role.containerName(version);
  const proxy = role.runningProxy ? role.proxy : null;
  const steps: BatchStep[] = [
    // The probe first: the container is as the proxy last saw it.
    ...(proxy === null ? [] : [{ command: probes.probeHealth(name, proxy.appPort, proxy.healthcheck.path), allowFailure: true, label: "probe" }]),
    { command: probes.containerFacts(name), allowFailure: true, label: "state" },
    { command: probes.listeningInContainer(name), allowFailure: true, label: "listening" },
    { command: appCommands.failedContainerLogs(config, role, version, FORENSIC_LOG_LINES), allowFailure: true, label: "logs" },
    ...after,
  ];
  let results: BatchStepResult[];
  try {
    results = await run.batch(host, steps);
  } catch (error) {
    run.output.error(`Could not fetch logs for ${version} on ${host}: ${(error as Error).message}`);
    return;
  }
  const step = (label: string): BatchStepResult | undefined => results.find((result) => result.label === label && result.ran);
  const facts = parseContainerFacts(step("state")?.stdout ?? "");
  const listening = step("listening");
  const listeners = listening?.code === 0 ? parseListeners(listening.stdout) : undefined;
  const probeResult = step("probe");
  const probe = probeResult === undefined ? undefined : parseProbe(probeResult.stdout);
  const startedAt = Date.parse(facts?.state.StartedAt ?? "");
  const evidence: Evidence = {
    proxied: proxy !== null,
    appPort: proxy?.appPort ?? 0,
    healthPath: proxy?.healthcheck.path ?? "",
    deployTimeoutSeconds: config.deployTimeout,
    facts,
    listeners,
    probe,
    runningSeconds: Number.isNaN(startedAt) || facts?.state.Running !== true ? undefined : (Date.now() - startedAt) / 1000,
  };

  const say = (line: string): void => run.output.error(line);
  say(`${name} on ${host}: ${describeState(facts, evidence.runningSeconds)}`);
  const logs = (step("logs")?.stdout ?? "").trimEnd();
  say(`Last ${FORENSIC_LOG_LINES} log lines of ${name} on ${host}:${logs === "" ? " (none)" : ""}`);
  for (const line of logs === "" ? [] : logs.split("\n")) say(`  ${line}`);
  if (proxy !== null) say(`Health check of ${name} on ${host}: ${describeProbe(facts, proxy.appPort, proxy.healthcheck.path, probe)}`);
  if (proxy !== null && listeners !== undefined) say(`Listening in ${name}: ${listeners.length === 0 ? "nothing" : listeners.map(describeListener).join(", ")}`);
  const health = describeDockerHealth(facts);
  if (health !== undefined) say(`Docker health of ${name} on ${host}: ${health}`);
  for (const hint of diagnose(evidence)) say(`Hint: ${hint.text}`);
}

function describeState(facts: ContainerFacts | undefined, runningSeconds: number | undefined): string {
  if (facts === undefined) return "gone (it could not be inspected)";
  const state = facts.state;
  const restarts = `restarted ${facts.restartCount} time${facts.restartCount === 1 ? "" : "s"}`;
  const error = state.Error ? `, error: ${state.Error}` : "";
  if (state.Restarting === true) return `restarting, last exit code ${state.ExitCode ?? "?"}, ${restarts}${error}`;
  const since = runningSeconds === undefined ? `since ${state.StartedAt ?? "?"}` : `for ${Math.round(runningSeconds)} s`;
  if (state.Running === true) return `running ${since}, ${restarts}${facts.restartCount > 0 ? `, last exit code ${state.ExitCode ?? "?"}` : ""}`;
  return `${state.Status ?? "stopped"}, exit code ${state.ExitCode ?? "?"}${state.OOMKilled ? " (OOMKilled)" : ""}, ${restarts}${error}`;
}

/** The URL the proxy asks, and what the same request got from the host. */
function describeProbe(facts: ContainerFacts | undefined, port: number, path: string, probe: ProbeOutcome | undefined): string {
  const asked = `the proxy asks http://${facts?.id.slice(0, 12) || "<container id>"}:${port}${path.startsWith("/") ? path : `/${path}`}`;
  if (probe === undefined) return `${asked}; not probed`;
  if (probe.kind === "not probed") return `${asked}; not probed: ${probe.reason}`;
  const from = `asked from the host (${probe.url})`;
  if (probe.kind !== "response") return `${asked}; ${from}: ${probe.message}`;
  const location = probe.location === undefined ? "" : `, Location: ${probe.location}`;
  const body = probe.body === "" ? "empty body" : `body ${JSON.stringify(probe.body.slice(0, 120))}`;
  return `${asked}; ${from}: ${probe.status}${location}, ${body}`;
}

function describeListener(listener: Listener): string {
  return listener.address.includes(":") ? `[${listener.address}]:${listener.port}` : `${listener.address}:${listener.port}`;
}

function describeDockerHealth(facts: ContainerFacts | undefined): string | undefined {
  const health = facts?.state.Health;
  if (facts?.healthcheck === undefined || health === undefined || health === null) return undefined;
  const last = health.Log?.at(-1);
  const check = facts.healthcheck.slice(facts.healthcheck[0]?.startsWith("CMD") ? 1 : 0).join(" ");
  const lastText = last === undefined ? "no check ran yet" : `last check exited ${last.ExitCode ?? "?"}: ${(last.Output ?? "").trim().replace(/\s*\n\s*/g, " ").slice(0, 200) || "no output"}`;
  return `${health.Status ?? "unknown"} (${check}); ${lastText}`;
}
