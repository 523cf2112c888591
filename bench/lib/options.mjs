// `--name value` options of a benchmark script, typed by their defaults (numbers, strings,
// comma-separated number lists), and `--name` alone for a boolean.
export function options(defaults, argv = process.argv.slice(2)) {
  const values = { ...defaults };
  for (let index = 0; index < argv.length; index++) {
    const match = /^--([a-z][a-z0-9-]*)$/.exec(argv[index]);
    if (!match) continue;
    const key = match[1].replace(/-([a-z])/g, (_, letter) => letter.toUpperCase());
    if (!(key in defaults)) continue; // another benchmark's option (npm run bench passes them to all)
    const fallback = defaults[key];
    if (typeof fallback === "boolean") {
      values[key] = true;
      continue;
    }
    const raw = argv[++index];
    if (raw === undefined) throw new Error(`--${match[1]} needs a value`);
    if (typeof fallback === "number") values[key] = Number(raw);
    else if (Array.isArray(fallback)) values[key] = raw.split(",").map(Number);
    else values[key] = raw;
    if (typeof fallback === "number" && !Number.isFinite(values[key])) throw new Error(`--${match[1]}: expected a number, got ${raw}`);
  }
  return values;
}
