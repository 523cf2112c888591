// A deploy step as a typed operation: what it does, as values, built once by a builder here. An
// operation is also the exact command Kamal runs for it (its parts and stdin), so it prints, plans
// and golden-tests as that command; each carrier interprets its kind directly:
//   - a shell (SSH, local) runs the command;
//   - the host's Docker Engine API sends the requests of container.ts and host-state.ts;
//   - the proxy's control socket takes a ProxyCall's arguments (`kamal-proxy deploy …`);
//   - --plan shows the command (an upload as what it writes), whichever carrier will take it.
import type { Cmd } from "../core/cmd.js";
import type { ContainerOperation } from "./container.js";
import type { HostStateRead } from "./host-state.js";
import type { ProxyCall } from "./proxy/exec.js";
import type { Upload } from "./upload.js";

/** Any other command, run as written. A plain Cmd is one. */
export interface Shell extends Cmd {
  readonly kind?: "shell";
}

/** A command that only reads this machine (git state, Docker's version and images): a plan runs it too. */
export interface Probe extends Cmd {
  readonly kind: "probe";
}

/** A command that changes only Berth's (and Kamal's) build clone under $TMPDIR/kamal-clones: a plan records it and leaves the clone alone. */
export interface CloneUpdate extends Cmd {
  readonly kind: "clone";
}

/** A read of the build clone printing its `git status`, `---` and its revision: a plan answers it as a clean clone of HEAD once it recorded an update. */
export interface CloneCheck extends Cmd {
  readonly kind: "clone-check";
}

export type Operation = Shell | Probe | CloneUpdate | CloneCheck | ContainerOperation | ProxyCall | Upload | HostStateRead;

/** `command` marked as only reading this machine. */
export function probe(command: Cmd): Probe {
  return { kind: "probe", parts: command.parts, ...(command.stdin === undefined ? {} : { stdin: command.stdin }) };
}

/** `command` marked as checking the build clone (status, `---`, revision). */
export function cloneCheck(command: Cmd): CloneCheck {
  return { kind: "clone-check", parts: command.parts };
}

/** `command` marked as changing only the build clone. */
export function cloneUpdate(command: Cmd): CloneUpdate {
  return { kind: "clone", parts: command.parts, ...(command.stdin === undefined ? {} : { stdin: command.stdin }) };
}
