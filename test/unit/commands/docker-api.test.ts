import { describe, expect, it } from "vitest";
import {
  describeCall,
  endpointProbe,
  envFileLines,
  healthOrState,
  imageLabel,
  inspectImage,
  progressError,
  pullImage,
  pushImage,
  registryAuth,
  listContainers,
  removeContainer,
  removeImage,
  renameContainer,
  socketFromProbe,
  stopContainer,
  succeeded,
  tagImage,
} from "../../../src/commands/docker-api.js";
import { Redacted, render } from "../../../src/core/cmd.js";
import * as app from "../../../src/commands/app.js";
import { containerRequests, containerRunRequests, containerRemove, containerStatus, containerStop, imageRemove, imageTag } from "../../../src/commands/container.js";
import { KAMAL_BASE, configFrom } from "./helpers.js";

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

describe("pulls and pushes", () => {
  it("pull and push a reference's repository and tag, with the registry's credentials as docker sends them", () => {
    const auth = registryAuth("deployer", "pw", "registry.example:5000");
    expect(describeCall(pullImage("registry.example:5000/team/app:v2", auth))).toBe("POST /images/create?fromImage=registry.example%3A5000%2Fteam%2Fapp&tag=v2");
    expect(describeCall(pullImage("team/app", undefined))).toBe("POST /images/create?fromImage=team%2Fapp&tag=latest");
    expect(describeCall(pushImage("registry.example:5000/team/app:v2", auth))).toBe("POST /images/registry.example:5000/team/app/push?tag=v2");
    expect(pullImage("team/app:1", auth)).toMatchObject({ progress: true, registryAuth: auth });
    expect(JSON.parse(Buffer.from(auth.value, "base64url").toString())).toEqual({ username: "deployer", password: "pw", serveraddress: "registry.example:5000" });
    expect(String(auth)).not.toContain(auth.value); // redacted where it could be shown
    expect(JSON.parse(Buffer.from(registryAuth("u", "p", undefined).value, "base64url").toString()).serveraddress).toBe("https://index.docker.io/v1/");
  });

  it("finds the error a progress stream ends with (Docker answers 200 and reports it in the stream)", () => {
    const ok = '{"status":"Pulling from team/app","id":"v2"}\n{"status":"Downloaded newer image for team/app:v2"}\n';
    expect(progressError(ok)).toBeUndefined();
    expect(progressError(`${ok}{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n`)).toBe("manifest unknown");
    expect(progressError('{"errorDetail":{"message":"no space left on device"}}\n')).toBe("no space left on device");
    expect(progressError("not json")).toBeUndefined();
  });

  it("reads an image's label from its inspect", () => {
    expect(imageLabel('{"Config":{"Labels":{"service":"app"}}}', "service")).toBe("app");
    expect(imageLabel('{"Config":{"Labels":null}}', "service")).toBeUndefined();
    expect(imageLabel("oops", "service")).toBeUndefined();
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

describe("the Docker API rendering of container operations", () => {
  it("renders each operation from the values its command is built from", () => {
    expect(containerRequests(containerStop("app-web-1", 30))!.map(describeCall)).toEqual(["POST /containers/app-web-1/stop?t=30"]);
    expect(render(containerStop("app-web-1", 30))).toBe("docker stop -t 30 app-web-1");
    expect(containerRequests(containerRemove(["a", "b"]))!.map(describeCall)).toEqual(["DELETE /containers/a", "DELETE /containers/b"]);
    expect(containerRequests(imageRemove(["team/app:1"]))!.map(describeCall)).toEqual(["DELETE /images/team/app:1"]);
    expect(containerRequests(imageTag("team/app:2", "team/app:latest"))!.map(describeCall)).toEqual(["POST /images/team/app:2/tag?repo=team%2Fapp&tag=latest"]);
    const status = containerStatus("app-worker-2");
    expect(containerRequests(status)!.map(describeCall)).toEqual(["GET /containers/app-worker-2/json"]);
    expect(containerRequests(status)![0]!.printsStatus).toBe(true);
    expect(render(status)).toBe(
      "docker container ls --all --filter 'name=^app-worker-2$' --quiet | xargs docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'",
    );
  });

  it("prints a container's health, else its state, as the status command's format does", () => {
    expect(healthOrState(JSON.stringify({ State: { Status: "running", Health: { Status: "starting" } } }))).toBe("starting");
    expect(healthOrState(JSON.stringify({ State: { Status: "exited", Health: null } }))).toBe("exited");
    expect(healthOrState(JSON.stringify({ State: { Status: "running" } }))).toBe("running");
    expect(healthOrState("not json")).toBe("");
  });
});

describe("docker run as a create and a start", () => {
  const runOf = (extra = "", envFile?: string, host = "1.1.1.1") => {
    const config = configFrom(`${KAMAL_BASE}${extra}`);
    return app.run(config, config.requireRole("web"), { host, hostname: "1.1.1.1-0123456789ab", ...(envFile === undefined ? {} : { envFile: new Redacted(envFile) }) });
  };
  const body = (calls: ReturnType<typeof containerRunRequests>): Record<string, unknown> => JSON.parse(calls![0]!.body!.value) as Record<string, unknown>;

  it("carries everything Kamal's docker run sets: restart, network, hostname, env (file first), logging, volumes, labels, command", () => {
    const command = runOf(
      "volumes:\n  - /data/uploads:/rails/uploads\n  - cache:/cache:ro\nlogging:\n  driver: local\n  options:\n    max-size: 100m\nlabels:\n  team: platform\nenv:\n  clear:\n    MODE: production\n",
      "# secrets\nSECRET_TOKEN=s3cr$t \"quoted\" \\n kept literally\n\nOTHER=x\r\n",
    );
    const calls = containerRunRequests(command)!;
    expect(calls.map(describeCall)).toEqual(["POST /containers/create?name=app-web-999", "POST /containers/app-web-999/start"]);
    expect(calls[0]).toMatchObject({ printsId: true });
    expect(calls[1]).toMatchObject({ afterSuccess: true });
    // The body holds the secrets: it never prints.
    expect(String(calls[0]!.body)).toBe("[REDACTED]");
    expect(body(calls)).toEqual({
      Image: "dhh/app:999",
      Hostname: "1.1.1.1-0123456789ab",
      Env: [
        'SECRET_TOKEN=s3cr$t "quoted" \\n kept literally',
        "OTHER=x",
        "KAMAL_CONTAINER_NAME=app-web-999",
        "KAMAL_VERSION=999",
        "KAMAL_HOST=1.1.1.1",
        "MODE=production",
      ],
      Labels: { service: "app", role: "web", destination: "", team: "platform" },
      HostConfig: {
        RestartPolicy: { Name: "unless-stopped" },
        NetworkMode: "kamal",
        LogConfig: { Type: "local", Config: { "max-size": "100m" } },
        Binds: ["/data/uploads:/rails/uploads", "cache:/cache:ro"],
      },
      NetworkingConfig: { EndpointsConfig: { kamal: {} } },
    });
  });

  it("passes the role's command and a restart policy with retries", () => {
    const config = configFrom(`${KAMAL_BASE.replace("servers:\n  - 1.1.1.1\n", "primary_role: jobs\nservers:\n  jobs:\n    hosts:\n      - 1.1.1.2\n    cmd: bin/jobs --queue=default\n    options:\n      restart: on-failure:5\n")}`);
    const command = app.run(config, config.requireRole("jobs"), { host: "1.1.1.2", envFile: new Redacted("\n") });
    expect(render(command)).toContain("--restart on-failure:5");
    const created = body(containerRunRequests(command));
    expect(created).toMatchObject({ Cmd: ["bin/jobs", "--queue=default"], Env: ["KAMAL_CONTAINER_NAME=app-jobs-999", "KAMAL_VERSION=999", "KAMAL_HOST=1.1.1.2"] });
    expect(created.HostConfig).toMatchObject({ RestartPolicy: { Name: "on-failure", MaximumRetryCount: 5 } });
  });

  it("leaves the command as it is for anything it doesn't translate exactly", () => {
    const env = "A=1\n";
    // Other docker run options (options:), the shell's $PWD (asset volumes), quoting, an env value the server's environment gives.
    const config = configFrom(KAMAL_BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    hosts:\n      - 1.1.1.1\n    options:\n      memory: 2g\n"));
    expect(containerRunRequests(app.run(config, config.requireRole("web"), { host: "1.1.1.1", envFile: new Redacted(env) }))).toBeUndefined();
    expect(containerRunRequests(runOf("asset_path: /public/assets\n", env))).toBeUndefined();
    expect(containerRunRequests(runOf("env:\n  clear:\n    GREETING: it's fine\n", env))).toBeUndefined();
    expect(containerRunRequests(runOf("", "BARE_NAME\n"))).toBeUndefined();
    expect(containerRunRequests(runOf())).toBeUndefined(); // the env file's content unknown
  });

  it("reads env files as Docker does: literal values, comments and blank lines skipped, one CR dropped", () => {
    expect(envFileLines("# c\n\n  KEY=a=b # not a comment\nX=\\t\"y\"\r\n")).toEqual(["KEY=a=b # not a comment", 'X=\\t"y"']);
    expect(envFileLines("BAD NAME=1\n")).toBeUndefined();
  });
});
