// What `--plan` reads on this machine, and how it says so. A plan runs nothing that could write:
// deploy.yml's ERB commands are refused and the secrets files' `$(…)` (vault CLIs included) are not
// run, their values shown as placeholders, unless --resolve-commands lets them run (the CLI loads
// the configuration so: src/cli/plan-context.ts). The plan then lists what it resolved and how: the
// files, the version's source, each secret command, the clone.
import type { Configuration } from "../config/index.js";
import type { CommandContext } from "../core/context.js";
import type { CommandEvent, CommandPolicy } from "../util/local-commands.js";

/** What a plan learns while it loads: the commands met, and whether the secrets were read. */
export class PlanResolution {
  readonly commands: CommandEvent[] = [];
  secretsRead = false;
  /** The build clone's state: untouched, checked read-only, or changed in the plan only. */
  clone: "none" | "checked" | "changed" = "none";

  constructor(readonly runCommands: boolean) {}

  get policy(): CommandPolicy {
    return { run: this.runCommands, onCommand: (event) => void this.commands.push(event) };
  }
}

function versionSource(context: CommandContext): string {
  if (context.globals.version !== undefined && context.globals.version !== "") return "--version";
  if (context.env.VERSION !== undefined && context.env.VERSION !== "") return "$VERSION";
  return "the git revision of HEAD (git rev-parse, read-only)";
}

/** One line per thing resolved locally, in the order a reader needs them. */
export function describeResolution(context: CommandContext, config: Configuration, resolution: PlanResolution): string[] {
  const files = [config.configFile, ...(config.destinationFile === undefined ? [] : [config.destinationFile])];
  const lines = [`configuration: ${files.join(" + ")}`, `version ${config.version}: from ${versionSource(context)}`];
  for (const event of resolution.commands.filter((item) => item.source === "erb")) {
    lines.push(`ERB command \`${event.command}\` in ${event.file}: run (--resolve-commands)`);
  }
  if (!resolution.secretsRead) {
    lines.push("secrets: not read (nothing in this plan needs them)");
  } else {
    const read = config.secrets?.files ?? [];
    const files = read.length > 0 ? read.join(", ") : "no secrets file (none exists)";
    lines.push(`secrets: read from ${files}; values are never shown`);
    for (const event of resolution.commands.filter((item) => item.source === "secrets")) {
      const program = event.command.trim().split(/\s+/)[0] ?? "";
      lines.push(
        event.ran
          ? `secret ${event.key} in ${event.file}: $(${program} …) run (--resolve-commands)`
          : `secret ${event.key} in ${event.file}: $(${program} …) not run, a placeholder stands for it (--resolve-commands runs it)`,
      );
    }
  }
  if (resolution.clone === "changed") {
    lines.push("build clone in $TMPDIR/kamal-clones: not cloned or reset; the plan lists the commands that would, and answered the clone's checks as a clean clone of HEAD");
  } else if (resolution.clone === "checked") {
    lines.push("build clone in $TMPDIR/kamal-clones: checked read-only, already at HEAD, left as it is");
  }
  return lines;
}
