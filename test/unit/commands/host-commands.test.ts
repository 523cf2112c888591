// Golden tests for prune (Kamal's prune_test.rb), server (server_test.rb) and docker (docker_test.rb).
import { describe, expect, it } from "vitest";
import * as docker from "../../../src/commands/docker.js";
import * as prune from "../../../src/commands/prune.js";
import * as server from "../../../src/commands/server.js";
import { KAMAL_BASE, configFrom, text } from "./helpers.js";

describe("prune", () => {
  const config = configFrom(KAMAL_BASE, { version: "123" });

  it("removes dangling images", () => {
    expect(text(prune.danglingImages(config))).toBe("docker image prune --force --filter label=service=app");
  });

  it("removes tagged images no container uses", () => {
    expect(text(prune.taggedImages(config))).toBe(
      "docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w \"$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=app | tr -d '\\n')dhh/app:latest\\|dhh/app:<none>\" | while read image tag; do docker rmi $tag; done",
    );
  });

  it("keeps latest-<destination> and the registry in the repository", () => {
    const staging = configFrom(KAMAL_BASE.replace("  username: dhh\n", "  server: registry.example.com\n  username: dhh\n"), { destination: "staging" });
    expect(text(prune.taggedImages(staging))).toContain("| tr -d '\\n')registry.example.com/dhh/app:latest-staging\\|registry.example.com/dhh/app:<none>\"");
  });

  it("removes stopped containers beyond the retained ones", () => {
    expect(text(prune.appContainers(config, 5))).toBe(
      "docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +6 | while read container_id; do docker rm $container_id; done",
    );
    expect(text(prune.appContainers(config, 3))).toBe(
      "docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +4 | while read container_id; do docker rm $container_id; done",
    );
    expect(text(prune.appContainers(configFrom(`${KAMAL_BASE}retain_containers: 2\n`)))).toContain("| tail -n +3 |");
    expect(() => prune.appContainers(config, -1)).toThrow(/whole number/);
  });
});

describe("server", () => {
  const config = configFrom(KAMAL_BASE);
  it.each([
    ["ensure run directory", server.ensureRunDirectory(config), "mkdir -p .kamal"],
    ["remove app directory", server.removeAppDirectory(config), "rm -r .kamal/apps/app"],
    ["remove a destination's app directory", server.removeAppDirectory(configFrom(KAMAL_BASE, { destination: "staging" })), "rm -r .kamal/apps/app-staging"],
    ["count app directories", server.appDirectoryCount(config), "ls .kamal/apps | wc -l"],
    ["list apps", server.listApps(config), "ls .kamal/apps"],
  ])("%s", (_name, command, expected) => {
    expect(text(command)).toBe(expected);
  });
});

describe("docker", () => {
  it.each([
    ["install", docker.install(), "sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo \"exit 1\"' | sh"],
    ["installed", docker.installed(), "docker -v"],
    ["running", docker.running(), "docker version"],
    ["superuser", docker.superuser(), '[ "${EUID:-$(id -u)}" -eq 0 ] || sudo -nl usermod >/dev/null'],
    ["root", docker.root(), '[ "${EUID:-$(id -u)}" -eq 0 ]'],
    ["in docker group", docker.inDockerGroup(), 'id -nG "${USER:-$(id -un)}" | grep -qw docker'],
    ["add to docker group", docker.addToDockerGroup(), 'sudo -n usermod -aG docker "${USER:-$(id -un)}"'],
    ["refresh session", docker.refreshSession(), "kill -HUP $PPID"],
    ["create network", docker.createNetwork(), "docker network create kamal"],
  ])("%s", (_name, command, expected) => {
    expect(text(command)).toBe(expected);
  });

  it("recognises an existing network", () => {
    expect(docker.isNetworkExistsError("Error response from daemon: network with name kamal already exists")).toBe(true);
    expect(docker.isNetworkExistsError("Cannot connect to the Docker daemon")).toBe(false);
  });
});
