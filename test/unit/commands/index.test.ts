// The barrel: one namespace per area, usable together without name clashes.
import { describe, expect, it } from "vitest";
import * as commands from "../../../src/commands/index.js";
import { KAMAL_BASE, configFrom } from "./helpers.js";

describe("commands barrel", () => {
  it("builds a deploy's commands through the namespaces", () => {
    const config = configFrom(KAMAL_BASE);
    const web = config.requireRole("web");
    const rendered = [
      commands.server.ensureRunDirectory(config),
      commands.docker.createNetwork(),
      commands.proxy.startOrRun(config, "1.1.1.1"),
      commands.app.run(config, web, { host: "1.1.1.1" }),
      commands.app.proxy.deploy(config, web, "cid"),
      commands.prune.danglingImages(config),
    ].map((command) => commands.render(command));
    expect(rendered[0]).toBe("mkdir -p .kamal");
    expect(rendered[1]).toBe("docker network create kamal");
    expect(rendered[2]).toMatch(/^docker container start kamal-proxy \|\| echo /);
    expect(rendered[3]).toMatch(/^docker run --detach .* dhh\/app:999$/);
    expect(rendered[4]).toMatch(/^docker exec kamal-proxy kamal-proxy deploy app-web --target="cid:80" /);
    expect(rendered[5]).toBe("docker image prune --force --filter label=service=app");
    expect(typeof commands.batching.batch).toBe("function");
    expect(commands.builder.builderKind(config, "amd64")).toBe("local");
  });
});
