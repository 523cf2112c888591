// The values YAML parses to and where each one sits in its file, so validation errors can name
// a line and column.

export type YamlValue = null | string | number | boolean | YamlValue[] | { [key: string]: YamlValue };
export type Path = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface NodeLocation {
  readonly file: string;
  /** Where the value starts. */
  readonly value: Position;
  /** Where the key starts (map entries only). */
  readonly key?: Position;
  /** The value is a map or a list. */
  readonly collection?: boolean;
}

/** Positions of every key and value in one file, by path. */
export class SourceMap {
  private readonly entries = new Map<string, NodeLocation>();
  constructor(readonly file: string) {}

  static keyOf(path: Path): string {
    return JSON.stringify(path);
  }

  set(path: Path, location: NodeLocation): void {
    this.entries.set(SourceMap.keyOf(path), location);
  }

  get(path: Path): NodeLocation | undefined {
    return this.entries.get(SourceMap.keyOf(path));
  }

  /** The location of `path`, or of its nearest recorded ancestor. */
  nearest(path: Path): NodeLocation | undefined {
    for (let length = path.length; length >= 0; length--) {
      const found = this.get(path.slice(0, length));
      if (found) return found;
    }
    return undefined;
  }
}

export interface ParsedYaml {
  readonly value: YamlValue;
  readonly sourceMap: SourceMap;
}
