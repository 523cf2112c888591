import { describe, expect, it } from "vitest";
import { render } from "../../../src/commands/cmd.js";
import { hostStateCommand, parseHostState } from "../../../src/deploy/host-state.js";
import { BASE_CONFIG, harness } from "./fake.js";

const CONFIG = `${BASE_CONFIG.replace("servers:\n  - 10.0.0.1\n  - 10.0.0.2\n", "servers:\n  web:\n    - 10.0.0.1\n  worker:\n    hosts:\n      - 10.0.0.1\n")}`;

describe("host state", () => {
  it("inspects every app container, the proxy, and the latest and version images, in one command", async () => {
    const { config } = await harness(CONFIG);
    expect(render(hostStateCommand(config))).toBe(
      'docker inspect --format "{{if index . \\"State\\"}}container|{{index . \\"Name\\"}}|{{index . \\"Image\\"}}|{{with index . \\"State\\"}}{{index . \\"Status\\"}}{{end}}|' +
        '{{index . \\"Created\\"}}|{{with index . \\"Config\\"}}{{index . \\"Image\\"}}|{{with index . \\"Labels\\"}}{{index . \\"role\\"}}{{end}}{{end}}' +
        '{{else}}image|{{index . \\"Id\\"}}|{{with index . \\"Config\\"}}{{with index . \\"Labels\\"}}{{index . \\"service\\"}}{{end}}{{end}}|{{range index . \\"RepoTags\\"}}{{.}} {{end}}{{end}}" ' +
        "$(docker ps -aq --filter label=service=app --filter label=destination=) kamal-proxy registry.example:5000/team/app:latest registry.example:5000/team/app:999 2>/dev/null ; true",
    );
  });

  it("finds Kamal's current version (newest running from the latest image, else newest running), the running ones, a clash and the version's image", async () => {
    const { config } = await harness(CONFIG);
    const output = [
      "container|/app-web-hand-started|sha256:ffffffffffff|running|2026-01-03T00:00:00Z|team/app:other|web",
      "container|/app-web-998|sha256:0123456789abcdef|running|2026-01-02T00:00:00Z|registry.example:5000/team/app:998|web",
      "container|/app-web-999|sha256:999|exited|2026-01-01T00:00:00Z|registry.example:5000/team/app:999|web",
      "container|/app-worker-997|sha256:997|running|2026-01-01T00:00:00Z|registry.example:5000/team/app:997|worker",
      "container|/kamal-proxy|sha256:aaaa|running|2025-12-01T00:00:00Z|registry.example:5000/team/berth-proxy:v0.9.2.0.1.0|",
      "image|sha256:0123456789abcdef|app|registry.example:5000/team/app:998 registry.example:5000/team/app:latest ",
      "image|sha256:999|app|registry.example:5000/team/app:999 ",
      "",
    ].join("\n");
    const state = parseHostState(output, config.roles, config, "999");
    expect(state.roles.get("web")).toEqual({ clash: true, current: "998", running: ["hand-started", "998"] });
    expect(state.roles.get("worker")).toEqual({ clash: false, current: "997", running: ["997"] });
    expect(state.proxy).toEqual({ running: true, version: "v0.9.2.0.1.0" });
    expect(state.image).toEqual({ id: "sha256:999", service: "app" });
  });

  it("matches Docker Hub references as Docker lists them, and reads an unlabelled image", async () => {
    const { config } = await harness(CONFIG.replace("server: registry.example:5000", "server: docker.io"));
    const state = parseHostState("image|sha256:abc|<no value>|team/app:999 \n", config.roles, config, "999");
    expect(state.image).toEqual({ id: "sha256:abc", service: "" });
  });

  it("reads a fresh host as empty: nothing running, no proxy, no image", async () => {
    const { config } = await harness(CONFIG);
    const state = parseHostState("\n", config.roles, config, "999");
    expect(state.roles.get("web")).toEqual({ clash: false, current: undefined, running: [] });
    expect(state.proxy).toEqual({ running: false, version: "" });
    expect(state.image).toBeUndefined();
  });
});
