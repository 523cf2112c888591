// Golden tests for the Kamal 1 → 2 upgrade's commands. Traefik's stop and removal are the two
// halves of Kamal's `cleanup_traefik`; the staged proxy is the host's `proxy run` without its
// ports, options and restart policy.
import { describe, expect, it } from "vitest";
import { chain } from "../../../src/core/cmd.js";
import * as proxy from "../../../src/commands/proxy.js";
import * as upgrade from "../../../src/commands/upgrade.js";
import { KAMAL_BASE, configFrom, text } from "./helpers.js";

const STAGED_BASE =
  "docker run --name kamal-proxy --network kamal --detach --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config";

describe("Traefik (Kamal 1's proxy)", () => {
  it("is found running by name", () => {
    expect(text(upgrade.traefikRunning())).toBe("docker ps --quiet --filter 'name=^traefik$'");
  });

  it("is stopped, started again, and removed with its image as Kamal's cleanup_traefik does", () => {
    expect(text(upgrade.stopTraefik())).toBe("docker container stop traefik");
    expect(text(upgrade.startTraefik())).toBe("docker container start traefik");
    expect(text(upgrade.removeTraefik())).toBe(
      "docker container prune --force --filter label=org.opencontainers.image.title=Traefik && docker image prune --all --force --filter label=org.opencontainers.image.title=Traefik",
    );
    // Kamal runs both halves as one command.
    expect(text(chain(upgrade.stopTraefik(), upgrade.removeTraefik()))).toBe(text(proxy.cleanupTraefik()));
  });
});

describe("the staged proxy", () => {
  it("with proxy.run: its image and command, no ports, options or restart policy", () => {
    const config = configFrom(`${KAMAL_BASE}proxy:\n  run:\n    registry: registry:4443\n    http_port: 8080\n    debug: true\n    options:\n      memory: 512m\n`);
    expect(text(upgrade.stagedProxyRun(config, "1.1.1.1"))).toBe(`${STAGED_BASE} registry:4443/basecamp/kamal-proxy:v0.9.2 kamal-proxy run --debug`);
    // The proxy that replaces it publishes the ports.
    expect(text(proxy.run(config, "1.1.1.1"))).toContain("--publish 8080:80 --publish 443:443");
  });

  it("without proxy.run: the image and run command from the legacy boot files, not their options", () => {
    const config = configFrom(KAMAL_BASE);
    expect(text(upgrade.stagedProxyRun(config, "1.1.1.1"))).toBe(
      'echo $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2") $(cat .kamal/proxy/run_command 2> /dev/null || echo "") | xargs ' +
        STAGED_BASE,
    );
  });

  it("is removed by force (it serves no port)", () => {
    expect(text(upgrade.removeStagedProxy())).toBe("docker container rm --force kamal-proxy");
  });
});
