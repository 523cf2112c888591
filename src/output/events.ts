// The contract between whatever runs commands (the transport, local hooks) and the output. A
// runner announces each command three ways: started, produced output, finished. The output
// decides what to show (Kamal lines, live view, JSON events) and always redacts.
//
// These shapes match the transport's `TransportObserver` events (src/transport/types.ts), so an
// `Output` can be passed to `transport.observe(output)` as it is; the optional extras (`level`,
// `user`, `wrapped`) are for runners that know them.

import { randomBytes } from "node:crypto";
import type { Cmd } from "../core/cmd.js";

/** SSHKit's log levels, lowest first. */
export type Level = "debug" | "info" | "warn" | "error" | "fatal";

export interface CommandStartedEvent {
  /** 8 hex characters shared by every line of one command run (see `newCommandId`). */
  readonly id: string;
  /** The host as shown: `1.1.1.1`, or `localhost` for local runs. */
  readonly host: string;
  readonly kind?: "command" | "upload";
  /** The command: a Cmd is printed with `render(cmd)`; a string must already be redacted. */
  readonly command: string | Cmd;
  /** What actually runs, when it differs (env exports, wrappers); the DEBUG `Command:` line. */
  readonly wrapped?: string | Cmd;
  /** Shown as `as user@host` instead of `on host` when set (SSHKit does for local runs). */
  readonly user?: string;
  /** The level of the Running/Finished lines; audit and lock commands use "debug". Default "info". */
  readonly level?: Level;
}

export interface CommandOutputEvent {
  readonly id: string;
  readonly host: string;
  readonly stream: "stdout" | "stderr";
  /** As received; the output splits it into lines itself (a partial line waits for the rest). */
  readonly chunk: string;
}

export interface CommandFinishedEvent {
  readonly id: string;
  readonly host: string;
  readonly exitStatus: number;
  readonly durationMs: number;
  /** Set when the connection failed rather than the command. */
  readonly connectionError?: string;
}

export interface ConnectionOpenedEvent {
  readonly host: string;
  readonly durationMs: number;
}

export interface ConnectionFailedEvent {
  readonly host: string;
  readonly durationMs: number;
  readonly message: string;
}

/** Implemented by `Output`; the transport calls these for every command it runs. */
export interface OutputEvents {
  commandStarted(event: CommandStartedEvent): void;
  commandOutput(event: CommandOutputEvent): void;
  commandFinished(event: CommandFinishedEvent): void;
  connectionOpened(event: ConnectionOpenedEvent): void;
  connectionFailed(event: ConnectionFailedEvent): void;
}

/** SSHKit's command uuid: 4 random bytes as 8 hex characters. */
export function newCommandId(): string {
  return randomBytes(4).toString("hex");
}
