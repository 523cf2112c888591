import { describe, expect, it } from "vitest";
import { render } from "../../../src/core/cmd.js";
import { hostStateRead } from "../../../src/commands/host-state.js";
import { parseHostState, prunePlan } from "../../../src/deploy/host-state.js";
import { BASE_CONFIG, harness } from "./fake.js";

const CONFIG = `${BASE_CONFIG.replace("servers:\n  - 10.0.0.1\n  - 10.0.0.2\n", "servers:\n  web:\n    - 10.0.0.1\n  worker:\n    hosts:\n      - 10.0.0.1\n")}`;

describe("host state", () => {
  it("inspects every app container and image, the proxy, and the latest and version images, in one command", async () => {
    const { config } = await harness(CONFIG);
    expect(render(hostStateRead(config))).toBe(
      'docker inspect --format "{{if index . \\"State\\"}}container|{{index . \\"Name\\"}}|{{index . \\"Image\\"}}|{{with index . \\"State\\"}}{{index . \\"Status\\"}}{{end}}|' +
        '{{index . \\"Created\\"}}|{{with index . \\"Config\\"}}{{index . \\"Image\\"}}|{{with index . \\"Labels\\"}}{{index . \\"role\\"}}|{{index . \\"destination\\"}}{{end}}{{end}}|' +
        '{{range index . \\"Mounts\\"}}{{if eq (index . \\"Destination\\") \\"/home/kamal-proxy/.config/kamal-proxy\\"}}{{index . \\"Source\\"}}{{end}}{{end}}' +
        '{{else}}image|{{index . \\"Id\\"}}|{{with index . \\"Config\\"}}{{with index . \\"Labels\\"}}{{index . \\"service\\"}}{{end}}{{end}}|{{range index . \\"RepoTags\\"}}{{.}} {{end}}{{end}}" ' +
        "$(docker ps -aq --filter label=service=app) kamal-proxy registry.example:5000/team/app:latest registry.example:5000/team/app:999 " +
        "$(docker image ls -q --no-trunc --filter label=service=app) 2>/dev/null ; true",
    );
  });

  it("counts only the deploy's destination for the roles, but every destination's containers for the prune", async () => {
    const { config } = await harness(CONFIG);
    const output = [
      "container|/app-web-999|sha256:999|running|2026-01-02T00:00:00Z|registry.example:5000/team/app:999|web|staging",
      "container|/app-web-998|sha256:998|exited|2026-01-01T00:00:00Z|registry.example:5000/team/app:998|web|",
      "",
    ].join("\n");
    const state = parseHostState(output, config.roles, config, "999");
    expect(state.roles.get("web")).toEqual({ clash: false, current: undefined, running: [] });
    expect(state.containers.map((container) => container.name)).toEqual(["app-web-999", "app-web-998"]);
  });

  it("finds Kamal's current version (newest running from the latest image, else newest running), the running ones, a clash and the version's image", async () => {
    const { config } = await harness(CONFIG);
    const output = [
      "container|/app-web-hand-started|sha256:ffffffffffff|running|2026-01-03T00:00:00Z|team/app:other|web",
      "container|/app-web-998|sha256:0123456789abcdef|running|2026-01-02T00:00:00Z|registry.example:5000/team/app:998|web",
      "container|/app-web-999|sha256:999|exited|2026-01-01T00:00:00Z|registry.example:5000/team/app:999|web",
      "container|/app-worker-997|sha256:997|running|2026-01-01T00:00:00Z|registry.example:5000/team/app:997|worker",
      "container|/kamal-proxy|sha256:aaaa|running|2025-12-01T00:00:00Z|registry.example:5000/team/berth-proxy:v0.9.2.0.1.1|<no value>|<no value>|/var/lib/docker/volumes/kamal-proxy-config/_data",
      "image|sha256:0123456789abcdef|app|registry.example:5000/team/app:998 registry.example:5000/team/app:latest ",
      "image|sha256:999|app|registry.example:5000/team/app:999 ",
      "",
    ].join("\n");
    const state = parseHostState(output, config.roles, config, "999");
    expect(state.roles.get("web")).toEqual({ clash: true, current: "998", running: ["hand-started", "998"] });
    expect(state.roles.get("worker")).toEqual({ clash: false, current: "997", running: ["997"] });
    expect(state.proxy).toEqual({ running: true, version: "v0.9.2.0.1.1", configDirectory: "/var/lib/docker/volumes/kamal-proxy-config/_data" });
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
    expect(state.proxy).toEqual({ running: false, version: "", configDirectory: "" });
    expect(state.image).toBeUndefined();
  });

  it("plans Kamal's prune: stopped containers beyond retain (the ones being stopped counted), then unused images", async () => {
    const { config } = await harness(CONFIG);
    const output = [
      "container|/app-web-999|sha256:new|running|2026-01-09T00:00:00Z|registry.example:5000/team/app:999|web|",
      "container|/app-web-4|sha256:i4|exited|2026-01-04T00:00:00Z|registry.example:5000/team/app:4|web|",
      "container|/app-web-3|sha256:i3|dead|2026-01-03T00:00:00Z|registry.example:5000/team/app:3|web|",
      "container|/app-web-2|sha256:i2|created|2026-01-02T00:00:00Z|registry.example:5000/team/app:2|web|",
      "container|/app-web-1|sha256:i1|exited|2026-01-01T00:00:00Z|registry.example:5000/team/app:1|web|",
      "container|/kamal-proxy|sha256:proxy|running|2025-01-01T00:00:00Z|registry.example:5000/team/berth-proxy:v1|",
      "image|sha256:new|app|registry.example:5000/team/app:999 registry.example:5000/team/app:latest ",
      "image|sha256:i4|app|registry.example:5000/team/app:4 registry.example:5000/team/app:four ",
      "image|sha256:i2|app|registry.example:5000/team/app:2 ",
      "image|sha256:i1|app|registry.example:5000/team/app:1 ",
      "image|sha256:loose|app|",
      "image|sha256:i3|app|", // untagged, but the kept container 3 was made from it
      "image|sha256:theirs|other|registry.example:5000/team/other:1 ",
      "",
    ].join("\n");
    const state = parseHostState(output, config.roles, config, "999");
    // retain 3, one running container to be stopped: two stopped ones stay (4 and 3).
    expect(prunePlan(state, config, 3, 1)).toEqual({
      containers: ["app-web-2", "app-web-1"],
      images: ["registry.example:5000/team/app:four", "registry.example:5000/team/app:2", "registry.example:5000/team/app:1", "sha256:loose"],
    });
    // Nothing to stop and a retain above the count: nothing goes but what no container uses.
    expect(prunePlan(state, config, 10, 0).containers).toEqual([]);
    expect(prunePlan(state, config, 10, 0).images).toEqual(["registry.example:5000/team/app:four", "sha256:loose"]);
  });
});
