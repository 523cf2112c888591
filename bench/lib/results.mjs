// bench/RESULTS.md: one section per benchmark, each replaced as a whole when that benchmark runs
// again, so `npm run bench -- <name>` updates its own figures and leaves the others.
import fs from "node:fs";
import { RESULTS_FILE } from "./paths.mjs";
import { machineLine } from "./machine.mjs";

const HEADER = `# Benchmark results

Written by \`npm run bench\` (all) or \`npm run bench -- <name>\` (one section); see bench/README.md.
Each section says when and on what it ran and how busy the machine was: the machine is shared,
so compare figures within a section (the ratio per round), not across sections or runs.
`;

/** Benchmarks in the order their sections appear. */
const ORDER = ["deploy", "fleet", "proxy", "switch", "startup"];

export function writeSection(name, title, body) {
  const existing = fs.existsSync(RESULTS_FILE) ? fs.readFileSync(RESULTS_FILE, "utf8") : HEADER;
  const sections = new Map();
  for (const match of existing.matchAll(/<!-- bench:(\S+) -->\n([\s\S]*?)<!-- \/bench:\1 -->\n/g)) sections.set(match[1], match[2]);
  const stamp = `_${new Date().toISOString().replace(/\.\d+Z$/, "Z")}, ${machineLine()}._`;
  sections.set(name, `## ${title}\n\n${stamp}\n\n${body.trim()}\n`);
  const names = [...ORDER.filter((known) => sections.has(known)), ...[...sections.keys()].filter((key) => !ORDER.includes(key))];
  const text = `${HEADER}\n${names.map((key) => `<!-- bench:${key} -->\n${sections.get(key)}<!-- /bench:${key} -->\n`).join("\n")}`;
  fs.writeFileSync(RESULTS_FILE, text);
  return RESULTS_FILE;
}
