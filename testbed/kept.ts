// A kept bed: one started with `keepRunning` (for `berth demo`) outlives the process that started
// it. Its record (bed.json in its work directory) lets a later process find it, check that it still
// answers, and use it again; the next bed started for anything else removes it, and says so.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerPing, sshBanner } from "./host.js";
import { isAlive } from "./cleanup.js";
import { registryAnswers } from "./registry.js";

export interface KeptHost {
  readonly index: number;
  readonly name: string;
  readonly ip: string;
  readonly stateDir: string;
  readonly hostPublicKey: string;
  readonly initPid: number;
}

export interface KeptBedRecord {
  readonly name: string;
  /** Who keeps it, for the notice when another bed removes it: "berth demo". */
  readonly keptBy: string;
  readonly workDir: string;
  readonly hosts: readonly KeptHost[];
  readonly registryPid: number;
  readonly client: { readonly keyPath: string; readonly knownHostsPath: string; readonly configPath: string };
}

const RECORD = "bed.json";

export function writeKeptBed(record: KeptBedRecord): void {
  writeFileSync(join(record.workDir, RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

export function readKeptBed(workDir: string): KeptBedRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(workDir, RECORD), "utf8")) as KeptBedRecord;
  } catch {
    return undefined;
  }
}

/** Kept beds under `root` whose processes still run (at most one, as beds share the addresses). */
export function runningKeptBeds(root: string): KeptBedRecord[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries
    .filter((entry) => !entry.startsWith("."))
    .map((entry) => readKeptBed(join(root, entry)))
    .filter((record): record is KeptBedRecord => record !== undefined && record.hosts.some((host) => isAlive(host.initPid)));
}

/** True when every daemon of the kept bed is alive and answering: its dockerds, sshds and registry. */
export async function keptBedAnswers(record: KeptBedRecord): Promise<boolean> {
  if (!isAlive(record.registryPid) || record.hosts.some((host) => !isAlive(host.initPid))) return false;
  const checks = await Promise.all([
    registryAnswers(),
    ...record.hosts.map((host) => dockerPing(join(host.stateDir, "run/docker.sock"))),
    ...record.hosts.map((host) => sshBanner(host.ip)),
  ]);
  return checks.every(Boolean);
}
