// The release phase (`x-berth.release`, Berth only): the release command runs once per deploy in
// a one-off container of the new image on the primary host, with the primary role's env file
// (uploaded first: the new version's), volumes, options and network. The deploy calls it once
// every host holds the image and before any host starts or switches to the new version, so a
// failure leaves every host as it was; the lock is released by the caller's withLock.
import { randomBytes } from "node:crypto";
import { app as appCommands, auditor, envFile } from "../commands/index.js";
import * as releaseCommands from "../commands/release.js";
import { upload } from "../commands/upload.js";
import type { ReleaseSettings, Role } from "../config/index.js";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

/** Exit status the transport gives a command stopped at its timeout. */
const TIMED_OUT = 124;

export class ReleaseError extends BerthError {
  constructor(message: string) {
    super(message, "Berth::ReleaseError");
  }
}

/** Runs the release command; throws a ReleaseError (nothing switched) when it fails or times out. */
export async function runRelease(run: Run, release: ReleaseSettings): Promise<void> {
  const host = run.selection.primaryHost;
  const role = run.selection.primaryRole;
  if (host === undefined || role === undefined) throw new ReleaseError("x-berth.release: there is no primary host to run the release command on");
  const config = run.config;
  const name = releaseCommands.releaseContainerName(config, role, randomBytes(3).toString("hex"));
  const random = name.slice(-6);
  run.say(`Run the release command on ${host}...`);
  await run.batch(
    host,
    [
      await auditStep(run, role, `Running release command in ${name}: ${release.cmd}`),
      { command: appCommands.ensureEnvDirectory(role), label: "env directory" },
      { command: upload(role.envFilePath, envFile.roleEnvFile(config, role, host)), label: "env file" },
    ],
    { level: "debug" },
  );
  run.throwIfInterrupted();

  // A signal stops the container (docker stop: SIGTERM first, so a migration can roll back).
  const stop = (): void => void run.exec(host, releaseCommands.stop(name), { allowFailure: true, level: "debug" }).catch(() => undefined);
  run.interrupted.addEventListener("abort", stop, { once: true });
  const lines = new LineBuffer((line) => run.output.info(`release ${host}| ${line}`));
  const started = performance.now();
  let code: number;
  try {
    const result = await run.exec(host, releaseCommands.run(config, role, { host, command: release.cmd, random }), {
      allowFailure: true,
      timeoutMs: release.timeoutSeconds * 1000,
      onStdout: (chunk) => lines.push(chunk),
    });
    code = result.code;
  } finally {
    run.interrupted.removeEventListener("abort", stop);
    lines.flush();
  }
  const elapsed = (performance.now() - started) / 1000;
  // A plan ran nothing: its audit line shows where the duration goes.
  const seconds = run.planning ? "<seconds>" : elapsed.toFixed(1);
  const timedOut = code === TIMED_OUT && elapsed >= release.timeoutSeconds;
  if (timedOut) await run.exec(host, releaseCommands.stop(name), { allowFailure: true, level: "debug" }).catch(() => undefined);
  run.throwIfInterrupted();
  if (code === 0) {
    await run.batch(host, [await auditStep(run, role, `Release command finished in ${seconds}s`)], { level: "debug" });
    run.output.info(`Release command finished on ${host} in ${seconds}s`);
    return;
  }
  const why = timedOut ? `did not finish within x-berth.release.timeout (${release.timeoutSeconds}s) and was stopped` : `failed with exit status ${code}`;
  await run.batch(host, [await auditStep(run, role, `Release command ${why}`)], { level: "debug" }).catch(() => undefined);
  throw new ReleaseError(`The release command \`${release.cmd}\` ${why} on ${host}; no host was switched to ${config.version}, the version that ran before keeps serving`);
}

async function auditStep(run: Run, role: Role, line: string): Promise<{ command: ReturnType<typeof auditor.record>; label: string }> {
  return { command: auditor.record(run.config, await run.tags(), line, { role: role.name }), label: "audit" };
}

/** Chunks of output → whole lines (the last, unfinished one on flush). */
class LineBuffer {
  private partial = "";
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.emit(line);
  }
  flush(): void {
    if (this.partial !== "") this.emit(this.partial);
    this.partial = "";
  }
}
