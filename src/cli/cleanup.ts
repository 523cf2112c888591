// Work that must happen however a command ends (success, error, Ctrl-C): releasing the deploy
// lock, closing SSH master connections. Handlers run last-registered first, each at most once.

import { setMaxListeners } from "node:events";
import { InterruptedError } from "../util/errors.js";

export type CleanupHandler = () => void | Promise<void>;

export class CleanupRegistry {
  private readonly handlers: CleanupHandler[] = [];
  private running: Promise<unknown[]> | undefined;
  private readonly interruption = new AbortController();
  private windingDown = 0;

  constructor() {
    // Each request in flight (a Docker API call per host, say) listens for the interruption: on a
    // fleet, many more than Node's default of 10, which it would warn about as a leak on stderr.
    setMaxListeners(0, this.interruption.signal);
  }

  /** Aborted, with an InterruptedError naming the signal as reason, when a signal asks the command to stop. */
  get interrupted(): AbortSignal {
    return this.interruption.signal;
  }

  /** The signal that interrupted the command, if one did. */
  get interruptedBy(): NodeJS.Signals | undefined {
    const reason: unknown = this.interruption.signal.reason;
    return reason instanceof InterruptedError ? (reason.signal as NodeJS.Signals) : undefined;
  }

  interrupt(signal: NodeJS.Signals): void {
    this.interruption.abort(new InterruptedError(signal, `Interrupted by ${signal}`));
  }

  /**
   * Declares that the running command stops by itself when interrupted (it watches `interrupted`,
   * puts back what it changed and releases its lock): a signal then waits for it instead of
   * running the cleanup at once (see exitOnSignals). Returns the undo.
   */
  windDownOnSignals(): () => void {
    this.windingDown++;
    let undone = false;
    return () => {
      if (!undone) this.windingDown--;
      undone = true;
    };
  }

  get windsDown(): boolean {
    return this.windingDown > 0;
  }

  /** Registers a handler; the returned function unregisters it (e.g. once the lock is released). */
  onExit(handler: CleanupHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const index = this.handlers.lastIndexOf(handler);
      if (index !== -1) this.handlers.splice(index, 1);
    };
  }

  get size(): number {
    return this.handlers.length;
  }

  /**
   * Runs every handler once, newest first, waiting at most `timeoutMs` in total. Failures are
   * collected, not thrown: one broken handler must not stop the others.
   */
  async run(timeoutMs = 10_000): Promise<unknown[]> {
    this.running ??= this.runAll(timeoutMs);
    return this.running;
  }

  private async runAll(timeoutMs: number): Promise<unknown[]> {
    const failures: unknown[] = [];
    const deadline = Date.now() + timeoutMs;
    while (this.handlers.length > 0) {
      const handler = this.handlers.pop()!;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        failures.push(new Error(`cleanup timed out after ${timeoutMs} ms`));
        break;
      }
      try {
        await withTimeout(Promise.resolve().then(handler), remaining);
      } catch (error) {
        failures.push(error);
      }
    }
    return failures;
  }
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cleanup handler timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface SignalProcess {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): never;
}

/** How long a command that winds down by itself gets before the cleanup runs anyway. */
const WIND_DOWN_GRACE_MS = 60_000;

/**
 * Ctrl-C (and SIGTERM) interrupt the command. One that winds down by itself (a deploy) stops at
 * its next step and puts back what it changed, then returns, and the CLI cleans up and exits;
 * otherwise the cleanup handlers run now, then the process exits with 128 + signal number (130
 * for SIGINT). A second signal runs the cleanup at once (or, while it runs, exits at once).
 */
export function exitOnSignals(
  registry: CleanupRegistry,
  proc: SignalProcess = process,
  onSignal: (signal: NodeJS.Signals) => void = () => {},
  graceMs = WIND_DOWN_GRACE_MS,
): () => void {
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  let cleaning = false;
  const cleanUpAndExit = (signal: NodeJS.Signals, code: number): void => {
    if (cleaning) proc.exit(code);
    cleaning = true;
    onSignal(signal);
    void registry.run().finally(() => proc.exit(code));
  };
  const listeners = (Object.keys(codes) as NodeJS.Signals[]).map((signal) => {
    const code = codes[signal]!;
    const listener = (): void => {
      if (!registry.interrupted.aborted) {
        registry.interrupt(signal);
        if (registry.windsDown) {
          setTimeout(() => cleanUpAndExit(signal, code), graceMs).unref();
          return;
        }
      }
      cleanUpAndExit(signal, code);
    };
    proc.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => listeners.forEach(([signal, listener]) => proc.off(signal, listener));
}
