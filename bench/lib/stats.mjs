// Figures for the result tables: medians of rounds, their spread, and a ratio per round (two runs
// seconds apart see the same load from other work on the machine; their ratio is what compares).

export function median(values) {
  const sorted = [...values].filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summary(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** `a[i] / b[i]` for every round. */
export function ratios(a, b) {
  return a.map((value, index) => value / b[index]);
}

/** A number with `digits` decimals, or "—" when it isn't one. */
export function fmt(value, digits = 2) {
  return Number.isFinite(value) ? value.toFixed(digits) : "—";
}

/** "median (min–max)" */
export function spread(values, digits = 2, unit = "") {
  const { median: mid, min, max } = summary(values);
  return `${fmt(mid, digits)}${unit} (${fmt(min, digits)}–${fmt(max, digits)})`;
}

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, index) => (index === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

/** "met" / "NOT met" for a target. */
export function verdict(met) {
  return met ? "met" : "**NOT met**";
}
