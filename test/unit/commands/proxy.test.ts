// Golden tests for the proxy container commands, mirroring Kamal's test/commands/proxy_test.rb.
import { describe, expect, it } from "vitest";
import * as proxy from "../../../src/commands/proxy.js";
import { DEFAULT_PROXY_VERSION } from "../../../src/config/index.js";
import { KAMAL_BASE, configFrom, fixtureConfig, text } from "./helpers.js";

const RUN_BASE =
  "docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config";

const withRun = (run: string) => configFrom(`${KAMAL_BASE}proxy:\n  run:\n${run}`);

describe("proxy run", () => {
  it("reads the legacy boot files without proxy.run", () => {
    const config = configFrom(KAMAL_BASE, { version: "123" });
    const expected = `echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "${DEFAULT_PROXY_VERSION}") $(cat .kamal/proxy/run_command 2> /dev/null || echo "") | xargs ${RUN_BASE}`;
    expect(text(proxy.run(config, "1.1.1.1"))).toBe(expected);
    expect(DEFAULT_PROXY_VERSION).toBe("v0.9.2");
  });

  it.each([
    ["registry", "    registry: registry:4443\n", `${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=10m registry:4443/basecamp/kamal-proxy:v0.9.2 kamal-proxy run`],
    ["repository", "    repository: custom/repo\n", `${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=10m custom/repo:v0.9.2 kamal-proxy run`],
    ["version", "    version: v1.2.3\n", `${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=10m basecamp/kamal-proxy:v1.2.3 kamal-proxy run`],
    [
      "bind IPs",
      "    bind_ips:\n      - 0.0.0.0\n      - 127.0.0.1\n",
      `${RUN_BASE} --publish 0.0.0.0:80:80 --publish 0.0.0.0:443:443 --publish 127.0.0.1:80:80 --publish 127.0.0.1:443:443 --log-opt max-size=10m basecamp/kamal-proxy:v0.9.2 kamal-proxy run`,
    ],
    ["log max size", "    log_max_size: 50m\n", `${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=50m basecamp/kamal-proxy:v0.9.2 kamal-proxy run`],
    ["debug", "    debug: true\n", `${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=10m basecamp/kamal-proxy:v0.9.2 kamal-proxy run --debug`],
    ["metrics port", "    metrics_port: 9090\n", `${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=10m --expose=9090 basecamp/kamal-proxy:v0.9.2 kamal-proxy run --metrics-port "9090"`],
    ["no publishing", "    publish: false\n", `${RUN_BASE} --log-opt max-size=10m basecamp/kamal-proxy:v0.9.2 kamal-proxy run`],
    ["docker options", "    options:\n      memory: 512m\n", `${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=10m --memory "512m" basecamp/kamal-proxy:v0.9.2 kamal-proxy run`],
  ])("with proxy.run %s", (_name, run, expected) => {
    expect(text(proxy.run(withRun(run), "1.1.1.1"))).toBe(expected);
  });

  it("with every proxy.run setting, IPv6 bracketed", () => {
    const config = fixtureConfig("proxy-run");
    expect(text(proxy.run(config, "1.1.1.1"))).toBe(
      `${RUN_BASE} --publish 127.0.0.1:8080:80 --publish 127.0.0.1:8443:443 --publish [::1]:8080:80 --publish [::1]:8443:443 --log-opt max-size=50m --expose=9090 --memory "512m" registry.example.com/myorg/proxy:v1.0.0 kamal-proxy run --debug --metrics-port "9090"`,
    );
  });

  it("starts or runs", () => {
    const config = withRun("    debug: true\n");
    expect(text(proxy.startOrRun(config, "1.1.1.1"))).toBe(
      `docker container start kamal-proxy || ${RUN_BASE} --publish 80:80 --publish 443:443 --log-opt max-size=10m basecamp/kamal-proxy:v0.9.2 kamal-proxy run --debug`,
    );
  });
});

describe("proxy container", () => {
  const config = configFrom(KAMAL_BASE, { version: "123" });

  it.each([
    ["start", proxy.start(), "docker container start kamal-proxy"],
    ["stop", proxy.stop(), "docker container stop kamal-proxy"],
    ["info", proxy.info(), "docker ps --filter 'name=^kamal-proxy$'"],
    ["version", proxy.version(), "docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'"],
    ["container id", proxy.containerId(), "docker container ls --all --filter 'name=^kamal-proxy$' --quiet"],
    ["remove container", proxy.removeContainer(), "docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy"],
    ["remove image", proxy.removeImage(), "docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy"],
    [
      "cleanup traefik",
      proxy.cleanupTraefik(),
      "docker container stop traefik ; docker container prune --force --filter label=org.opencontainers.image.title=Traefik && docker image prune --all --force --filter label=org.opencontainers.image.title=Traefik",
    ],
    ["ensure proxy directory", proxy.ensureProxyDirectory(config), "mkdir -p .kamal/proxy"],
    ["remove proxy directory", proxy.removeProxyDirectory(config), "rm -r .kamal/proxy"],
    ["ensure apps-config directory", proxy.ensureAppsConfigDirectory(config), "mkdir -p .kamal/proxy/apps-config"],
    ["read boot options", proxy.readBootOptions(config), 'cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m"'],
    ["read image", proxy.readImage(config), 'cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"'],
    ["read image version", proxy.readImageVersion(config), 'cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2"'],
    ["read run command", proxy.readRunCommand(config), 'cat .kamal/proxy/run_command 2> /dev/null || echo ""'],
    ["reset boot options", proxy.resetBootOptions(config), "rm .kamal/proxy/options"],
    ["reset image", proxy.resetImage(config), "rm .kamal/proxy/image"],
    ["reset image version", proxy.resetImageVersion(config), "rm .kamal/proxy/image_version"],
    ["reset run command", proxy.resetRunCommand(config), "rm .kamal/proxy/run_command"],
    ["pull (boot files)", proxy.pull(config, "1.1.1.1"), 'docker pull $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2")'],
  ])("%s", (_name, command, expected) => {
    expect(text(command)).toBe(expected);
  });

  it("pulls the proxy.run image", () => {
    expect(text(proxy.pull(withRun("    version: v1.2.3\n"), "1.1.1.1"))).toBe("docker pull basecamp/kamal-proxy:v1.2.3");
  });

  it.each([
    [{}, "docker logs kamal-proxy --timestamps 2>&1"],
    [{ since: "2h" }, "docker logs kamal-proxy --since 2h --timestamps 2>&1"],
    [{ lines: 10 }, "docker logs kamal-proxy --tail 10 --timestamps 2>&1"],
    [{ timestamps: false }, "docker logs kamal-proxy 2>&1"],
    [{ grep: "hello!" }, "docker logs kamal-proxy --timestamps 2>&1 | grep 'hello!'"],
    [{ grep: "hello!", grepOptions: "-i" }, "docker logs kamal-proxy --timestamps 2>&1 | grep 'hello!' -i"],
  ])("logs %j", (options, expected) => {
    expect(text(proxy.logs(options))).toBe(expected);
  });

  it("follows logs", () => {
    expect(text(proxy.followLogs())).toBe("docker logs kamal-proxy --timestamps --tail 10 --follow 2>&1");
    expect(text(proxy.followLogs({ grep: "hello!" }))).toBe('docker logs kamal-proxy --timestamps --tail 10 --follow 2>&1 | grep "hello!"');
    expect(text(proxy.followLogs({ timestamps: false }))).toBe("docker logs kamal-proxy --tail 10 --follow 2>&1");
  });
});

describe("proxy boot_config", () => {
  const config = configFrom(KAMAL_BASE);

  it("prints the legacy boot configuration", () => {
    expect(text(proxy.bootConfig(config))).toBe(
      'echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2") $(cat .kamal/proxy/run_command 2> /dev/null || echo "")',
    );
  });

  it("removes files that would hold defaults", () => {
    const steps = proxy.bootConfigSet(config, {});
    expect(steps.map((step) => (step.kind === "upload" ? `upload ${step.path}` : `${text(step.command)}${step.allowFailure ? " (may fail)" : ""}`))).toEqual([
      "mkdir -p .kamal/proxy",
      "rm .kamal/proxy/options (may fail)",
      "rm .kamal/proxy/image (may fail)",
      "rm .kamal/proxy/image_version (may fail)",
      "rm .kamal/proxy/run_command (may fail)",
    ]);
  });

  it("writes the files for custom settings", () => {
    const steps = proxy.bootConfigSet(config, {
      httpPort: 8080,
      httpsPort: 8443,
      publishHostIps: ["127.0.0.1", "::1"],
      logMaxSize: "50m",
      metricsPort: 9090,
      debug: true,
      registry: "registry.example.com",
      repository: "acme",
      imageVersion: "v0.9.3",
      dockerOptions: ["memory=512m"],
    });
    const uploads = Object.fromEntries(steps.flatMap((step) => (step.kind === "upload" ? [[step.path, step.content]] : [])));
    expect(uploads).toEqual({
      ".kamal/proxy/options": "--publish 127.0.0.1:8080:80 --publish 127.0.0.1:8443:443 --publish [::1]:8080:80 --publish [::1]:8443:443 --log-opt max-size=50m --expose=9090 --memory=512m",
      ".kamal/proxy/image": "registry.example.com/acme/kamal-proxy",
      ".kamal/proxy/image_version": "v0.9.3",
      ".kamal/proxy/run_command": 'kamal-proxy run --debug --metrics-port "9090"',
    });
  });

  it("leaves publishing out and rejects a bad bind address", () => {
    expect(proxy.bootOptions({ publish: false })).toEqual(["--log-opt", "max-size=10m"]);
    expect(() => proxy.bootOptions({ publishHostIps: ["not-an-ip"] })).toThrow(/not-an-ip is not an IP address/);
  });

  it("resets all four files", () => {
    expect(proxy.bootConfigReset(config).map(text)).toEqual(["rm .kamal/proxy/options", "rm .kamal/proxy/image", "rm .kamal/proxy/image_version", "rm .kamal/proxy/run_command"]);
  });
});

describe("proxy service calls", () => {
  it("lists services and manages rollouts (Berth extensions)", () => {
    expect(text(proxy.service.list())).toBe("docker exec kamal-proxy kamal-proxy list");
    expect(text(proxy.service.rolloutSet("app-web", { percent: 10 }))).toBe('docker exec kamal-proxy kamal-proxy rollout set app-web --percent="10"');
    expect(text(proxy.service.rolloutSet("app-web", { percent: 25, allowlist: ["acct-1", "acct-2"] }))).toBe(
      'docker exec kamal-proxy kamal-proxy rollout set app-web --percent="25" --list="acct-1,acct-2"',
    );
    expect(text(proxy.service.rolloutStop("app-web"))).toBe("docker exec kamal-proxy kamal-proxy rollout stop app-web");
    expect(() => proxy.service.rolloutSet("app-web", {})).toThrow(/percentage or an allowlist/);
  });

  it("stops, resumes and removes a service by name", () => {
    expect(text(proxy.service.stop("svc", { drainTimeout: 5 }))).toBe('docker exec kamal-proxy kamal-proxy stop svc --drain-timeout="5s"');
    expect(text(proxy.service.resume("svc"))).toBe("docker exec kamal-proxy kamal-proxy resume svc");
    expect(text(proxy.service.remove("svc"))).toBe("docker exec kamal-proxy kamal-proxy remove svc");
  });
});
