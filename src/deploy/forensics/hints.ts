// Why a new container never became healthy, from the evidence: one hint per known cause that the
// evidence shows, each with what to change. Pure.
import type { ContainerFacts, HealthLogEntry, Listener, ProbeOutcome } from "./evidence.js";

export type Cause = "crash loop" | "exited" | "out of memory" | "healthcheck command missing" | "healthcheck failing" | "listens on loopback" | "wrong app_port" | "redirect to https" | "health path fails" | "slow boot";

export interface Hint {
  readonly cause: Cause;
  readonly text: string;
}

export interface Evidence {
  /** The role's containers are behind the proxy (it probes the health URL); otherwise Docker's health or state decides. */
  readonly proxied: boolean;
  readonly appPort: number;
  readonly healthPath: string;
  readonly deployTimeoutSeconds: number;
  /** Undefined when the container couldn't be inspected (gone). */
  readonly facts: ContainerFacts | undefined;
  /** Undefined when they couldn't be read (the container isn't running). */
  readonly listeners: readonly Listener[] | undefined;
  readonly probe: ProbeOutcome | undefined;
  /** Seconds since the container (last) started. */
  readonly runningSeconds: number | undefined;
}

const MISSING_COMMAND = /not found|executable file not found|no such file or directory/i;

export function diagnose(evidence: Evidence): Hint[] {
  const facts = evidence.facts;
  if (facts === undefined) return [];
  const hints: Hint[] = [];
  const state = facts.state;
  const stopped = state.Running !== true;
  const exitCode = state.ExitCode ?? 0;
  if (state.OOMKilled === true) {
    hints.push({ cause: "out of memory", text: "The kernel killed it for using too much memory (OOMKilled): raise the role's memory limit (options: memory) or make the app use less." });
  } else if (state.Restarting === true || facts.restartCount > 0 || (stopped && exitCode !== 0)) {
    const restarts = facts.restartCount > 0 ? `, restarted ${facts.restartCount} time${facts.restartCount === 1 ? "" : "s"}` : "";
    hints.push({ cause: "crash loop", text: `It keeps exiting (exit code ${exitCode}${restarts}): a crash loop. The log lines above say why it stops: often a missing env var or secret, a migration not run, or a bad cmd.` });
  } else if (stopped && exitCode === 0) {
    hints.push({ cause: "exited", text: "Its command exited with status 0: the image's CMD (or the role's cmd) must keep running in the foreground." });
  }

  const health = lastHealthLog(facts);
  if (facts.healthcheck !== undefined && health !== undefined && (health.ExitCode === 127 || (health.ExitCode !== 0 && MISSING_COMMAND.test(health.Output ?? "")))) {
    hints.push({
      cause: "healthcheck command missing",
      text: `Its Docker HEALTHCHECK (${describeHealthcheck(facts.healthcheck)}) can't run in the image: ${oneLine(health.Output ?? "")}. Install that command in the image, or change the HEALTHCHECK to one the image has.`,
    });
  } else if (!evidence.proxied && facts.state.Health?.Status === "unhealthy" && health !== undefined) {
    hints.push({ cause: "healthcheck failing", text: `Its Docker HEALTHCHECK fails (exit ${health.ExitCode ?? "?"}: ${oneLine(health.Output ?? "no output")}).` });
  }

  if (stopped) return hints;
  if (evidence.proxied) hints.push(...proxiedHints(evidence));
  else if (facts.state.Health?.Status === "starting") hints.push(slowBoot(evidence, "its Docker HEALTHCHECK hasn't passed yet"));
  return hints;
}

function proxiedHints(evidence: Evidence): Hint[] {
  const { appPort, listeners, probe } = evidence;
  const onPort = (listeners ?? []).filter((listener) => listener.port === appPort);
  if (onPort.length > 0 && onPort.every((listener) => listener.loopback)) {
    return [
      {
        cause: "listens on loopback",
        text: `The app listens on ${onPort.map((listener) => address(listener)).join(" and ")} only, inside its container: the proxy can't reach that. Make it listen on 0.0.0.0 (e.g. bin/rails server -b 0.0.0.0, or HOST=0.0.0.0 for many frameworks).`,
      },
    ];
  }
  const elsewhere = (listeners ?? []).filter((listener) => listener.port !== appPort && !listener.loopback);
  if (listeners !== undefined && onPort.length === 0 && elsewhere.length > 0) {
    const ports = [...new Set(elsewhere.map((listener) => listener.port))];
    return [
      {
        cause: "wrong app_port",
        text: `Nothing listens on port ${appPort} (proxy.app_port) in the container; the app listens on ${ports.join(", ")}. Set proxy.app_port: ${ports[0]}, or make the app listen on ${appPort}.`,
      },
    ];
  }
  if (probe?.kind === "response") {
    if (probe.status >= 300 && probe.status < 400 && /^https:/i.test(probe.location ?? "")) {
      return [
        {
          cause: "redirect to https",
          text: `GET ${evidence.healthPath} answers ${probe.status} to ${probe.location}: the app forces HTTPS, but the proxy checks over plain HTTP (it ends TLS itself). Exempt the health check path from the redirect (Rails: config.ssl_options = { redirect: { exclude: ->(request) { request.path == "${evidence.healthPath}" } } }).`,
        },
      ];
    }
    if (probe.status >= 200 && probe.status < 300) return [slowBoot(evidence, `it answers ${probe.status} now`)];
    return [
      {
        cause: "health path fails",
        text: `GET ${evidence.healthPath} answers ${probe.status}: the proxy needs a 2xx there. Add a health check route at ${evidence.healthPath}, or set proxy.healthcheck.path to one the app answers.`,
      },
    ];
  }
  if (listeners !== undefined && listeners.length === 0) return [slowBoot(evidence, "nothing listens in the container yet")];
  return [];
}

function slowBoot(evidence: Evidence, now: string): Hint {
  const since = evidence.runningSeconds === undefined ? "" : `, ${Math.round(evidence.runningSeconds)} s after it started`;
  return {
    cause: "slow boot",
    text: `It is still running, and ${now}${since}: it boots slower than deploy_timeout (${evidence.deployTimeoutSeconds} s) allows. Raise deploy_timeout, or make the boot faster; if it never gets further, its log lines above show where it stops.`,
  };
}

function lastHealthLog(facts: ContainerFacts): HealthLogEntry | undefined {
  return facts.state.Health?.Log?.at(-1) ?? undefined;
}

function describeHealthcheck(test: readonly string[]): string {
  const [kind, ...rest] = test;
  return kind === "CMD-SHELL" ? rest.join(" ") : kind === "CMD" ? rest.join(" ") : test.join(" ");
}

function address(listener: Listener): string {
  return listener.address.includes(":") ? `[${listener.address}]:${listener.port}` : `${listener.address}:${listener.port}`;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " ").slice(0, 300);
}
