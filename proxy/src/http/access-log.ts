// JSON log lines on stdout (slog's JSON shape: time, level, msg, fields). Lines are batched
// and flushed once per event-loop turn: one write per burst instead of one per request.
import fs from "node:fs";

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

  private lastMs = 0;
  private lastIso = "";

  write(level: string, msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now !== this.lastMs) {
      this.lastMs = now;
      this.lastIso = new Date(now).toISOString();
    }
    const head = `{"time":"${this.lastIso}","level":"${level}","msg":${JSON.stringify(msg)}`;
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

const PIPE_BUF = 4096;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes straight to fd 1 from any thread (main or worker), in pieces of at most PIPE_BUF
 * that end on line boundaries, so lines from several threads never interleave in a pipe.
 */
export function stdoutSink(text: string): void {
  let start = 0;
  while (start < text.length) {
    let end = text.length;
    if (end - start > PIPE_BUF) {
      const cut = text.lastIndexOf("\n", start + PIPE_BUF - 1);
      end = cut >= start ? cut + 1 : text.indexOf("\n", start + PIPE_BUF) + 1 || text.length;
    }
    writeAll(Buffer.from(text.slice(start, end), "utf8"));
    start = end;
  }
}

function writeAll(buf: Buffer): void {
  let offset = 0;
  while (offset < buf.length) {
    try {
      offset += fs.writeSync(1, buf, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") Atomics.wait(pause, 0, 0, 1); // stdout is non-blocking and full: wait a moment
      else return; // stdout gone (EPIPE…): drop the line rather than crash the proxy
    }
  }
}
