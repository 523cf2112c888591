// Golden tests for the build commands, mirroring Kamal's test/commands/builder_test.rb (this
// machine's arch pinned to amd64), plus the classic path for Docker without buildx.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as builder from "../../../src/commands/builder.js";
import type { BuilderKind } from "../../../src/commands/builder.js";
import { BerthError } from "../../../src/util/errors.js";
import { configFrom, fixtureConfig, shown, text } from "./helpers.js";

const LOCAL_ARCH = "amd64";

const BASE = `service: app
image: dhh/app
registry:
  username: dhh
  password: secret
servers:
  - 1.1.1.1
`;

/** A configuration with the given builder section (YAML, indented under `builder:`). */
const withBuilder = (section: string, options: { registry?: string; secrets?: Record<string, string>; destination?: string } = {}) => {
  const base = options.registry === undefined ? BASE : BASE.replace("registry:\n  username: dhh\n  password: secret\n", `registry:\n${options.registry}`);
  return configFrom(`${base}builder:\n${section}`, { version: "123", ...(options.secrets ? { secrets: options.secrets } : {}), ...(options.destination ? { destination: options.destination } : {}) });
};

const kindOf = (config: ReturnType<typeof withBuilder>): BuilderKind => builder.builderKind(config, LOCAL_ARCH);
const pushOf = (config: ReturnType<typeof withBuilder>, options: { noCache?: boolean; tagAsDirty?: boolean } = {}) =>
  text(builder.buildCommands(config, kindOf(config), { buildx: true, localArch: LOCAL_ARCH, ...options })[0]!);

const LOCAL = "docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:123 -t dhh/app:latest";

describe("builder kind and buildx push", () => {
  it.each([
    ["linux/amd64 locally by default, with the gha cache", "  arch: amd64\n  cache:\n    type: gha\n", "local", `${LOCAL} --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1`],
    ["the given arch locally", "  arch:\n    - amd64\n", "local", `${LOCAL} --label service="app" --file Dockerfile . 2>&1`],
    [
      "hybrid when remote is set and building multiarch",
      "  arch:\n    - amd64\n    - arm64\n  remote: ssh://app@127.0.0.1\n  cache:\n    type: gha\n",
      "hybrid",
      'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-hybrid-docker-container-ssh---app-127-0-0-1 -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1',
    ],
    [
      "remote when remote is set and local is disabled",
      "  arch:\n    - amd64\n    - arm64\n  remote: ssh://app@127.0.0.1\n  cache:\n    type: gha\n  local: false\n",
      "remote",
      'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-remote-ssh---app-127-0-0-1 -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1',
    ],
    [
      "remote when the arch is not this machine's",
      "  arch:\n    - arm64\n  remote: ssh://app@host\n  cache:\n    type: gha\n",
      "remote",
      'docker buildx build --output=type=registry --platform linux/arm64 --builder kamal-remote-ssh---app-host -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1',
    ],
    ["local when remote is set but the arch is this machine's", "  arch:\n    - amd64\n  remote: ssh://app@host\n  cache:\n    type: gha\n", "local", `${LOCAL} --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1`],
    [
      "cloud",
      "  arch:\n    - amd64\n  driver: cloud docker-org-name/builder-name\n",
      "cloud",
      'docker buildx build --output=type=registry --platform linux/amd64 --builder cloud-docker-org-name-builder-name -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile . 2>&1',
    ],
    ["a context", "  arch: amd64\n  context: ..\n", "local", `${LOCAL} --label service="app" --file Dockerfile .. 2>&1`],
    ["another context", "  arch: amd64\n  context: ./foo\n", "local", `${LOCAL} --label service="app" --file Dockerfile ./foo 2>&1`],
    ["build args", "  arch: amd64\n  args:\n    a: 1\n    b: 2\n", "local", `${LOCAL} --label service="app" --build-arg a="1" --build-arg b="2" --file Dockerfile . 2>&1`],
    ["provenance", "  arch: amd64\n  provenance: mode=max\n", "local", `${LOCAL} --label service="app" --file Dockerfile --provenance mode=max . 2>&1`],
    ["provenance false", "  arch: amd64\n  provenance: false\n", "local", `${LOCAL} --label service="app" --file Dockerfile --provenance false . 2>&1`],
    ["sbom", "  arch: amd64\n  sbom: true\n", "local", `${LOCAL} --label service="app" --file Dockerfile --sbom true . 2>&1`],
    ["sbom false", "  arch: amd64\n  sbom: false\n", "local", `${LOCAL} --label service="app" --file Dockerfile --sbom false . 2>&1`],
    [
      "dockerfile, target and ssh",
      "  arch: amd64\n  dockerfile: Dockerfile.xyz\n  target: prod\n  ssh: default=$SSH_AUTH_SOCK\n",
      "local",
      `${LOCAL} --label service="app" --file Dockerfile.xyz --target prod --ssh default=$SSH_AUTH_SOCK . 2>&1`,
    ],
    [
      "the registry cache",
      "  arch: amd64\n  cache:\n    type: registry\n    options: mode=max\n",
      "local",
      `${LOCAL} --cache-to type=registry,ref=dhh/app-build-cache,mode=max --cache-from type=registry,ref=dhh/app-build-cache --label service="app" --file Dockerfile . 2>&1`,
    ],
    [
      "the docker driver (no builder to name)",
      "  arch: amd64\n  driver: docker\n",
      "local",
      'docker buildx build --output=type=registry --platform linux/amd64 -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile . 2>&1',
    ],
  ])("%s", (_name, section, kind, expected) => {
    const config = withBuilder(section);
    expect(kindOf(config)).toBe(kind);
    expect(pushOf(config)).toBe(expected);
  });

  it("with secrets read from the environment", () => {
    const config = withBuilder("  arch: amd64\n  secrets:\n    - a\n    - b\n", { secrets: { a: "foo", b: "bar" } });
    expect(pushOf(config)).toBe(`${LOCAL} --label service="app" --secret id="a" --secret id="b" --file Dockerfile . 2>&1`);
    expect(Object.fromEntries(Object.entries(builder.buildEnvironment(config, "local")).map(([key, value]) => [key, value.value]))).toEqual({ a: "foo", b: "bar" });
  });

  it("without cache, and tagged dirty", () => {
    const config = withBuilder("  arch: amd64\n");
    expect(pushOf(config, { noCache: true })).toBe(`${LOCAL} --label service="app" --file Dockerfile --no-cache . 2>&1`);
    expect(pushOf(config, { tagAsDirty: true })).toBe(
      'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:123-dirty -t dhh/app:latest-dirty --label service="app" --file Dockerfile . 2>&1',
    );
  });

  it("prints build args redacted", () => {
    const config = withBuilder("  arch: amd64\n  args:\n    TOKEN: s3cret\n");
    const command = builder.buildCommands(config, "local", { buildx: true, localArch: LOCAL_ARCH })[0]!;
    expect(shown(command)).toContain("--build-arg TOKEN=[REDACTED] --file");
    expect(shown(command)).not.toContain("s3cret");
    expect(text(command)).toContain('--build-arg TOKEN="s3cret"');
  });

  it("tags latest per destination and builds every arch", () => {
    const config = fixtureConfig("destinations", { destination: "staging", version: "123" });
    expect(pushOf(config)).toBe(
      'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-local-docker-container -t dhh/app:123 -t dhh/app:latest-staging --label service="app" --build-arg BASE="slim" --file Dockerfile . 2>&1',
    );
  });

  it("a remote builder with every option", () => {
    const config = fixtureConfig("remote-builder", { version: "123", secrets: { GITHUB_TOKEN: "t" } });
    expect(kindOf(config)).toBe("remote");
    expect(pushOf(config)).toBe(
      'docker buildx build --output=type=registry --platform linux/arm64 --builder kamal-remote-ssh---docker-builder-example-com -t dhh/app:123 -t dhh/app:latest --cache-to type=registry,ref=dhh/app-build-cache,mode=max --cache-from type=registry,ref=dhh/app-build-cache --label service="app" --secret id="GITHUB_TOKEN" --file Dockerfile.production --target production --ssh default=$SSH_AUTH_SOCK --provenance false --sbom true . 2>&1',
    );
    expect(Object.keys(builder.buildEnvironment(config, "remote"))).toEqual(["GITHUB_TOKEN", "BUILDKIT_NO_CLIENT_TOKEN"]);
  });

  it("needs secrets to be loaded for builder secrets", () => {
    const config = withBuilder("  arch: amd64\n  secrets:\n    - a\n");
    expect(() => builder.buildEnvironment(config, "local")).toThrow(BerthError);
  });
});

describe("pack", () => {
  const PACK = "  arch: amd64\n  pack:\n    builder: heroku/builder:24\n    buildpacks:\n      - heroku/ruby\n      - heroku/procfile\n";
  const PACK_BUILD = "pack build dhh/app --platform linux/amd64 --creation-time now --builder heroku/builder:24 --buildpack heroku/ruby --buildpack heroku/procfile --buildpack paketo-buildpacks/image-labels -t dhh/app:123 -t dhh/app:latest";
  const PUSHES = "docker push dhh/app:123 && docker push dhh/app:latest";

  it("builds with pack and pushes both tags", () => {
    const config = withBuilder(PACK);
    expect(kindOf(config)).toBe("pack");
    expect(pushOf(config)).toBe(`${PACK_BUILD} --env BP_IMAGE_LABELS=service=app --path . && ${PUSHES}`);
  });

  it("passes build args as env, clears the cache on request", () => {
    const config = withBuilder(`${PACK}  args:\n    a: 1\n    b: 2\n`);
    expect(pushOf(config)).toBe(`${PACK_BUILD} --env BP_IMAGE_LABELS=service=app --env a="1" --env b="2" --path . && ${PUSHES}`);
    expect(pushOf(config, { noCache: true })).toBe(`${PACK_BUILD} --clear-cache --env BP_IMAGE_LABELS=service=app --env a="1" --env b="2" --path . && ${PUSHES}`);
  });

  it("passes secrets as redacted env", () => {
    const config = withBuilder(`${PACK}  secrets:\n    - token_a\n    - token_b\n`, { secrets: { token_a: "foo", token_b: "bar" } });
    expect(pushOf(config)).toBe(`${PACK_BUILD} --env BP_IMAGE_LABELS=service=app --env token_a="foo" --env token_b="bar" --path . && ${PUSHES}`);
    expect(shown(builder.pack.push(config, { localArch: LOCAL_ARCH }))).toContain("--env token_a=[REDACTED] --env token_b=[REDACTED] --path");
  });

  it("inspects the pack builder", () => {
    const config = withBuilder(PACK);
    expect(text(builder.buildx.info(config, "pack"))).toBe("pack builder inspect heroku/builder:24");
    expect(builder.buildx.create(config, "pack", LOCAL_ARCH)).toBeNull();
  });
});

describe("builder management", () => {
  it("creates, removes and inspects the local builder", () => {
    const config = withBuilder("  arch: amd64\n");
    expect(text(builder.buildx.create(config, "local", LOCAL_ARCH)!)).toBe("docker buildx create --name kamal-local-docker-container --driver=docker-container");
    expect(text(builder.buildx.remove(config, "local")!)).toBe("docker buildx rm kamal-local-docker-container");
    expect(text(builder.buildx.inspectBuilder(config, "local")!)).toBe("docker buildx inspect kamal-local-docker-container");
    expect(text(builder.buildx.info(config, "local"))).toBe("docker context ls && docker buildx ls");
  });

  it("has nothing to create with the docker driver", () => {
    const config = withBuilder("  arch: amd64\n  driver: docker\n");
    expect(builder.buildx.create(config, "local", LOCAL_ARCH)).toBeNull();
    expect(builder.buildx.remove(config, "local")).toBeNull();
    expect(builder.buildx.inspectBuilder(config, "local")).toBeNull();
  });

  it("uses host networking with a local registry, and loads the image here instead of pushing it (Berth serves it)", () => {
    const config = withBuilder("  arch: amd64\n", { registry: "  server: localhost:5000\n" });
    expect(kindOf(config)).toBe("local");
    expect(text(builder.buildx.create(config, "local", LOCAL_ARCH)!)).toBe("docker buildx create --name kamal-local-registry-docker-container --driver=docker-container --driver-opt network=host");
    // Kamal's command pushes to its registry container …
    expect(text(builder.buildx.push(config, "local", {}))).toBe(
      'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-registry-docker-container -t localhost:5000/dhh/app:123 -t localhost:5000/dhh/app:latest --label service="app" --file Dockerfile . 2>&1',
    );
    // … Berth's loads the image into this machine's Docker.
    expect(pushOf(config)).toBe(
      'docker buildx build --output=type=docker --platform linux/amd64 --builder kamal-local-registry-docker-container -t localhost:5000/dhh/app:123 -t localhost:5000/dhh/app:latest --label service="app" --file Dockerfile . 2>&1',
    );
  });

  it("creates a remote builder with a local registry", () => {
    const config = withBuilder("  arch: arm64\n  remote: ssh://app@1.1.1.5\n", { registry: "  server: localhost:5000\n" });
    expect(kindOf(config)).toBe("remote");
    expect(text(builder.buildx.create(config, "remote", LOCAL_ARCH)!)).toBe(
      "docker context create kamal-remote-ssh---app-1-1-1-5-local-registry-context --description 'kamal-remote-ssh---app-1-1-1-5-local-registry host' --docker 'host=ssh://app@1.1.1.5' ; docker buildx create --name kamal-remote-ssh---app-1-1-1-5-local-registry --driver-opt network=host kamal-remote-ssh---app-1-1-1-5-local-registry-context",
    );
  });

  it("creates a hybrid builder with a local registry", () => {
    const config = withBuilder("  arch:\n    - amd64\n    - arm64\n  remote: ssh://app@1.1.1.5\n", { registry: "  server: localhost:5000\n" });
    expect(kindOf(config)).toBe("hybrid");
    expect(text(builder.buildx.create(config, "hybrid", LOCAL_ARCH)!)).toBe(
      "docker buildx create --platform linux/amd64 --name kamal-hybrid-docker-container-ssh---app-1-1-1-5-local-registry --driver=docker-container --driver-opt network=host && docker context create kamal-hybrid-docker-container-ssh---app-1-1-1-5-local-registry-context --description 'kamal-hybrid-docker-container-ssh---app-1-1-1-5-local-registry host' --docker 'host=ssh://app@1.1.1.5' && docker buildx create --platform linux/arm64 --append --name kamal-hybrid-docker-container-ssh---app-1-1-1-5-local-registry --driver-opt network=host kamal-hybrid-docker-container-ssh---app-1-1-1-5-local-registry-context",
    );
  });

  it("creates, inspects and removes a remote builder", () => {
    const config = withBuilder("  arch: arm64\n  remote: ssh://app@host\n");
    expect(text(builder.buildx.create(config, "remote", LOCAL_ARCH)!)).toBe(
      "docker context create kamal-remote-ssh---app-host-context --description 'kamal-remote-ssh---app-host host' --docker 'host=ssh://app@host' ; docker buildx create --name kamal-remote-ssh---app-host kamal-remote-ssh---app-host-context",
    );
    expect(text(builder.buildx.inspectBuilder(config, "remote")!)).toBe(
      "docker buildx inspect kamal-remote-ssh---app-host | grep -q Endpoint:.*kamal-remote-ssh---app-host-context && docker context inspect kamal-remote-ssh---app-host-context --format '{{.Endpoints.docker.Host}}' | grep -xq ssh://app@host || (echo no compatible builder && exit 1)",
    );
    expect(text(builder.buildx.remove(config, "remote")!)).toBe("docker context rm kamal-remote-ssh---app-host-context ; docker buildx rm kamal-remote-ssh---app-host");
    expect(text(builder.buildx.info(config, "remote"))).toBe("docker context ls ; docker buildx ls");
  });

  it("creates and removes a cloud builder", () => {
    const config = withBuilder("  arch: amd64\n  driver: cloud docker-org-name/builder-name\n");
    expect(text(builder.buildx.create(config, "cloud", LOCAL_ARCH)!)).toBe("docker buildx create --driver cloud docker-org-name/builder-name");
    expect(text(builder.buildx.remove(config, "cloud")!)).toBe("docker buildx rm cloud-docker-org-name-builder-name");
  });

  it("checks Docker and buildx locally", () => {
    expect(text(builder.ensureInstalled())).toBe("docker --version && docker buildx version");
    expect(text(builder.buildxVersion())).toBe("docker buildx version");
  });
});

describe("classic build (no buildx)", () => {
  it("with a local registry builds only: nothing is pushed", () => {
    const config = withBuilder("  arch: amd64\n", { registry: "  server: localhost:5555\n" });
    expect(builder.buildCommands(config, "local", { buildx: false, localArch: LOCAL_ARCH }).map(text)).toEqual([
      'docker build -t localhost:5555/dhh/app:123 -t localhost:5555/dhh/app:latest --label service="app" --file Dockerfile .',
    ]);
  });

  it("builds then pushes each tag", () => {
    const config = withBuilder("  arch: amd64\n  args:\n    a: 1\n  secrets:\n    - token\n  target: prod\n  context: ./app\n", { secrets: { token: "t" } });
    expect(builder.buildCommands(config, "local", { buildx: false, localArch: LOCAL_ARCH }).map(text)).toEqual([
      'docker build -t dhh/app:123 -t dhh/app:latest --label service="app" --build-arg a="1" --secret id="token" --file Dockerfile --target prod ./app',
      "docker push dhh/app:123",
      "docker push dhh/app:latest",
    ]);
  });

  it("records the commit of a build from the git clone in a label", () => {
    const config = withBuilder("  arch: amd64\n");
    expect(text(builder.buildCommands(config, "local", { buildx: false, localArch: LOCAL_ARCH, revision: "4f2e9c", noCache: true })[0]!)).toBe(
      'docker build -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile --label org.opencontainers.image.revision="4f2e9c" --no-cache .',
    );
  });

  it("leaves out what only buildx does, and says so", () => {
    const config = withBuilder("  arch:\n    - amd64\n    - arm64\n  cache:\n    type: gha\n  ssh: default\n  provenance: mode=max\n  sbom: true\n");
    expect(builder.buildCommands(config, "local", { buildx: false, localArch: LOCAL_ARCH, noCache: true }).map(text)).toEqual([
      'docker build -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile --no-cache .',
      "docker push dhh/app:123",
      "docker push dhh/app:latest",
    ]);
    expect(builder.classic.unsupportedSettings(config, LOCAL_ARCH)).toEqual([
      "builder/arch (amd64, arm64: only this machine's amd64 is built)",
      "builder/cache",
      "builder/ssh",
      "builder/provenance",
      "builder/sbom",
    ]);
    expect(builder.classic.unsupportedSettings(withBuilder("  arch: amd64\n"), LOCAL_ARCH)).toEqual([]);
    expect(builder.classic.unsupportedSettings(withBuilder("  arch: arm64\n"), LOCAL_ARCH)).toEqual(["builder/arch (arm64: only this machine's amd64 is built)"]);
  });

  it("refuses remote builders without buildx", () => {
    const config = withBuilder("  arch: arm64\n  remote: ssh://app@host\n");
    expect(() => builder.buildCommands(config, "remote", { buildx: false, localArch: LOCAL_ARCH })).toThrow(/needs the docker buildx plugin/);
  });
});

describe("git clone for builds", () => {
  const config = withBuilder("  arch: amd64\n");
  const context = { tmpdir: "/tmp", pwd: "/home/me/src/app", gitRoot: "/home/me/src/app" };
  const sha = createHash("sha256").update("/home/me/src/app").digest("hex").slice(0, 13);

  it("names the clone and build directories like Kamal", () => {
    expect(builder.cloneDirectory(config, context)).toBe(`/tmp/kamal-clones/app-${sha}`);
    expect(builder.buildDirectory(config, context)).toBe(`/tmp/kamal-clones/app-${sha}/app/`);
    expect(builder.buildDirectory(config, { ...context, pwd: "/home/me/src/app/services/web" })).toMatch(/^\/tmp\/kamal-clones\/app-[0-9a-f]{13}\/app\/services\/web$/);
  });

  it("clones and refreshes", () => {
    expect(text(builder.clone(config, context))).toBe(`git -C /tmp/kamal-clones/app-${sha} clone /home/me/src/app --recurse-submodules`);
    const dir = `/tmp/kamal-clones/app-${sha}/app/`;
    expect(builder.cloneResetSteps(config, context, "abc123").map(text)).toEqual([
      `git -C ${dir} remote set-url origin /home/me/src/app`,
      `git -C ${dir} fetch origin`,
      `git -C ${dir} reset --hard abc123`,
      `git -C ${dir} clean -fdx`,
      `git -C ${dir} submodule update --init`,
      `git -C ${dir} gc --auto`,
    ]);
    expect(text(builder.cloneStatus(config, context))).toBe(`git -C ${dir} status --porcelain`);
    expect(text(builder.cloneRevision(config, context))).toBe(`git -C ${dir} rev-parse HEAD`);
  });

  it("escapes paths with spaces", () => {
    const spaced = { tmpdir: "/tmp", pwd: "/absolute/path with spaces", gitRoot: "/absolute/path with spaces" };
    const commands = [builder.clone(config, spaced), ...builder.cloneResetSteps(config, spaced, "abc")].map(text);
    for (const command of commands) {
      expect(command).toContain("path\\ with\\ spaces");
      expect(command).not.toContain("path with spaces");
    }
  });
});

describe("on the app hosts", () => {
  const config = withBuilder("  arch: amd64\n");
  it.each([
    ["clean", builder.clean(config), "docker image rm --force dhh/app:123"],
    ["pull", builder.pull(config), "docker pull dhh/app:123"],
    ["validate image", builder.validateImage(config), "docker inspect -f '{{ .Config.Labels.service }}' dhh/app:123 | grep -x app || (echo \"Image dhh/app:123 is missing the 'service' label\" && exit 1)"],
    ["first mirror", builder.firstMirror(), "docker info --format '{{index .RegistryConfig.Mirrors 0}}'"],
    [
      "image identity",
      builder.imageIdentity(config),
      "docker image inspect --format '{{.Id}} {{index .Config.Labels \"service\"}} {{index .Config.Labels \"org.opencontainers.image.revision\"}}' dhh/app:123 2>/dev/null || true",
    ],
  ])("%s", (_name, command, expected) => {
    expect(text(command)).toBe(expected);
  });

  it("reads an image's ID and service label, or nothing for a missing image", () => {
    expect(builder.parseImageIdentity("sha256:abc app\n")).toEqual({ id: "sha256:abc", service: "app" });
    expect(builder.parseImageIdentity("sha256:abc <no value> <no value>\n")).toEqual({ id: "sha256:abc", service: "" });
    expect(builder.parseImageIdentity("sha256:abc app 4f2e9c\n")).toEqual({ id: "sha256:abc", service: "app", revision: "4f2e9c" });
    expect(builder.parseImageIdentity("")).toBeUndefined();
  });
});
