import { describe, expect, it } from "vitest";
import {
  describeCall,
  endpointProbe,
  inspectImage,
  listContainers,
  removeContainer,
  removeImage,
  renameContainer,
  socketFromProbe,
  stopContainer,
  succeeded,
  tagImage,
} from "../../../src/commands/docker-api.js";
import { render } from "../../../src/commands/cmd.js";

describe("Docker API calls for docker commands", () => {
  it("builds the request each command stands for", () => {
    expect(describeCall(stopContainer("app-web-1", 30))).toBe("POST /containers/app-web-1/stop?t=30");
    expect(describeCall(stopContainer("app-web-1"))).toBe("POST /containers/app-web-1/stop");
    expect(describeCall(renameContainer("app-web-1", "app-web-1_replaced_ab"))).toBe("POST /containers/app-web-1/rename?name=app-web-1_replaced_ab");
    expect(describeCall(removeContainer("app-web-0"))).toBe("DELETE /containers/app-web-0");
    expect(describeCall(removeImage("sha256:abc"))).toBe("DELETE /images/sha256:abc");
    expect(describeCall(tagImage("registry.example:5000/team/app:v2", "registry.example:5000/team/app:latest"))).toBe(
      "POST /images/registry.example:5000/team/app:v2/tag?repo=registry.example%3A5000%2Fteam%2Fapp&tag=latest",
    );
    expect(describeCall(inspectImage("team/app:v2"))).toBe("GET /images/team/app:v2/json");
    expect(describeCall(listContainers("service=app"))).toBe(`GET /containers/json?all=1&filters=${encodeURIComponent('{"label":["service=app"]}')}`);
  });

  it("keeps '/' and ':' in names and escapes what would break the path", () => {
    expect(stopContainer("odd name#1").path).toBe("/containers/odd%20name%231/stop");
    expect(tagImage("team/app:v2", "team/app").query).toEqual({ repo: "team/app", tag: "latest" });
    expect(tagImage("team/app:v2", "registry.example:5000/team/app").query).toEqual({ repo: "registry.example:5000/team/app", tag: "latest" });
  });

  it("counts 2xx as success, and 304 for a stop (docker stop accepts a stopped container)", () => {
    expect(succeeded(stopContainer("x"), 204)).toBe(true);
    expect(succeeded(stopContainer("x"), 304)).toBe(true);
    expect(succeeded(stopContainer("x"), 404)).toBe(false);
    expect(succeeded(renameContainer("x", "y"), 304)).toBe(false);
    expect(succeeded(removeImage("x"), 409)).toBe(false);
  });
});

describe("which daemon the host's docker uses", () => {
  it("probes DOCKER_HOST, DOCKER_CONTEXT and the CLI's current context in one command", () => {
    expect(render(endpointProbe())).toBe(
      `printf '%s\\n' "\${DOCKER_HOST-}" "\${DOCKER_CONTEXT-}" ; grep -o '"currentContext": *"[^"]*"' "\${DOCKER_CONFIG:-$HOME/.docker}/config.json" 2>/dev/null ; true`,
    );
  });

  it("uses the default socket, or DOCKER_HOST's unix socket; nothing else", () => {
    expect(socketFromProbe("\n\n")).toBe("/var/run/docker.sock");
    expect(socketFromProbe("\ndefault\n")).toBe("/var/run/docker.sock");
    expect(socketFromProbe('\n\n"currentContext": "default"\n')).toBe("/var/run/docker.sock");
    expect(socketFromProbe("unix:///run/user/1000/docker.sock\n\n")).toBe("/run/user/1000/docker.sock");
    expect(socketFromProbe("tcp://10.0.0.5:2375\n\n")).toBeUndefined();
    expect(socketFromProbe("ssh://deploy@builder\n\n")).toBeUndefined();
    expect(socketFromProbe("\nremote\n")).toBeUndefined();
    expect(socketFromProbe('\n\n"currentContext": "rootless"\n')).toBeUndefined();
  });
});
