// The smaller groups: prune, registry, secrets, server, lock (Kamal's cli/*.rb of those names).

import { Option, type Command } from "commander";
import { flag, group, leaf, numberOption } from "../define.js";

const prune = () => import("../actions/prune.js");
const registry = () => import("../actions/registry.js");
const secrets = () => import("../actions/secrets.js");
const server = () => import("../actions/server.js");
const lock = () => import("../actions/lock.js");

export function registerPruneCommands(program: Command): void {
  const g = group(program, "prune", "Prune old application images and containers");
  leaf(g, "all", "Prune unused images and stopped containers", async () => (await prune()).all);
  leaf(g, "images", "Prune unused images", async () => (await prune()).images);
  numberOption(
    leaf(g, "containers", "Prune all stopped containers, except the last n (default 5)", async () => (await prune()).containers),
    "--retain <n>",
    "Number of containers to retain",
  );
}

export function registerRegistryCommands(program: Command): void {
  const g = group(program, "registry", "Login and -out of the image registry");
  const commands = [
    ["setup", "Setup local registry or log in to remote registry locally and remotely"],
    ["remove", "Remove local registry or log out of remote registry locally and remotely"],
    ["login", "Log in to remote registry locally and remotely"],
    ["logout", "Log out of remote registry locally and remotely"],
  ] as const;
  for (const [name, description] of commands) {
    const command = leaf(g, name, description, async () => (await registry())[name]);
    flag(command, "-L, --skip-local", "Skip local login");
    flag(command, "-R, --skip-remote", "Skip remote login");
  }
}

export function registerSecretsCommands(program: Command): void {
  const g = group(program, "secrets", "Helpers for extracting secrets");
  const fetch = leaf(g, "fetch [secrets...]", "Fetch secrets from a vault", async () => (await secrets()).fetch);
  fetch.requiredOption("-a, --adapter <adapter>", "Which vault adapter to use");
  fetch.option("--account <account>", "The account identifier or username");
  fetch.option("--from <from>", "A vault or folder to fetch the secrets from");
  hiddenFlag(fetch, "--inline");
  const extract = leaf(
    g,
    "extract <name> <secrets>",
    "Extract a single secret from the results of a fetch call",
    async () => (await secrets()).extract,
  );
  hiddenFlag(extract, "--inline");
  leaf(g, "print", "Print the secrets (for debugging)", async () => (await secrets()).print);
}

/** Kamal's hidden `--inline` (and its --no- form): used when Kamal runs itself in-process. */
function hiddenFlag(command: Command, flags: string): void {
  command.addOption(new Option(flags).default(false).hideHelp());
  command.addOption(new Option(flags.replace("--", "--no-")).hideHelp());
}

export function registerServerCommands(program: Command): void {
  const g = group(program, "server", "Bootstrap servers with curl and Docker");
  const exec = leaf(g, "exec [cmd...]", "Run a custom command on the server (use --help to show options)", async () => (await server()).exec, {
    passUnknownOptions: true,
  });
  flag(exec, "-i, --interactive", "Run the command interactively (use for console/bash)");
  flag(exec, "--raw", "Output raw, unmodified stdout");
  leaf(g, "bootstrap", "Set up Docker to run Kamal apps", async () => (await server()).bootstrap);
}

export function registerLockCommands(program: Command): void {
  const g = group(program, "lock", "Manage the deploy lock");
  leaf(g, "status", "Report lock status", async () => (await lock()).status);
  leaf(g, "acquire", "Acquire the deploy lock", async () => (await lock()).acquire).requiredOption(
    "-m, --message <message>",
    "A lock message",
  );
  leaf(g, "release", "Release the deploy lock", async () => (await lock()).release);
}
