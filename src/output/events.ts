// The contract between whatever runs commands (the transport, local hooks) and the output.
// A runner announces each command three ways: started, produced output, finished. The output
// decides what to show (Kamal lines, live view, JSON events) and always redacts.

import { randomBytes } from "node:crypto";
import type { Cmd } from "../commands/cmd.js";

/** SSHKit's log levels, lowest first. */
export type Level = "debug" | "info" | "warn" | "error" | "fatal";

export interface CommandStartEvent {
  /** 8 hex characters shared by every line of one command run (see `newCommandId`). */
  readonly id: string;
  /** The host as shown: `1.1.1.1`, or `localhost` for local runs. */
  readonly host: string;
  /** Shown as `as user@host` instead of `on host` when set (SSHKit prints it for local runs). */
  readonly user?: string;
  /** The command as built; it is printed with `render(cmd)`, so Redacted parts stay hidden. */
  readonly command: Cmd;
  /** What actually runs, when it differs (env exports, `cd`, sudo wrappers); the DEBUG `Command:` line. */
  readonly wrapped?: Cmd;
  /** The level of the Running/Finished lines; audit and lock commands use "debug". Default "info". */
  readonly level?: Level;
}

export interface CommandOutputEvent {
  readonly id: string;
  readonly host: string;
  readonly stream: "stdout" | "stderr";
  /** A chunk as received; the output splits it into lines itself (partial lines are held back). */
  readonly data: string;
}

export interface CommandFinishEvent {
  readonly id: string;
  readonly host: string;
  readonly exitStatus: number;
  readonly seconds: number;
}

/** Implemented by `Output`; the transport calls these for every command it runs. */
export interface OutputEvents {
  commandStart(event: CommandStartEvent): void;
  commandOutput(event: CommandOutputEvent): void;
  commandFinish(event: CommandFinishEvent): void;
}

/** SSHKit's command uuid: 4 random bytes as 8 hex characters. */
export function newCommandId(): string {
  return randomBytes(4).toString("hex");
}
