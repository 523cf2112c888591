// What the carriers beside the shell (the host's Docker API, the proxy's control socket) need of
// the run, and what they give back. They are the run's services (services.ts); the run hands
// each operation of a batch to the carrier that takes it (run.ts, Run.batch).
import type { Cmd } from "../core/cmd.js";
import type { Level, Output } from "../output/index.js";
import type { RunResult } from "../transport/index.js";

/** The run as a carrier sees it (an interface: the carriers don't import the run). */
export interface RunAccess {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly output: Output;
  exec(host: string, command: Cmd, options: { level?: Level; allowFailure?: boolean }): Promise<RunResult>;
  /** Whether the transport can forward sockets (SSH can; --plan's can't). */
  forwardsSockets(): Promise<boolean>;
  forwardSocket(host: string, remotePath: string): Promise<string | undefined>;
  /** The error saying the host's connection was lost, when it was (see Run.connectionLost). */
  connectionLost(host: string): Promise<Error | undefined>;
  onExit(handler: () => void | Promise<void>): () => void;
}

/** How an operation ended, as its command would have: exit status and output. */
export interface StepOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
