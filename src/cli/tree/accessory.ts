// `berth accessory …` (Kamal's cli/accessory.rb). NAME may be `all` where Kamal allows it.

import type { Command } from "commander";
import { confirmedOption, flag, group, leaf } from "../define.js";
import { logsOptions } from "./app.js";

const accessory = () => import("../actions/accessory.js");

export function registerAccessoryCommands(program: Command): void {
  const g = group(program, "accessory", "Manage accessories (db/redis/search)");
  leaf(g, "boot <name>", "Boot new accessory service on host (use NAME=all to boot all accessories)", async () => (await accessory()).boot);
  leaf(
    g,
    "reboot <name>",
    "Reboot existing accessory on host (stop container, remove container, start new container; use NAME=all to boot all accessories)",
    async () => (await accessory()).reboot,
  );
  leaf(g, "start <name>", "Start existing accessory container on host", async () => (await accessory()).start);
  leaf(g, "stop <name>", "Stop existing accessory container on host", async () => (await accessory()).stop);
  leaf(g, "restart <name>", "Restart existing accessory container on host", async () => (await accessory()).restart);
  leaf(g, "details <name>", "Show details about accessory on host (use NAME=all to show all accessories)", async () => (await accessory()).details);

  const exec = leaf(
    g,
    "exec <name> [cmd...]",
    "Execute a custom command on servers within the accessory container (use --help to show options)",
    async () => (await accessory()).exec,
    { passUnknownOptions: true },
  );
  flag(exec, "-i, --interactive", "Execute command over ssh for an interactive shell (use for console/bash)");
  flag(exec, "--reuse", "Reuse currently running container instead of starting a new one");
  flag(exec, "--raw", "Output raw, unmodified stdout");

  logsOptions(leaf(g, "logs <name>", "Show log lines from accessory on host (use --help to show options)", async () => (await accessory()).logs));
  confirmedOption(
    leaf(
      g,
      "remove <name>",
      "Remove accessory container, image and data directory from host (use NAME=all to remove all accessories)",
      async () => (await accessory()).remove,
    ),
  );
  const upgrade = leaf(
    g,
    "upgrade <name>",
    "Upgrade accessories from Kamal 1.x to 2.0 (restart them in 'kamal' network)",
    async () => (await accessory()).upgrade,
  );
  flag(upgrade, "--rolling", "Upgrade one host at a time");
  confirmedOption(upgrade);

  const hidden = { hidden: true };
  leaf(g, "upload <name>", "Upload accessory files to host", async () => (await accessory()).upload, hidden);
  leaf(g, "directories <name>", "Create accessory directories on host", async () => (await accessory()).directories, hidden);
  leaf(g, "pull_image <name>", "Pull accessory image on host", async () => (await accessory()).pullImage, hidden);
  leaf(g, "remove_container <name>", "Remove accessory container from host", async () => (await accessory()).removeContainer, hidden);
  leaf(g, "remove_image <name>", "Remove accessory image from host", async () => (await accessory()).removeImage, hidden);
  leaf(
    g,
    "remove_service_directory <name>",
    "Remove accessory directory used for uploaded files and data directories from host",
    async () => (await accessory()).removeServiceDirectory,
    hidden,
  );
}
