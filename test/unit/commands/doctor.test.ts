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
    expect(render(doctor.localBuildxVersion())).toBe("docker buildx version");
    expect(render(doctor.remoteBuilderVersion("ssh://builder@10.0.0.5"))).toBe("docker --host ssh://builder@10.0.0.5 version --format '{{.Server.Version}}'");
    expect(render(doctor.gitState())).toBe("git rev-parse --show-toplevel HEAD && git rev-parse --abbrev-ref HEAD && echo --- && git status --porcelain");
    expect(render(doctor.gitTracks("docker/Web Dockerfile"))).toBe("git ls-files --error-unmatch -- 'docker/Web Dockerfile'");
  });
});

describe("forensic reads of a container that never became healthy", () => {
  it("inspect the state without the environment, the listening sockets from the host, and probe as the proxy does", async () => {
    const forensics = await import("../../../src/commands/forensics.js");
    expect(render(forensics.containerFacts("app-web-abc"))).toBe(
      "docker inspect --format '{{json .State}}{{println}}{{.RestartCount}}{{println}}{{json (index .Config \"Healthcheck\")}}{{println}}{{.Id}}' app-web-abc",
    );
    expect(render(forensics.listeningInContainer("app-web-abc"))).toBe(
      `pid=$(docker inspect --format '{{.State.Pid}}' app-web-abc) && [ "\${pid:-0}" != 0 ] && awk '$4 == "0A" { print $2 }' "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6" 2>/dev/null`,
    );
    expect(render(forensics.probeHealth("app-web-abc", 3000, "/up"))).toBe(
      `set -- $(docker inspect --format '{{.Id}} {{with index .NetworkSettings.Networks "kamal"}}{{.IPAddress}}{{end}}' app-web-abc) ; ` +
        `[ -n "\${2:-}" ] || { echo no-address ; exit 0 ; } ; host=$(printf %s "$1" | cut -c1-12):3000 ; url="http://$2:3000/up" ; ` +
        `if command -v curl >/dev/null 2>&1 ; then out=$(curl --silent --show-error --include --max-time 5 -H 'User-Agent: kamal-proxy' -H "Host: $host" "$url" 2>&1) ; rc=$? ; ` +
        `elif command -v wget >/dev/null 2>&1 ; then out=$(timeout 6 wget -q -S -O - --max-redirect=0 --header 'User-Agent: kamal-proxy' --header "Host: $host" "$url" 2>&1) ; rc=$? ; ` +
        `else echo no-client ; exit 0 ; fi ; printf '%s\\n%s\\n' "$url" "$rc" ; printf '%s' "$out" | head -c 1024`,
    );
    // Port 80 is left out of the Host header, as the proxy sends it; a path is kept literal.
    expect(render(forensics.probeHealth("x", 80, "/health$check"))).toContain(`host=$(printf %s "$1" | cut -c1-12) ; url="http://$2:80/health\\$check"`);
  });
});
