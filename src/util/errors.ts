// User-facing errors. The CLI prints `  ERROR (<name>): <message>` for these without a stack
// trace (unless -v); anything else is a bug and is printed with its stack.

export class BerthError extends Error {
  /** Shown in `ERROR (<kind>)`, mirroring Kamal's exception class names where one exists. */
  readonly kind: string;
  constructor(message: string, kind = "Berth::Error") {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
  }
}

/** The command stopped because a signal (Ctrl-C, SIGTERM) asked it to; the message says what was left how. */
export class InterruptedError extends BerthError {
  constructor(
    readonly signal: string,
    message: string,
  ) {
    super(message, "Berth::Interrupted");
  }
}
