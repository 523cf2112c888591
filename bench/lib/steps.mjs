// Where a deploy's time goes, from one verbose run of each tool: Berth's JSON events (`-v --output
// json`: every command's start and finish, with timestamps) and Kamal's -v lines (each command's
// "Running … on host" and "Finished in N seconds"). Text for RESULTS.md.

/** Berth: the phases (say events) with their start offsets, then the longest commands with theirs. */
export function berthSteps(stdout, limit = 12) {
  const events = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  if (events.length === 0) return "(no events)";
  const start = Date.parse(events[0].ts);
  const at = (event) => ((Date.parse(event.ts) - start) / 1000).toFixed(3).padStart(7);
  const started = new Map(events.filter((event) => event.event === "command.start").map((event) => [event.id, event]));
  const phases = events.filter((event) => event.event === "say").map((event) => `${at(event)} s  ${event.message}`);
  const commands = events
    .filter((event) => event.event === "command.finish")
    .map((event) => ({ event, begun: started.get(event.id) ?? event }))
    .sort((a, b) => b.event.seconds - a.event.seconds)
    .slice(0, limit)
    .map(({ event, begun }) => `${at(begun)} s +${event.seconds.toFixed(3)} s  ${event.host}  ${truncate(event.command ?? "")}`);
  const finish = events.find((event) => event.event === "finish");
  return [
    "phases (start):",
    ...phases,
    `finished at ${finish ? at(finish) : "?"} s`,
    "",
    `longest commands (start, duration, host, command), ${limit} of ${started.size}:`,
    ...commands,
  ].join("\n");
}

/** Kamal: time per phase (sum of its commands' durations, all hosts) and the longest commands. */
export function kamalSteps(stdout, limit = 12) {
  // eslint-disable-next-line no-control-regex -- Kamal colours its lines even off a terminal
  const lines = stdout.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const running = new Map();
  const commands = [];
  const phases = [];
  let phase = "(start)";
  for (const line of lines) {
    let match = /^\s*(?:INFO|DEBUG) \[(\w+)\] Running (.*) on (\S+)$/.exec(line);
    if (match) {
      running.set(match[1], { command: match[2], host: match[3], phase });
      continue;
    }
    match = /^\s*(?:INFO|DEBUG) \[(\w+)\] Finished in ([\d.]+) seconds/.exec(line);
    if (match && running.has(match[1])) {
      const command = running.get(match[1]);
      commands.push({ ...command, seconds: Number(match[2]) });
      continue;
    }
    if (/^\S.*\.\.\.$/.test(line.trim()) && !/^\s*(INFO|DEBUG|WARN|ERROR)\b/.test(line)) {
      phase = line.trim();
      phases.push(phase);
    }
  }
  const byPhase = new Map(phases.map((name) => [name, 0]));
  for (const command of commands) byPhase.set(command.phase, (byPhase.get(command.phase) ?? 0) + command.seconds);
  const total = lines.map((line) => /Finished all in ([\d.]+) seconds/.exec(line)?.[1]).find(Boolean);
  return [
    "phases (sum of their commands' durations over all hosts):",
    ...[...byPhase].map(([name, seconds]) => `${seconds.toFixed(3).padStart(7)} s  ${name}`),
    `Kamal's own total: ${total ?? "?"} s`,
    "",
    `longest commands (duration, host, command), ${Math.min(limit, commands.length)} of ${commands.length}:`,
    ...[...commands]
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, limit)
      .map((command) => `+${command.seconds.toFixed(3)} s  ${command.host}  ${truncate(command.command)}`),
  ].join("\n");
}

function truncate(text, length = 110) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
