// Which hosts a run has lost. A deploy that finds a host unreachable (its connection failed to
// open, or was lost midway) doesn't try it again: every later command there (fetching a failed
// container's logs, putting things back, the lock's release) fails at once with the same error
// instead of waiting for another connection attempt to time out.
import { SshConnectionError } from "../transport/index.js";

export class Reachability {
  private readonly lost = new Map<string, Error>();

  /** The error that made the host unreachable in this run, if it is. */
  failure(host: string): Error | undefined {
    return this.lost.get(host);
  }

  /** Records the host as unreachable (the first reason is kept). */
  markLost(host: string, error: Error): void {
    if (!this.lost.has(host)) this.lost.set(host, error);
  }

  /** Runs work on the host unless it is unreachable; a connection failure makes it so. */
  async guard<T>(host: string, work: () => Promise<T>): Promise<T> {
    const lost = this.lost.get(host);
    if (lost !== undefined) throw lost;
    try {
      return await work();
    } catch (error) {
      if (error instanceof SshConnectionError) this.markLost(host, error);
      throw error;
    }
  }
}
