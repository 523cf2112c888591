// Colour decisions follow the common conventions: NO_COLOR (any non-empty value) turns colours
// off, FORCE_COLOR turns them on (except FORCE_COLOR=0), otherwise colours only on a terminal.

import picocolors from "picocolors";

export type Colors = ReturnType<typeof picocolors.createColors>;

export interface ColorInputs {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTTY: boolean;
}

export function colorEnabled({ env, isTTY }: ColorInputs): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return isTTY && env.TERM !== "dumb";
}

export function createColors(enabled: boolean): Colors {
  return picocolors.createColors(enabled);
}
