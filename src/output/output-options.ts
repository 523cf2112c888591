// How an `Output` is set up: where it writes, how much, in which format.
import type { LiveView } from "./live.js";

/** `-v` shows debug lines and command output, `-q` only errors; Kamal's SSHKit verbosities. */
export type Verbosity = "debug" | "info" | "error";
export type OutputFormat = "text" | "json";
export type SayColor = "magenta" | "red" | "yellow" | "green" | "cyan" | "blue";

export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

export interface OutputOptions {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly verbosity?: Verbosity;
  readonly format?: OutputFormat;
  /** Colours for text output; JSON output never has any. */
  readonly color?: boolean;
  /** When set, command lines are replaced by this live view (see `createOutput`). */
  readonly live?: LiveView;
  /** Timestamps of JSON events. */
  readonly now?: () => Date;
}
