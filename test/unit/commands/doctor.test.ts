// Golden tests of doctor's probes: read-only commands, one batch per host, and the registry
// check as the daemon's POST /auth with the credentials in the (redacted) body.
import { describe, expect, it } from "vitest";
import { batch } from "../../../src/commands/batch.js";
import { Redacted, render } from "../../../src/core/cmd.js";
import { describeCall } from "../../../src/commands/docker-api.js";
import * as doctor from "../../../src/commands/doctor.js";

describe("doctor's probes", () => {
  it("reads a host in one batch, each step allowed to fail, the clock last", () => {
    const steps = doctor.hostProbe();
    expect(steps.map((step) => step.label)).toEqual(["user", "docker cli", "docker server", "docker endpoint", "listening", "disk", "addresses", "clock"]);
    expect(steps.every((step) => step.allowFailure === true)).toBe(true);
    expect(steps.map((step) => render(step.command))).toEqual([
      "id -un",
      "command -v docker",
      "docker version --format '{{.Server.Version}}'",
      `printf '%s\\n' "\${DOCKER_HOST-}" "\${DOCKER_CONTEXT-}" ; grep -o '"currentContext": *"[^"]*"' "\${DOCKER_CONFIG:-$HOME/.docker}/config.json" 2>/dev/null ; true`,
      `awk '$4 == "0A" { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null`,
      "df -Pk /var/lib/docker 2>/dev/null || df -Pk /",
      "hostname -I 2>/dev/null || true",
      "date -u +%s.%N",
    ]);
    // One remote command for all of them.
    expect(batch(steps, { nonce: "0123456789abcdef" }).parts).toContain("exit");
  });

  it("asks the Docker API for the daemon's facts, the kamal network and the proxy container", () => {
    expect(describeCall(doctor.dockerInfo())).toBe("GET /info");
    expect(describeCall(doctor.inspectNetwork("kamal"))).toBe("GET /networks/kamal");
    expect(describeCall(doctor.inspectProxy("kamal-proxy"))).toBe("GET /containers/kamal-proxy/json");
    expect(render(doctor.diskFree("/srv/docker"))).toBe("df -Pk /srv/docker");
  });

  it("checks a registry login with POST /auth, credentials only in the body, shown redacted", () => {
    const call = doctor.registryAuth("registry.example.com", new Redacted("deployer"), new Redacted("s3cret"));
    expect(describeCall(call)).toBe("POST /auth");
    expect(JSON.parse(call.body!.value)).toEqual({ username: "deployer", password: "s3cret", serveraddress: "registry.example.com" });
    expect(String(call.body)).toBe("[REDACTED]");
    expect(JSON.parse(doctor.registryAuth(undefined, new Redacted("u"), new Redacted("p")).body!.value).serveraddress).toBe("https://index.docker.io/v1/");
  });

  it("falls back to the docker CLI's reads of the same documents", () => {
    expect(doctor.dockerReadsByCli("kamal", "kamal-proxy").map((step) => render(step.command))).toEqual([
      "docker info --format '{{json .}}'",
      "docker network inspect kamal",
      "docker container inspect kamal-proxy",
    ]);
  });

  it("reads this machine: Docker, buildx, a remote builder, git", () => {
    expect(render(doctor.localDockerInfo())).toBe("docker info --format '{{json .}}'");
    expect(render(doctor.remoteBuilderVersion("ssh://builder@10.0.0.5"))).toBe("docker --host ssh://builder@10.0.0.5 version --format '{{.Server.Version}}'");
    expect(render(doctor.gitState())).toBe("git rev-parse --show-toplevel HEAD && git rev-parse --abbrev-ref HEAD && echo --- && git status --porcelain");
    expect(render(doctor.gitTracks("docker/Web Dockerfile"))).toBe("git ls-files --error-unmatch -- 'docker/Web Dockerfile'");
  });
});
