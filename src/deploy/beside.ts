// Steps that go by a carrier (the host's Docker API) and shell steps that don't depend on them run
// side by side, each in its own round trip, instead of one after the other.
import type { BatchStep, BatchStepResult } from "../commands/batch.js";
import type { Run } from "./run.js";

/**
 * Runs `shell` beside `carried` where the first carried step goes by a carrier; otherwise as one
 * batch, `shell` first (Kamal's order). Both settle before a failure is reported, the shell's
 * first. Returns the carried steps' results.
 */
export async function besideCarried(run: Run, host: string, shell: readonly BatchStep[], carried: readonly BatchStep[]): Promise<BatchStepResult[]> {
  const first = carried[0];
  if (shell.length === 0 || first === undefined || (await run.services.carrierFor(host, first.command)) === undefined) {
    return (await run.batch(host, [...shell, ...carried])).slice(shell.length);
  }
  const [written, done] = await Promise.allSettled([run.batch(host, shell), run.batch(host, carried)]);
  if (written.status === "rejected") throw written.reason;
  if (done.status === "rejected") throw done.reason;
  return done.value;
}
