// Fan-out of transport events to observers, plus the counters every transport keeps.
import { randomBytes } from "node:crypto";
import type { HostStats, TransportObserver, TransportStats } from "./types.js";

export class Observers {
  private readonly list: TransportObserver[];

  constructor(initial: readonly TransportObserver[] = []) {
    this.list = [...initial];
  }

  add(observer: TransportObserver): () => void {
    this.list.push(observer);
    return () => {
      const index = this.list.indexOf(observer);
      if (index >= 0) this.list.splice(index, 1);
    };
  }

  emit<K extends keyof TransportObserver>(name: K, event: Parameters<NonNullable<TransportObserver[K]>>[0]): void {
    for (const observer of this.list) {
      (observer[name] as ((event: unknown) => void) | undefined)?.call(observer, event);
    }
  }
}

/** SSHKit-style command id: 8 hex digits. */
export const commandId = (): string => randomBytes(4).toString("hex");

export class StatsCounter {
  private readonly totals = { connectionsOpened: 0, commandsRun: 0, uploads: 0, bytesUploaded: 0 };
  private readonly perHost = new Map<string, HostStats>();

  connectionOpened(host: string): void {
    this.totals.connectionsOpened++;
    this.host(host).connectionsOpened++;
  }

  commandRun(host: string): void {
    this.totals.commandsRun++;
    this.host(host).commandsRun++;
  }

  uploaded(bytes: number): void {
    this.totals.uploads++;
    this.totals.bytesUploaded += bytes;
  }

  snapshot(): TransportStats {
    const hosts: Record<string, HostStats> = {};
    for (const [host, stats] of this.perHost) hosts[host] = { ...stats };
    return { ...this.totals, hosts };
  }

  private host(host: string): HostStats {
    let stats = this.perHost.get(host);
    if (!stats) this.perHost.set(host, (stats = { connectionsOpened: 0, commandsRun: 0 }));
    return stats;
  }
}
