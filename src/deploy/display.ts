// Between the transport's events and the output: the transport knows what ran, the orchestration
// knows how it should look. Audit and lock commands are logged at DEBUG (as Kamal's
// `verbosity: :debug`), and a batch is shown as its steps instead of the wrapper script, with the
// step marker lines left out of its output.
import type { Cmd } from "../core/cmd.js";
import { newCommandId, type Level, type Output } from "../output/index.js";
import type {
  CommandFinished,
  CommandOutput,
  CommandStarted,
  ConnectionFailed,
  ConnectionOpened,
  TransportObserver,
} from "../transport/index.js";

export interface Presentation {
  readonly level: Level;
  /** Shown instead of the command text (a batch's steps). */
  readonly shown?: string;
  /** Output lines containing this are dropped (a batch's step markers). */
  readonly hideLinesWith?: string;
}

interface Active {
  readonly presentation: Presentation;
  readonly partial: { stdout: string; stderr: string };
}

export class DisplayBridge implements TransportObserver {
  private readonly expected = new Map<string, Presentation[]>();
  private readonly active = new Map<string, Active>();

  constructor(private readonly output: Output) {}

  /** Announces how the next command with this (redacted) text on this host is shown. */
  expect(host: string, text: string, presentation: Presentation): void {
    const key = keyOf(host, text);
    const queue = this.expected.get(key) ?? [];
    queue.push(presentation);
    this.expected.set(key, queue);
  }

  commandStarted(event: CommandStarted): void {
    const key = keyOf(event.host, event.command);
    const queue = this.expected.get(key);
    const presentation = queue?.shift() ?? { level: "info" as Level };
    if (queue !== undefined && queue.length === 0) this.expected.delete(key);
    this.active.set(event.id, { presentation, partial: { stdout: "", stderr: "" } });
    this.output.commandStarted({
      id: event.id,
      host: event.host,
      kind: event.kind,
      command: presentation.shown ?? event.command,
      level: presentation.level,
      ...(presentation.shown === undefined ? {} : { wrapped: event.command }),
    });
  }

  commandOutput(event: CommandOutput): void {
    const active = this.active.get(event.id);
    const marker = active?.presentation.hideLinesWith;
    if (active === undefined || marker === undefined) return this.output.commandOutput(event);
    const text = active.partial[event.stream] + event.chunk;
    const cut = text.lastIndexOf("\n");
    active.partial[event.stream] = cut === -1 ? text : text.slice(cut + 1);
    if (cut === -1) return;
    const lines = text
      .slice(0, cut)
      .split("\n")
      .filter((line) => !line.includes(marker) && line !== "");
    if (lines.length > 0) this.output.commandOutput({ ...event, chunk: `${lines.join("\n")}\n` });
  }

  commandFinished(event: CommandFinished): void {
    const active = this.active.get(event.id);
    this.active.delete(event.id);
    const marker = active?.presentation.hideLinesWith;
    if (active !== undefined && marker !== undefined) {
      for (const stream of ["stdout", "stderr"] as const) {
        const rest = active.partial[stream];
        if (rest !== "" && !rest.includes(marker)) this.output.commandOutput({ id: event.id, host: event.host, stream, chunk: `${rest}\n` });
      }
    }
    this.output.commandFinished(event);
  }

  connectionOpened(event: ConnectionOpened): void {
    this.output.connectionOpened(event);
  }

  connectionFailed(event: ConnectionFailed): void {
    this.output.connectionFailed(event);
  }
}

function keyOf(host: string, text: string): string {
  return `${host}\u0000${text}`;
}

/**
 * Work that isn't a transport command (Docker API requests, a call on the proxy's control socket)
 * shown as the command it stands for: its Running line (with `wrapped` as what really ran), its
 * output and its Finished line with the work's exit status; a throw finishes it with status 1.
 */
export async function showAsCommand<T extends { code: number }>(
  output: Output,
  shown: { host: string; command: string | Cmd; wrapped: string; level?: Level },
  work: (print: (stream: "stdout" | "stderr", chunk: string) => void) => Promise<T>,
): Promise<T> {
  const id = newCommandId();
  const started = performance.now();
  const { host } = shown;
  output.commandStarted({ id, host, kind: "command", command: shown.command, wrapped: shown.wrapped, ...(shown.level === undefined ? {} : { level: shown.level }) });
  let code = 1;
  try {
    const result = await work((stream, chunk) => output.commandOutput({ id, host, stream, chunk }));
    code = result.code;
    return result;
  } finally {
    output.commandFinished({ id, host, exitStatus: code, durationMs: performance.now() - started });
  }
}
