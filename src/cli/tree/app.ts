// `berth app …` (Kamal's cli/app.rb).

import type { Command } from "commander";
import { flag, group, hashOption, leaf, numberOption, stringOption } from "../define.js";

const app = () => import("../actions/app.js");

/** The log options shared by app, accessory and proxy logs. */
export function logsOptions(command: Command, { grepOptions = true }: { grepOptions?: boolean } = {}): Command {
  stringOption(command, "-s, --since <since>", "Show lines since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
  numberOption(command, "-n, --lines <lines>", "Number of lines to show from each server");
  stringOption(command, "-g, --grep <grep>", "Show lines with grep match only (use this to fetch specific requests by id)");
  if (grepOptions) stringOption(command, "--grep-options <options>", "Additional options supplied to grep");
  flag(command, "-f, --follow", "Follow log on primary server (or specific host set by --hosts)");
  flag(command, "-T, --skip-timestamps", "Skip appending timestamps to logging output");
  return command;
}

export function registerAppCommands(program: Command): void {
  const g = group(program, "app", "Manage application");
  leaf(g, "boot", "Boot app on servers (or reboot app if already running)", async () => (await app()).boot);
  leaf(g, "start", "Start existing app container on servers", async () => (await app()).start);
  leaf(g, "stop", "Stop app container on servers", async () => (await app()).stop);
  leaf(g, "details", "Show details about app containers", async () => (await app()).details);

  const exec = leaf(
    g,
    "exec [cmd...]",
    "Execute a custom command on servers within the app container (use --help to show options)",
    async () => (await app()).exec,
    { passUnknownOptions: true },
  );
  flag(exec, "-i, --interactive", "Execute command over ssh for an interactive shell (use for console/bash)");
  flag(exec, "--reuse", "Reuse currently running container instead of starting a new one");
  hashOption(exec, "-e, --env <KEY:VALUE>", "Set environment variables for the command (repeatable)");
  flag(exec, "--detach", "Execute command in a detached container");
  flag(exec, "--raw", "Output raw, unmodified stdout");

  leaf(g, "containers", "Show app containers on servers", async () => (await app()).containers);
  flag(
    leaf(g, "stale_containers", "Detect app stale containers", async () => (await app()).staleContainers),
    "-s, --stop",
    "Stop the stale containers found",
  );
  leaf(g, "images", "Show app images on servers", async () => (await app()).images);
  stringOption(
    logsOptions(leaf(g, "logs", "Show log lines from app on servers (use --help to show options)", async () => (await app()).logs)),
    "--container-id <id>",
    "Docker container ID to fetch logs",
  );
  leaf(g, "remove", "Remove app containers and images from servers", async () => (await app()).remove);
  leaf(g, "live", "Set the app to live mode", async () => (await app()).live);
  const maintenance = leaf(g, "maintenance", "Set the app to maintenance mode", async () => (await app()).maintenance);
  numberOption(maintenance, "--drain-timeout <seconds>", "How long to allow in-flight requests to complete (defaults to drain_timeout from config)");
  stringOption(maintenance, "--message <message>", "Message to display to clients while stopped");
  leaf(g, "version", "Show app version currently running on servers", async () => (await app()).version);

  const hidden = { hidden: true };
  leaf(g, "remove_container <version>", "Remove app container with given version from servers", async () => (await app()).removeContainer, hidden);
  leaf(g, "remove_containers", "Remove all app containers from servers", async () => (await app()).removeContainers, hidden);
  leaf(g, "remove_images", "Remove all app images from servers", async () => (await app()).removeImages, hidden);
  leaf(g, "remove_app_directories", "Remove the app directories from servers", async () => (await app()).removeAppDirectories, hidden);
}
