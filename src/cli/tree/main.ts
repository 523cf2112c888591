// Top-level commands (Kamal's cli/main.rb), plus Berth's schema and doctor. Help texts are
// Kamal's where they describe Berth's behaviour too.

import { InvalidArgumentError, Option, type Command } from "commander";
import { parseNumber } from "../globals.js";
import { confirmedOption, flag, leaf, numberOption } from "../define.js";

const main = () => import("../actions/main.js");

function atLeastOneSecond(value: string): number {
  const seconds = parseNumber(value);
  if (seconds < 1) throw new InvalidArgumentError(`Expected at least 1 second, got "${value}".`);
  return seconds;
}

function deployOptions(command: Command): Command {
  flag(command, "-P, --skip-push", "Skip image build and push");
  command.option("--no-cache", "Build without using Docker's build cache");
  flag(command, "--skip-release", "Don't run the release command (x-berth.release.cmd)");
  command.addOption(
    new Option("--release-timeout <seconds>", "Seconds the release command may run before it is stopped and the deploy fails (x-berth.release.timeout; default 600)").argParser(
      atLeastOneSecond,
    ),
  );
  // No default: unset leaves x-berth.atomic to decide.
  command.option("--atomic", "All or nothing: at the first host or role that fails, the others stop before they switch and every host that switched goes back to its previous container (x-berth.atomic)");
  return command.option("--no-atomic", "Turn x-berth.atomic off for this deploy");
}

/** Berth's --plan: print every command per phase and host, run nothing on the servers. */
function planOption(command: Command): Command {
  flag(command, "--plan", "Print every command per phase and host without running anything on the servers, or anything locally that could write");
  return flag(command, "--resolve-commands", "With --plan: run the commands deploy.yml's ERB and the secrets files call (without it they don't run and secrets show as placeholders)");
}

export function registerMainCommands(program: Command): void {
  planOption(
    deployOptions(
      leaf(program, "setup", "Setup all accessories, push the env, and deploy app to servers", async () => (await main()).setup),
    ),
  );
  planOption(deployOptions(leaf(program, "deploy", "Deploy app to servers", async () => (await main()).deploy)));
  planOption(
    deployOptions(
      leaf(
        program,
        "redeploy",
        "Deploy app to servers without bootstrapping servers, starting kamal-proxy and pruning",
        async () => (await main()).redeploy,
      ),
    ),
  );
  leaf(program, "rollback <version>", "Rollback app to VERSION", async () => (await main()).rollback);
  leaf(program, "details", "Show details about all containers", async () => (await main()).details);
  leaf(program, "audit", "Show audit log from servers", async () => (await main()).audit);
  leaf(program, "config", "Show combined config (secrets redacted)", async () => (await import("../actions/config.js")).config);
  leaf(program, "docs [section]", "Show configuration documentation", async () => (await import("../actions/docs.js")).docs);
  leaf(program, "schema", "Print the JSON Schema of config/deploy.yml", async () => (await import("../actions/docs.js")).schema);
  flag(
    leaf(
      program,
      "init",
      "Create config stub in config/deploy.yml and secrets stub in .kamal",
      async () => (await import("../actions/init.js")).init,
    ),
    "--bundle",
    "Add Kamal to the Gemfile and create a bin/kamal binstub (Ruby only; ignored)",
  );
  confirmedOption(
    leaf(program, "remove", "Remove kamal-proxy, app, accessories, and registry session from servers", async () => (await main()).remove),
  );
  flag(
    confirmedOption(leaf(program, "upgrade", "Upgrade from Kamal 1.x to 2.0", async () => (await main()).upgrade)),
    "--rolling",
    "Upgrade one host at a time",
  );
  const doctor = leaf(
    program,
    "doctor",
    "Check this machine and every server before a deploy: configuration, secrets, Docker, builder, git, SSH, disk, registry, proxy, ports, clock, DNS",
    async () => (await main()).doctor,
  );
  numberOption(doctor, "--min-free-disk-gb <n>", "Gigabytes that must be free under Docker's data root on each host (x-berth.doctor.min_free_disk_gb; default 5)");
  numberOption(doctor, "--max-clock-skew <seconds>", "Seconds a host's clock may differ from this machine's (x-berth.doctor.max_clock_skew; default 5)");
  leaf(program, "version", "Show Berth version", async () => (await import("../actions/version.js")).version);
}
