// What a run is made with (RunInputs: tests replace the transports, the clock, the identity) and
// the options of its remote and local commands.
import type { Redacted } from "../core/cmd.js";
import type { Level } from "../output/index.js";
import type { Transport } from "../transport/index.js";
import type { DisplayBridge } from "./display.js";

/** How local commands are run (replaced in tests). */
export type LocalTransportFactory = (options: { cwd: string; env: NodeJS.ProcessEnv; display: DisplayBridge }) => Transport;

export interface RunInputs {
  /** Replaces the SSH transport (tests). It must report its events to `display`. */
  readonly remote?: (display: DisplayBridge) => Transport;
  readonly local?: LocalTransportFactory;
  /** Overrides the clock (tests). */
  readonly now?: () => Date;
  /** Who deploys, instead of asking git (tests). */
  readonly identity?: Identity;
  /** Whether a local file exists (a plan answers for the build clone it did not make). */
  readonly fileExists?: (path: string) => boolean;
  /** A plan (--plan): nothing runs, so nothing that runs can be timed. */
  readonly planning?: boolean;
}

export interface Identity {
  /** `git config user.email`, else the login name (Kamal's performer). */
  readonly performer: string;
  /** `git config user.name`, else "Unknown" (Kamal's "Locked by"). */
  readonly userName: string;
}

export interface ExecOptions {
  readonly level?: Level;
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
  readonly stdin?: Buffer | Redacted;
  /** Keep stdout's exact bytes in `RunResult.stdoutBytes` (`exec --raw`). */
  readonly raw?: boolean;
  /** Output as it arrives (followed logs, `--raw` piping). */
  readonly onStdout?: (chunk: string) => void;
  readonly onStdoutBytes?: (chunk: Buffer) => void;
  /** Run it with the user's login shell (a command line the user typed, e.g. `server exec`). */
  readonly loginShell?: boolean;
}

export interface LocalOptions extends ExecOptions {
  /** Added to the environment of the process (builder secrets, hook metadata). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Shown in output instead of the command (the hook's path). */
  readonly shown?: string;
  /** Stops the command when aborted (see RunOptions.signal). */
  readonly signal?: AbortSignal;
  /** Its processes end with Berth's, even when Berth is killed (builds and pushes). */
  readonly dieWithParent?: boolean;
}
