// JSON log lines on stdout (slog's JSON shape: time, level, msg, fields). Lines are batched
// and flushed once per event-loop turn: one write per burst instead of one per request.
export type LogSink = (text: string) => void;

export class JsonLogger {
  private batch = "";
  private scheduled = false;

  constructor(
    private readonly sink: LogSink,
    readonly debugEnabled = false,
  ) {}

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.write("INFO", msg, fields);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.write("WARN", msg, fields);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.write("ERROR", msg, fields);
  }

  debug(msg: string, fields: Record<string, unknown> = {}): void {
    if (this.debugEnabled) this.write("DEBUG", msg, fields);
  }

  /** Event objects from other modules: `{ msg | event, level?, …fields }`. */
  event(event: Record<string, unknown>): void {
    const { msg, event: name, level, ...fields } = event;
    const text = typeof msg === "string" ? msg : typeof name === "string" ? name : "event";
    this.write(typeof level === "string" ? level.toUpperCase() : "INFO", text, typeof name === "string" && typeof msg === "string" ? { event: name, ...fields } : fields);
  }

  write(level: string, msg: string, fields: Record<string, unknown>): void {
    const head = `{"time":"${new Date().toISOString()}","level":"${level}","msg":${JSON.stringify(msg)}`;
    const body = JSON.stringify(fields);
    this.batch += body === "{}" ? head + "}\n" : head + "," + body.slice(1) + "\n";
    if (this.batch.length > 64 * 1024) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushScheduled);
    }
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  flush(): void {
    if (this.batch === "") return;
    const text = this.batch;
    this.batch = "";
    this.sink(text);
  }
}

/** Writes to stdout without queueing unboundedly in memory when stdout is slow. */
export function stdoutSink(text: string): void {
  process.stdout.write(text);
}
