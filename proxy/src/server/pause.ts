// Pause/stop/resume for one service (kamal-proxy's PauseController): paused requests wait
// for resume up to the pause timeout; stopped requests get 503 with the stop message.

export type PauseState = "running" | "paused" | "stopped";

export type WaitOutcome = { action: "proceed" } | { action: "stopped"; message: string } | { action: "timed_out" };

export class PauseController {
  state: PauseState = "running";
  stopMessage = "";
  failAfterMs = 0;
  private waiters = new Set<(outcome: WaitOutcome) => void>();

  pause(failAfterMs: number): void {
    this.state = "paused";
    this.failAfterMs = failAfterMs;
  }

  stop(message: string): void {
    this.state = "stopped";
    this.stopMessage = message;
    this.release({ action: "stopped", message });
  }

  resume(): void {
    this.state = "running";
    this.stopMessage = "";
    this.release({ action: "proceed" });
  }

  /** Synchronous answer when not paused; otherwise the caller waits for `callback`. */
  check(): WaitOutcome | null {
    if (this.state === "running") return { action: "proceed" };
    if (this.state === "stopped") return { action: "stopped", message: this.stopMessage };
    return null;
  }

  /** Waits while paused: resume → proceed, stop → stopped, pause timeout → timed_out. Returns a cancel function. */
  wait(callback: (outcome: WaitOutcome) => void): () => void {
    const timer = setTimeout(() => {
      this.waiters.delete(waiter);
      callback({ action: "timed_out" });
    }, this.failAfterMs);
    const waiter = (outcome: WaitOutcome): void => {
      clearTimeout(timer);
      callback(outcome);
    };
    this.waiters.add(waiter);
    return () => {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    };
  }

  private release(outcome: WaitOutcome): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter(outcome);
  }
}
