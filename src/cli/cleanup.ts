// Work that must happen however a command ends (success, error, Ctrl-C): releasing the deploy
// lock, closing SSH master connections. Handlers run last-registered first, each at most once.

export type CleanupHandler = () => void | Promise<void>;

export class CleanupRegistry {
  private readonly handlers: CleanupHandler[] = [];
  private running: Promise<unknown[]> | undefined;

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

/**
 * Ctrl-C (and SIGTERM) run the cleanup handlers, then exit with 128 + signal number (130 for
 * SIGINT). A second signal while cleaning up exits at once.
 */
export function exitOnSignals(
  registry: CleanupRegistry,
  proc: SignalProcess = process,
  onSignal: (signal: NodeJS.Signals) => void = () => {},
): () => void {
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  let exiting = false;
  const listeners = (Object.keys(codes) as NodeJS.Signals[]).map((signal) => {
    const code = codes[signal]!;
    const listener = (): void => {
      if (exiting) proc.exit(code);
      exiting = true;
      onSignal(signal);
      void registry.run().finally(() => proc.exit(code));
    };
    proc.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => listeners.forEach(([signal, listener]) => proc.off(signal, listener));
}
