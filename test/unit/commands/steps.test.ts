// Golden tests for the steps src/deploy used to build inline, now builders here: the exact text
// the deploy ran before, and the kind each operation has for its carriers (the Docker API, the
// proxy's control socket, --plan's local decisions).
import { describe, expect, it } from "vitest";
import * as app from "../../../src/commands/app.js";
import * as accessory from "../../../src/commands/accessory.js";
import * as builder from "../../../src/commands/builder.js";
import { containerRequests } from "../../../src/commands/container.js";
import { describeCall } from "../../../src/commands/docker-api.js";
import * as docker from "../../../src/commands/docker.js";
import { hostStateRead } from "../../../src/commands/host-state.js";
import * as proxy from "../../../src/commands/proxy.js";
import * as server from "../../../src/commands/server.js";
import { describeUpload, upload } from "../../../src/commands/upload.js";
import { Redacted } from "../../../src/core/cmd.js";
import { BerthError } from "../../../src/util/errors.js";
import { KAMAL_BASE, configFrom, shown, text } from "./helpers.js";

const config = configFrom(
  `${KAMAL_BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    - 1.1.1.1\n  workers:\n    hosts:\n      - 1.1.1.2\n    cmd: bin/jobs\n")}stop_timeout: 20\n` +
    "accessories:\n  mysql:\n    image: mysql:8\n    host: 1.1.1.3\n    volumes:\n      - data:/var/lib/mysql\n",
);
const web = config.requireRole("web");
const workers = config.requireRole("workers");
const clone = { tmpdir: "/tmp", pwd: "/src/app", gitRoot: "/src/app" };
const CLONE = "/tmp/kamal-clones/app-";

describe("app steps", () => {
  it("stops an old container by its name, with the role's stop timeout, also through the Docker API", () => {
    const stop = app.stopByName(config, web, "998");
    expect(text(stop)).toBe("docker stop -t 20 app-web-998");
    expect(containerRequests(stop)!.map(describeCall)).toEqual(["POST /containers/app-web-998/stop?t=20"]);
  });

  it("renames a clashing container and tags the image as latest, as operations with API renderings", () => {
    const rename = app.renameContainer(config, web, "999", "999_replaced_0123456789abcdef");
    expect(text(rename)).toBe("docker rename app-web-999 app-web-999_replaced_0123456789abcdef");
    expect(containerRequests(rename)!.map(describeCall)).toEqual(["POST /containers/app-web-999/rename?name=app-web-999_replaced_0123456789abcdef"]);
    const tag = app.tagLatestImage(config);
    expect(text(tag)).toBe("docker tag dhh/app:999 dhh/app:latest");
    expect(containerRequests(tag)!.map(describeCall)).toEqual(["POST /images/dhh/app:999/tag?repo=dhh%2Fapp&tag=latest"]);
  });

  it("lists every role's containers, stops every running container of a role, and unpacks error pages from stdin", () => {
    expect(text(app.listAllContainers(config))).toBe("docker container ls --all --filter label=service=app --filter label=destination=");
    expect(text(app.stopAll(config, workers))).toBe(
      "docker ps --quiet --filter label=service=app --filter label=destination= --filter label=role=workers | xargs docker stop -t 20",
    );
    const pages = app.extractErrorPages(config, Buffer.from("tar"), "999");
    expect(text(pages)).toBe(
      "mkdir -p .kamal/proxy/apps-config/app/error_pages/999 && tar -x -C .kamal/proxy/apps-config/app/error_pages/999",
    );
    expect(pages.stdin).toEqual(Buffer.from("tar"));
  });

  it("reads the host's state as one inspect, or as Docker API requests", () => {
    const read = hostStateRead(config);
    expect(read.kind).toBe("host-state");
    expect(text(read)).toMatch(/^docker inspect --format ".*" \$\(docker ps -aq --filter label=service=app\) kamal-proxy dhh\/app:latest dhh\/app:999 /);
  });

  it("switches the proxy with a ProxyCall whose arguments match its command", () => {
    const deploy = app.proxy.deploy(config, web, "0123456789ab");
    expect(deploy.kind).toBe("proxy-call");
    expect(text(deploy)).toBe(`docker exec kamal-proxy ${text(deploy.proxyCommand)}`);
    expect(text(deploy.proxyCommand)).toMatch(/^kamal-proxy deploy app-web --target="0123456789ab:80" --deploy-timeout="30s" /);
    expect(deploy.argv.slice(0, 4)).toEqual(["deploy", "app-web", "--target=0123456789ab:80", "--deploy-timeout=30s"]);
  });
});

describe("uploads", () => {
  it("writes through stdin into a temporary file, then renames it over the target", () => {
    const file = upload(".kamal/apps/app/env/roles/web.env", new Redacted("SECRET=1\n"));
    expect(shown(file)).toBe(
      `sh -c 'set -e; tmp=$(mktemp "$(dirname "$1")/.berth-upload.XXXXXX"); trap '\\''rm -f "$tmp"'\\'' EXIT; cat > "$tmp"; ` +
        `if [ -n "$3" ]; then chown "$3" "$tmp"; fi; chmod "$2" "$tmp"; mv -f "$tmp" "$1"; trap - EXIT' berth-upload .kamal/apps/app/env/roles/web.env 0600 ''`,
    );
    expect(describeUpload(file)).toBe("Uploading 9 bytes to .kamal/apps/app/env/roles/web.env (mode 0600)");
    expect(text(upload("a b", Buffer.from(""), { mode: 0o644, owner: "app:app" }))).toMatch(/ berth-upload 'a b' 0644 app:app$/);
    expect(() => upload("dir/", Buffer.from(""))).toThrow(BerthError);
    expect(() => upload("x", Buffer.from(""), { owner: "a;b" })).toThrow(BerthError);
  });
});

describe("removal steps", () => {
  it("counts the apps left, removes the network, and an accessory's env file and named volumes", () => {
    expect(text(server.remainingAppCount(config))).toBe("ls -A .kamal/apps 2>/dev/null | wc -l");
    expect(text(docker.removeNetwork())).toBe("docker network rm kamal");
    const mysql = config.accessories[0]!;
    expect(text(accessory.removeEnvFile(mysql))).toBe("rm -f .kamal/apps/app/env/accessories/mysql.env");
    expect(text(accessory.removeVolume("data"))).toBe("docker volume rm data");
  });
});

describe("Berth's proxy image", () => {
  it("is built with the base image as an argument and the kamal-proxy title label, then pushed", () => {
    expect(text(proxy.buildImage({ image: "registry:5000/team/berth-proxy:1", base: "node:20-alpine", dockerfile: "/tmp/stage/Dockerfile", context: "/tmp/stage" }))).toBe(
      "docker build --build-arg BASE=node:20-alpine --label org.opencontainers.image.title=kamal-proxy -t registry:5000/team/berth-proxy:1 -f /tmp/stage/Dockerfile /tmp/stage",
    );
    expect(text(proxy.pushImage("registry:5000/team/berth-proxy:1"))).toBe("docker push registry:5000/team/berth-proxy:1");
  });
});

describe("local probes and the build clone", () => {
  it("asks Docker and git what a build needs, as probes a plan may run", () => {
    expect(text(builder.localDockerTools())).toBe(
      "command -v docker >/dev/null || { echo no-docker; exit 0; }; docker buildx version >/dev/null 2>&1 && echo buildx || echo classic",
    );
    expect(text(builder.localArchitecture())).toBe("docker info --format '{{.Architecture}}'");
    expect(text(builder.dockerServerVersion())).toBe("docker version --format '{{.Server.Version}}'");
    expect(text(builder.gitState())).toBe("git rev-parse --show-toplevel HEAD && echo --- && git status --porcelain");
    expect(text(builder.headRevision())).toBe("git rev-parse HEAD");
    expect(text(builder.cloneAt("/tmp/kamal-clones/app-x/app"))).toBe(
      "git -C '/tmp/kamal-clones/app-x/app' status --porcelain --ignored && echo --- && git -C '/tmp/kamal-clones/app-x/app' rev-parse HEAD",
    );
    for (const probe of [builder.localDockerTools(), builder.localArchitecture(), builder.dockerServerVersion(), builder.gitState(), builder.cloneAt("x"), builder.imageIdentity(config)]) {
      expect(probe.kind).toBe("probe");
    }
  });

  it("clones, resets, checks and removes the clone in $TMPDIR/kamal-clones", () => {
    const directory = builder.cloneDirectory(config, clone);
    expect(directory.startsWith(CLONE)).toBe(true);
    const build = builder.buildDirectory(config, clone);
    expect(text(builder.cloneFresh(config, clone))).toBe(`mkdir -p ${directory} && git -C ${directory} clone /src/app --recurse-submodules`);
    expect(text(builder.cloneReset(config, clone, "abc"))).toBe(
      [
        `git -C ${build} remote set-url origin /src/app`,
        `git -C ${build} fetch origin`,
        `git -C ${build} reset --hard abc`,
        `git -C ${build} clean -fdx`,
        `git -C ${build} submodule update --init`,
        `git -C ${build} gc --auto`,
      ].join(" && "),
    );
    expect(text(builder.removeClone(config, clone))).toBe(`rm -rf ${directory}`);
    expect(text(builder.cloneCheck(config, clone))).toBe(`git -C ${build} status --porcelain && echo --- && git -C ${build} rev-parse HEAD`);
    expect([builder.cloneFresh(config, clone), builder.cloneReset(config, clone, "abc"), builder.removeClone(config, clone)].map((step) => step.kind)).toEqual(["clone", "clone", "clone"]);
    expect(builder.cloneCheck(config, clone).kind).toBe("clone-check");
  });
});
