// The state file: kamal-proxy's JSON layout (field names, Go nanosecond durations), written
// atomically (temp file + rename) so a crash never leaves a half-written file.
import fs from "node:fs";
import path from "node:path";
import { NS_PER_MS } from "../util/duration.js";
import {
  defaultServiceOptions,
  defaultTargetOptions,
  normalizeServiceOptions,
  type ServiceOptions,
  type TargetOptions,
} from "./options.js";
import type { PauseState } from "./pause.js";

export interface ServiceRecord {
  name: string;
  options: ServiceOptions;
  targetOptions: TargetOptions;
  activeTargets: string[];
  activeReaders: string[];
  rolloutTargets: string[];
  rolloutReaders: string[];
  pause: { state: PauseState; stopMessage: string; failAfterMs: number };
  rollout: { percentage: number; allowlist: string[] } | null;
}

type Json = Record<string, unknown>;

const PAUSE_STATES: PauseState[] = ["running", "paused", "stopped"];

function ns(ms: number): number {
  return Math.round(ms * NS_PER_MS);
}

export function toStateJson(records: readonly ServiceRecord[]): unknown[] {
  return records.map((record) => ({
    name: record.name,
    options: {
      hosts: record.options.hosts,
      path_prefixes: record.options.pathPrefixes,
      tls_enabled: record.options.tlsEnabled,
      tls_certificate_path: record.options.tlsCertificatePath,
      tls_private_key_path: record.options.tlsPrivateKeyPath,
      tls_redirect: record.options.tlsRedirect,
      acme_directory: record.options.acmeDirectory,
      acme_cache_path: record.options.acmeCachePath,
      error_page_path: record.options.errorPagePath,
      strip_prefix: record.options.stripPrefix,
      writer_affinity_timeout: ns(record.options.writerAffinityTimeoutMs),
      read_targets_accept_websockets: record.options.readTargetsAcceptWebsockets,
      canonical_host: record.options.canonicalHost,
    },
    target_options: {
      health_check_config: {
        path: record.targetOptions.healthCheck.path,
        port: record.targetOptions.healthCheck.port,
        interval: ns(record.targetOptions.healthCheck.intervalMs),
        timeout: ns(record.targetOptions.healthCheck.timeoutMs),
        host: record.targetOptions.healthCheck.host,
      },
      response_timeout: ns(record.targetOptions.responseTimeoutMs),
      buffer_requests: record.targetOptions.bufferRequests,
      buffer_responses: record.targetOptions.bufferResponses,
      max_memory_buffer_size: record.targetOptions.maxMemoryBufferSize,
      max_request_body_size: record.targetOptions.maxRequestBodySize,
      max_response_body_size: record.targetOptions.maxResponseBodySize,
      log_request_headers: record.targetOptions.logRequestHeaders,
      log_response_headers: record.targetOptions.logResponseHeaders,
      forward_headers: record.targetOptions.forwardHeaders,
    },
    active_targets: record.activeTargets,
    active_readers: record.activeReaders,
    rollout_targets: record.rolloutTargets,
    rollout_readers: record.rolloutReaders,
    pause_controller: {
      state: PAUSE_STATES.indexOf(record.pause.state),
      stop_message: record.pause.stopMessage,
      fail_after: ns(record.pause.failAfterMs),
    },
    rollout_controller:
      record.rollout === null ? null : { percentage: record.rollout.percentage, allowlist: record.rollout.allowlist },
  }));
}

const str = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);
const bool = (value: unknown, fallback: boolean): boolean => (typeof value === "boolean" ? value : fallback);
const num = (value: unknown, fallback: number): number => (typeof value === "number" && Number.isFinite(value) ? value : fallback);
const ms = (value: unknown, fallbackMs: number): number => (typeof value === "number" ? value / NS_PER_MS : fallbackMs);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item) => typeof item === "string") : []);
const obj = (value: unknown): Json => (typeof value === "object" && value !== null ? (value as Json) : {});

/** Reads kamal-proxy's state JSON (including its legacy single-target fields). */
export function fromStateJson(data: unknown): ServiceRecord[] {
  if (!Array.isArray(data)) throw new Error("state file is not a JSON array");
  const serviceDefaults = defaultServiceOptions();
  const targetDefaults = defaultTargetOptions();
  return data.map((raw): ServiceRecord => {
    const item = obj(raw);
    const options = obj(item.options);
    const targetOptions = obj(item.target_options);
    const health = obj(targetOptions.health_check_config);
    const pause = obj(item.pause_controller);
    let activeTargets = strings(item.active_targets);
    if (activeTargets.length === 0 && typeof item.active_target === "string") activeTargets = [item.active_target];
    let rolloutTargets = strings(item.rollout_targets);
    if (rolloutTargets.length === 0 && typeof item.rollout_target === "string" && item.rollout_target !== "") {
      rolloutTargets = [item.rollout_target];
    }
    let hosts = strings(options.hosts);
    if (hosts.length === 0) hosts = strings(item.hosts);
    let prefixes = strings(options.path_prefixes);
    if (prefixes.length === 0) prefixes = strings(item.path_prefixes);
    const rollout = item.rollout_controller === null || item.rollout_controller === undefined ? null : obj(item.rollout_controller);
    const pauseState = pause.state;
    return {
      name: str(item.name, ""),
      options: normalizeServiceOptions({
        hosts,
        pathPrefixes: prefixes,
        tlsEnabled: bool(options.tls_enabled, false),
        tlsCertificatePath: str(options.tls_certificate_path, ""),
        tlsPrivateKeyPath: str(options.tls_private_key_path, ""),
        tlsRedirect: bool(options.tls_redirect, serviceDefaults.tlsRedirect),
        acmeDirectory: str(options.acme_directory, serviceDefaults.acmeDirectory),
        acmeCachePath: str(options.acme_cache_path, ""),
        errorPagePath: str(options.error_page_path, ""),
        stripPrefix: bool(options.strip_prefix, serviceDefaults.stripPrefix),
        writerAffinityTimeoutMs: ms(options.writer_affinity_timeout, serviceDefaults.writerAffinityTimeoutMs),
        readTargetsAcceptWebsockets: bool(options.read_targets_accept_websockets, false),
        canonicalHost: str(options.canonical_host, ""),
      }),
      targetOptions: {
        healthCheck: {
          path: str(health.path, targetDefaults.healthCheck.path) || targetDefaults.healthCheck.path,
          port: num(health.port, 0),
          intervalMs: ms(health.interval, targetDefaults.healthCheck.intervalMs) || targetDefaults.healthCheck.intervalMs,
          timeoutMs: ms(health.timeout, targetDefaults.healthCheck.timeoutMs) || targetDefaults.healthCheck.timeoutMs,
          host: str(health.host, ""),
        },
        responseTimeoutMs: ms(targetOptions.response_timeout, targetDefaults.responseTimeoutMs),
        bufferRequests: bool(targetOptions.buffer_requests, false),
        bufferResponses: bool(targetOptions.buffer_responses, false),
        maxMemoryBufferSize: num(targetOptions.max_memory_buffer_size, targetDefaults.maxMemoryBufferSize),
        maxRequestBodySize: num(targetOptions.max_request_body_size, 0),
        maxResponseBodySize: num(targetOptions.max_response_body_size, 0),
        logRequestHeaders: strings(targetOptions.log_request_headers),
        logResponseHeaders: strings(targetOptions.log_response_headers),
        forwardHeaders: bool(targetOptions.forward_headers, !bool(options.tls_enabled, false)),
      },
      activeTargets,
      activeReaders: strings(item.active_readers),
      rolloutTargets,
      rolloutReaders: strings(item.rollout_readers),
      pause: {
        state: typeof pauseState === "number" ? (PAUSE_STATES[pauseState] ?? "running") : "running",
        stopMessage: str(pause.stop_message, ""),
        failAfterMs: ms(pause.fail_after, 30_000),
      },
      rollout:
        rollout === null ? null : { percentage: num(rollout.percentage, 0), allowlist: strings(rollout.allowlist) },
    };
  });
}

export function saveState(file: string, records: readonly ServiceRecord[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, "w", 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(toStateJson(records)) + "\n");
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

/** The saved services, or [] when there is no state file yet. */
export function loadState(file: string): ServiceRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return fromStateJson(JSON.parse(text));
}
