// Several steps on one host in as few round trips as possible (Run#batch): an operation that an
// open carrier takes (the host's Docker API, the proxy's control socket) goes by it; the others
// go in shell batches between them, in order, each one SSH round trip.
import { randomBytes } from "node:crypto";
import { batching, render } from "../commands/index.js";
import type { BatchStep, BatchStepResult } from "../commands/batch.js";
import type { Operation } from "../commands/operation.js";
import type { Level } from "../output/index.js";
import { CommandFailedError, type Transport } from "../transport/index.js";
import type { Carrier } from "./services.js";
import type { DisplayBridge } from "./display.js";
import type { Reachability } from "./reachability.js";

/** What a batch needs of its run. */
export interface BatchContext {
  readonly remote: () => Promise<Transport>;
  readonly reachability: Reachability;
  readonly display: DisplayBridge;
  readonly carrierFor: (host: string, operation: Operation) => Promise<Carrier | undefined>;
}

export interface BatchOptions {
  readonly level?: Level;
  readonly loginShell?: boolean;
}

/**
 * Throws for the first required step that failed, with SSHKit's message naming that step;
 * returns every step's result otherwise.
 */
export async function runBatch(context: BatchContext, host: string, steps: readonly (Operation | BatchStep)[], options: BatchOptions = {}): Promise<BatchStepResult[]> {
  if (steps.length === 0) return [];
  const normalized = steps.map(batching.toStep);
  const carriers = await Promise.all(normalized.map((step) => context.carrierFor(host, step.command)));
  if (carriers.every((carrier) => carrier === undefined)) return shellBatch(context, host, normalized, options);
  const results: BatchStepResult[] = [];
  for (let index = 0; index < normalized.length; ) {
    const step = normalized[index]!;
    const carrier = carriers[index];
    if (carrier !== undefined) {
      const outcome = await carrier(options.level ?? "info");
      results.push({ index, label: step.label, ran: true, ...outcome });
      if (outcome.code !== 0 && !step.allowFailure) throw new CommandFailedError(host, render(step.command), outcome.code, outcome.stdout, outcome.stderr);
      index++;
      continue;
    }
    let end = index;
    while (end < normalized.length && carriers[end] === undefined) end++;
    const offset = index;
    results.push(...(await shellBatch(context, host, normalized.slice(index, end), options)).map((result) => ({ ...result, index: result.index + offset })));
    index = end;
  }
  return results;
}

async function shellBatch(context: BatchContext, host: string, steps: readonly BatchStep[], options: BatchOptions): Promise<BatchStepResult[]> {
  const batch = batching.batch(steps, { nonce: randomBytes(8).toString("hex") });
  const transport = await context.remote();
  const shown = batch.steps.map((step) => render(step.command)).join(" ; ");
  const result = await context.reachability.guard(host, () => {
    context.display.expect(host, render(batch), { level: options.level ?? "info", shown, hideLinesWith: batch.marker });
    return transport.run(host, batch, { allowFailure: true, ...(options.loginShell ? { loginShell: true } : {}) });
  });
  const results = batching.parseBatch(batch, result);
  const failure = batching.firstFailure(results, batch);
  if (failure !== undefined) {
    const step = batch.steps[failure.index]!;
    throw new CommandFailedError(host, render(step.command), failure.code ?? result.code, failure.stdout, failure.stderr);
  }
  if (result.code !== 0) {
    throw new CommandFailedError(host, shown, result.code, result.stdout, result.stderr);
  }
  return results;
}
