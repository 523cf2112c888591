import { describe, expect, it } from "vitest";
import { render } from "../../../src/commands/cmd.js";
import { hostStateCommand, parseHostState } from "../../../src/deploy/host-state.js";
import { BASE_CONFIG, harness } from "./fake.js";

const CONFIG = `${BASE_CONFIG.replace("servers:\n  - 10.0.0.1\n  - 10.0.0.2\n", "servers:\n  web:\n    - 10.0.0.1\n  worker:\n    hosts:\n      - 10.0.0.1\n")}`;

describe("host state", () => {
  it("reads the latest image, then every app container and the proxy, in one command", async () => {
    const { config } = await harness(CONFIG);
    expect(render(hostStateCommand(config))).toBe(
      "docker image ls --filter reference=registry.example:5000/team/app:latest --format '{{.ID}}' ; echo ___berth_state___ ; " +
        'docker inspect --format "{{.Name}}|{{.Image}}|{{.State.Status}}|{{.Created}}|{{.Config.Image}}|{{index .Config.Labels \\"role\\"}}" ' +
        "$(docker ps -aq --filter label=service=app --filter label=destination=) kamal-proxy 2>/dev/null ; true",
    );
  });

  it("finds Kamal's current version (newest running from the latest image, else newest running), the running ones and a clash", async () => {
    const { config } = await harness(CONFIG);
    const output = [
      "0123456789ab",
      "___berth_state___",
      "/app-web-hand-started|sha256:ffffffffffff|running|2026-01-03T00:00:00Z|team/app:other|web",
      "/app-web-998|sha256:0123456789abcdef|running|2026-01-02T00:00:00Z|registry.example:5000/team/app:998|web",
      "/app-web-999|sha256:999|exited|2026-01-01T00:00:00Z|registry.example:5000/team/app:999|web",
      "/app-worker-997|sha256:997|running|2026-01-01T00:00:00Z|registry.example:5000/team/app:997|worker",
      "/kamal-proxy|sha256:aaaa|running|2025-12-01T00:00:00Z|registry.example:5000/team/berth-proxy:v0.9.2.0.1.0|",
      "",
    ].join("\n");
    const state = parseHostState(output, config.roles, "999");
    expect(state.roles.get("web")).toEqual({ clash: true, current: "998", running: ["hand-started", "998"] });
    expect(state.roles.get("worker")).toEqual({ clash: false, current: "997", running: ["997"] });
    expect(state.proxy).toEqual({ running: true, version: "v0.9.2.0.1.0" });
  });

  it("reads a fresh host as empty: nothing running, no proxy", async () => {
    const { config } = await harness(CONFIG);
    const state = parseHostState("\n___berth_state___\n", config.roles, "999");
    expect(state.roles.get("web")).toEqual({ clash: false, current: undefined, running: [] });
    expect(state.proxy).toEqual({ running: false, version: "" });
  });
});
