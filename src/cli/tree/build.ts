// `berth build …` (Kamal's cli/build.rb).

import type { Command } from "commander";
import { group, leaf, stringOption } from "../define.js";

const build = () => import("../actions/build.js");

const EXPORT_TYPE_HELP =
  "Exported type for the build result, and may be any exported type supported by 'buildx --output' (text|json select Berth's output format)";

export function registerBuildCommands(program: Command): void {
  const g = group(program, "build", "Build application image");
  leaf(g, "deliver", "Build app and push app image to registry then pull image on servers", async () => (await build()).deliver);
  const push = leaf(g, "push", "Build and push app image to registry", async () => (await build()).push);
  stringOption(push, "--output <export_type>", EXPORT_TYPE_HELP, "registry");
  push.option("--no-cache", "Build without using Docker's build cache");
  leaf(g, "pull", "Pull app image from registry onto servers", async () => (await build()).pull);
  leaf(g, "create", "Create a build setup", async () => (await build()).create);
  leaf(g, "remove", "Remove build setup", async () => (await build()).remove);
  leaf(g, "details", "Show build setup", async () => (await build()).details);
  const dev = leaf(
    g,
    "dev",
    "Build using the working directory, tag it as dirty, and push to local image store.",
    async () => (await build()).dev,
  );
  stringOption(dev, "--output <export_type>", EXPORT_TYPE_HELP, "docker");
  dev.option("--no-cache", "Build without using Docker's build cache");
}
