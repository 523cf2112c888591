// A writable stand-in for stdout/stderr that records what was written.

export class MemoryStream {
  readonly chunks: string[] = [];
  isTTY: boolean;
  columns: number | undefined;

  constructor({ isTTY = false, columns }: { isTTY?: boolean; columns?: number } = {}) {
    this.isTTY = isTTY;
    this.columns = columns;
  }

  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  }

  get text(): string {
    return this.chunks.join("");
  }

  get lines(): string[] {
    return this.text.split("\n").filter((line) => line !== "");
  }

  // The few Writable members log-update and createOutput touch.
  on(): this {
    return this;
  }
  once(): this {
    return this;
  }
  removeListener(): this {
    return this;
  }
  end(): this {
    return this;
  }
}
