// `deploy --plan`, `setup --plan`, `redeploy --plan` (Berth): the real flow runs against plan
// transports that record every command instead of running it, and the commands are printed per
// phase (Berth's headings, "Acquiring the deploy lock..." …) and host, secrets redacted and
// standard input never shown. Nothing is run on the servers; locally only read-only probes run.
import type { Operation } from "../commands/operation.js";
import type { CommandContext } from "../core/context.js";
import { Output, type SayColor } from "../output/index.js";
import type { DeployOptions } from "./deploy.js";
import { describeResolution, type PlanResolution } from "./plan-resolution.js";
import { PlanLocalState, PlanLocalTransport, PlanRecorder, PlanTransport, PLANNED_CONTAINER_ID, cleanServers, localDecision, type LocalDecision, type PlannedCommand, type Reply } from "./plan-transport.js";
import { Run } from "./run.js";

export type PlannedFlow = "deploy" | "setup" | "redeploy";

/** What a plan cannot see on the servers, and so assumes. */
export const PLAN_ASSUMPTIONS: readonly string[] = [
  "no deploy lock is held",
  "no kamal-proxy, app or accessory container exists yet, so nothing old is stopped, renamed or skipped",
  "Docker is installed on every host and every command succeeds",
  `new containers are shown as ${PLANNED_CONTAINER_ID}; they are assumed healthy at once`,
  "hooks are listed, not run; nothing is built, pushed or logged into, and the build clone is not touched (locally only read-only probes run)",
];

export interface PlanPhase {
  readonly title: string;
  readonly notes: readonly string[];
  readonly hosts: readonly { readonly host: string; readonly commands: readonly Omit<PlannedCommand, "host" | "phase">[] }[];
}

export interface Plan {
  readonly command: PlannedFlow;
  readonly version: string;
  readonly phases: readonly PlanPhase[];
  /** Round trips per host (`localhost`: local commands), as the real run would make them. */
  readonly roundTrips: Readonly<Record<string, number>>;
  /** What was read on this machine and how (files, version, secrets, the build clone). */
  readonly resolved: readonly string[];
  readonly assumptions: readonly string[];
}

export interface PlanInputs {
  /** Answers for remote commands (default: clean servers). */
  readonly remote?: (host: string, command: string) => Reply;
  /** What to do with local commands (default: see plan-transport.ts, localDecision). */
  readonly local?: (command: string, operation: Operation) => LocalDecision;
  /** Collects what the configuration load met (contextForPlan); the plan adds the build clone. */
  readonly resolution?: PlanResolution;
}

/** Output that records headings as phases and shows nothing. */
class PlanOutput extends Output {
  constructor(private readonly recorder: PlanRecorder) {
    const sink = { write: () => true };
    super({ stdout: sink, stderr: sink, verbosity: "error" });
  }

  override say(message: string, color: SayColor = "magenta"): void {
    if (color === "magenta") this.recorder.phase(message);
    else this.recorder.note(message);
  }

  override log(level: Parameters<Output["log"]>[0], message: string): void {
    if (level === "warn" || level === "error") this.recorder.note(message);
  }
}

/** Runs the flow against the plan transports and returns what it would have run. */
export async function makePlan(context: CommandContext, flow: PlannedFlow, options: DeployOptions, inputs: PlanInputs = {}): Promise<Plan> {
  const recorder = new PlanRecorder();
  const planContext: CommandContext = { ...context, output: new PlanOutput(recorder) };
  const local = new PlanLocalState(context.cwd);
  const run = await Run.create(planContext, {
    fileExists: (path) => local.fileExists(path),
    planning: true,
    remote: () => new PlanTransport(recorder, inputs.remote ?? ((_host, command) => cleanServers(command))),
    local: ({ cwd, env }) => new PlanLocalTransport(recorder, { cwd, env }, inputs.local ?? ((_command, operation) => localDecision(operation)), local),
  });
  const flows = await import("./deploy.js");
  await flows[flow](run, options);
  const resolution = inputs.resolution;
  if (resolution !== undefined) resolution.clone = local.clone;
  return {
    command: flow,
    version: run.config.version,
    phases: phasesOf(recorder),
    roundTrips: Object.fromEntries([...new Set(recorder.commands.map((command) => command.host))].map((host) => [host, recorder.roundTripsOn(host)])),
    resolved: resolution === undefined ? [] : describeResolution(context, run.config, resolution),
    assumptions: PLAN_ASSUMPTIONS,
  };
}

/** `berth deploy --plan` etc.: prints the plan as text, or as one JSON document with --output json. */
export async function printPlan(context: CommandContext, flow: PlannedFlow, options: DeployOptions, inputs: PlanInputs = {}): Promise<void> {
  const plan = await makePlan(context, flow, options, inputs);
  context.output.data(renderPlan(plan), { plan });
}

/** Headings in order; one printed right before another, with nothing run under it, joins the next. */
function phasesOf(recorder: PlanRecorder): PlanPhase[] {
  const phases: PlanPhase[] = [];
  let pending: string[] = [];
  for (const phase of recorder.phases.map((title) => phaseOf(recorder, title))) {
    if (phase.hosts.length === 0 && phase.notes.length === 0) {
      pending.push(phase.title);
      continue;
    }
    phases.push({ ...phase, title: [...pending, phase.title].join(" ") });
    pending = [];
  }
  return phases;
}

function phaseOf(recorder: PlanRecorder, title: string): PlanPhase {
  const commands = recorder.commands.filter((command) => command.phase === title);
  const hosts = [...new Set(commands.map((command) => command.host))].map((host) => ({
    host,
    commands: commands.filter((command) => command.host === host).map(({ roundTrip, command, allowFailure }) => ({ roundTrip, command, allowFailure })),
  }));
  return { title, notes: recorder.notes.filter((note) => note.phase === title).map((note) => note.message), hosts };
}

/** Phase → host → commands, each with its round trip on that host (`~` when its failure is tolerated). */
export function renderPlan(plan: Plan): string {
  const lines = [`Plan for berth ${plan.command}, version ${plan.version}: nothing was run on the servers.`, ""];
  if (plan.resolved.length > 0) lines.push("Read on this machine:", ...plan.resolved.map((line) => `  - ${line}`), "");
  for (const phase of plan.phases) {
    if (phase.hosts.length === 0 && phase.notes.length === 0) continue;
    lines.push(phase.title);
    for (const note of phase.notes) lines.push(`  ! ${note}`);
    for (const { host, commands } of phase.hosts) {
      lines.push(`  ${host}`);
      for (const command of commands) {
        // Multi-line commands (the lock's base64 details) keep their continuation lines aligned.
        const text = command.command.split("\n").join(`\n${" ".repeat(9)}`);
        lines.push(`    ${String(command.roundTrip).padStart(3)}${command.allowFailure ? "~" : " "} ${text}`);
      }
    }
  }
  const trips = Object.entries(plan.roundTrips).map(([host, count]) => `${host} ${count}`);
  lines.push("", `Round trips: ${trips.join(", ") || "none"} (commands with the same number travel together; ~ may fail without stopping the ${plan.command}).`);
  lines.push("A plan cannot see the servers. It assumed:", ...plan.assumptions.map((assumption) => `  - ${assumption}`));
  return lines.join("\n");
}
