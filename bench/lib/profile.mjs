// Summaries of V8 CPU profiles (node --cpu-prof): where a process spent its time, by function
// (self time and inclusive time) and by file, as plain text for RESULTS.md and the notes.
import fs from "node:fs";
import path from "node:path";

const label = (node) => `${node.callFrame.functionName || "(anonymous)"} ${path.basename(node.callFrame.url) || ""}:${node.callFrame.lineNumber + 1}`;

/** The top `limit` functions by self and by inclusive time, over every .cpuprofile in `dir`. */
export function summariseProfiles(dir, limit = 20) {
  const self = new Map();
  const inclusive = new Map();
  const files = new Map();
  let total = 0;
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    profile.samples.forEach((id, index) => {
      const micros = profile.timeDeltas[index] ?? 0;
      total += micros;
      const leaf = byId.get(id);
      self.set(label(leaf), (self.get(label(leaf)) ?? 0) + micros);
      const url = path.basename(leaf.callFrame.url) || `(${leaf.callFrame.functionName})`;
      files.set(url, (files.get(url) ?? 0) + micros);
      const seen = new Set();
      for (let current = id; current !== undefined; current = parent.get(current)) {
        const name = label(byId.get(current));
        if (seen.has(name)) continue;
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
      }
    });
  }
  const top = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, micros]) => `${(micros / 1000).toFixed(1).padStart(9)} ms ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join("\n");
  return [
    `profiled time: ${(total / 1000).toFixed(1)} ms (samples of the main thread, idle included)`,
    "",
    "by self time:",
    top(self),
    "",
    "by inclusive time:",
    top(inclusive),
    "",
    "by file (self time):",
    top(files),
  ].join("\n");
}
