// Golden tests for app container commands, mirroring Kamal's test/commands/app_test.rb.
import { describe, expect, it } from "vitest";
import * as app from "../../../src/commands/app.js";
import { configFrom, fixtureConfig, text } from "./helpers.js";

const BASE = `service: app
image: dhh/app
registry:
  username: dhh
  password: secret
servers:
  web:
    - 1.1.1.1
  workers:
    - 1.1.1.2
env:
  secret:
    - RAILS_MASTER_KEY
builder:
  arch: amd64
`;

const setup = (extra = "", options: { destination?: string; version?: string } = {}) => {
  const config = configFrom(BASE + extra, options);
  return { config, web: config.requireRole("web"), workers: config.requireRole("workers") };
};

/** Kamal's "current container" lookup for the web role without destination, with a docker ps format. */
const current = (format: string, destination = "", reference = "dhh/app:latest", role = "web") => {
  const ps = `docker ps --latest ${format} --filter label=service=app --filter label=destination=${destination} --filter label=role=${role} --filter status=running --filter status=restarting`;
  return `sh -c '${ps} --filter ancestor=$(docker image ls --filter reference=${reference} --format '\\''{{.ID}}'\\'') ; ${ps}' | head -1`;
};
const CURRENT_ID = current("--quiet");
const LOG_HEADERS = '--log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"';

describe("app run", () => {
  it.each([
    [
      "default",
      "",
      {},
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:999',
    ],
    [
      "with a destination",
      "",
      { destination: "staging" },
      'docker run --detach --restart unless-stopped --name app-web-staging-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-staging-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env KAMAL_DESTINATION="staging" --env-file .kamal/apps/app-staging/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination="staging" dhh/app:999',
    ],
    [
      "with volumes",
      "volumes:\n  - /local/path:/container/path\n",
      {},
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --volume /local/path:/container/path --label service="app" --label role="web" --label destination dhh/app:999',
    ],
    [
      "with logging config",
      "logging:\n  driver: local\n  options:\n    max-size: 100m\n    max-file: 3\n",
      {},
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --label service="app" --label role="web" --label destination dhh/app:999',
    ],
    [
      "with custom labels",
      "labels:\n  team: platform\n",
      {},
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination --label team="platform" dhh/app:999',
    ],
    [
      "with an asset path",
      "asset_path: /public/assets\n",
      {},
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --volume $PWD/.kamal/apps/app/assets/volumes/web-999:/public/assets --label service="app" --label role="web" --label destination dhh/app:999',
    ],
  ])("%s", (_name, extra, options, expected) => {
    const { config, web } = setup(extra, options);
    expect(text(app.run(config, web, { host: "1.1.1.1" }))).toBe(expected);
  });

  it("with a hostname", () => {
    const { config, web } = setup();
    expect(text(app.run(config, web, { host: "1.1.1.1", hostname: "myhost" }))).toBe(
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --hostname myhost --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:999',
    );
  });

  it("with custom options and a command", () => {
    const config = configFrom(
      BASE.replace("  workers:\n    - 1.1.1.2\n", "  jobs:\n    hosts:\n      - 1.1.1.2\n    cmd: bin/jobs\n    options:\n      mount: somewhere\n      cap-add: true\n"),
    );
    expect(text(app.run(config, config.requireRole("jobs"), { host: "1.1.1.2" }))).toBe(
      'docker run --detach --restart unless-stopped --name app-jobs-999 --network kamal --env KAMAL_CONTAINER_NAME="app-jobs-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.2" --env-file .kamal/apps/app/env/roles/jobs.env --log-opt max-size="10m" --label service="app" --label role="jobs" --label destination --mount "somewhere" --cap-add dhh/app:999 bin/jobs',
    );
  });

  it("with role logging merged over the root's", () => {
    const config = configFrom(
      BASE.replace("  web:\n    - 1.1.1.1\n", "  web:\n    hosts:\n      - 1.1.1.1\n    logging:\n      driver: local\n      options:\n        max-size: 100m\n") +
        "logging:\n  driver: local\n  options:\n    max-size: 10m\n    max-file: 3\n",
    );
    expect(text(app.run(config, config.requireRole("web"), { host: "1.1.1.1" }))).toContain('--log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --label');
  });

  it("with host tags", () => {
    const config = configFrom(
      BASE.replace("servers:\n  web:\n    - 1.1.1.1\n  workers:\n    - 1.1.1.2\n", "servers:\n  - 1.1.1.1: tag1\n").replace(
        "env:\n  secret:\n    - RAILS_MASTER_KEY\n",
        "env:\n  secret:\n    - RAILS_MASTER_KEY\n  tags:\n    tag1:\n      ENV1: value1\n",
      ),
    );
    expect(text(app.run(config, config.requireRole("web"), { host: "1.1.1.1" }))).toBe(
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env ENV1="value1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:999',
    );
  });

  it("merges root, role and every host tag's env in order", () => {
    const config = fixtureConfig("env-tags");
    expect(text(app.run(config, config.requireRole("web"), { host: "1.1.1.2" }))).toContain(
      '--env KAMAL_HOST="1.1.1.2" --env SHARED="beta" --env ROOT_ONLY="1" --env ALPHA="yes" --env BETA="1" --env-file .kamal/apps/app/env/roles/web.env',
    );
    expect(text(app.run(config, config.requireRole("web"), { host: "1.1.1.3" }))).toContain('--env SHARED="root" --env ROOT_ONLY="1" --env-file');
  });

  it("a workers role with options, restart policy, role logging, env, labels and a private registry", () => {
    const config = fixtureConfig("roles");
    const workers = config.requireRole("workers");
    expect(text(app.run(config, workers, { host: "1.1.1.3", hostname: app.hostname("1.1.1.3", "0123456789ab") }))).toBe(
      'docker run --detach --restart on-failure:5 --name app-workers-999 --network kamal --hostname 1.1.1.3-0123456789ab --env KAMAL_CONTAINER_NAME="app-workers-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.3" --env RAILS_ENV="production" --env QUEUES="default,mailers" --env-file .kamal/apps/app/env/roles/workers.env --log-driver "json-file" --log-opt max-size="100m" --log-opt max-file="3" --label service="app" --label role="workers" --label destination --label team="platform" --memory "2g" --cpus "4" --init registry.example.com/dhh/app:999 bin/jobs',
    );
    const web = config.requireRole("web");
    expect(text(app.run(config, web, { host: "1.1.1.1" }))).toContain('--label destination --label team="platform" --label tier="frontend" registry.example.com/dhh/app:999');
  });

  it("runs another version for a rollback", () => {
    const { config, web } = setup();
    expect(text(app.run(config, web, { host: "1.1.1.1", version: "123" }))).toBe(
      'docker run --detach --restart unless-stopped --name app-web-123 --network kamal --env KAMAL_CONTAINER_NAME="app-web-123" --env KAMAL_VERSION="123" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:123',
    );
  });

  it("takes a restart policy from the role's options", () => {
    const config = configFrom(BASE.replace("  web:\n    - 1.1.1.1\n", "  web:\n    hosts:\n      - 1.1.1.1\n    options:\n      restart: always\n"));
    expect(text(app.run(config, config.requireRole("web"), { host: "1.1.1.1" }))).toMatch(/^docker run --detach --restart always --name app-web-999 /);
  });
});

describe("hostname", () => {
  it("is the host cut to 51 characters plus 12 hex digits", () => {
    expect(app.hostname("1.1.1.1", "a1b2c3d4e5f6")).toBe("1.1.1.1-a1b2c3d4e5f6");
    const long = `${"a".repeat(50)}.example.com`;
    expect(app.hostname(long, "000000000000")).toBe(`${"a".repeat(50)}-000000000000`);
    expect(app.hostname(`${"b".repeat(60)}`, "ffffffffffff")).toHaveLength(64);
  });
  it("rejects a suffix that is not 12 hex digits", () => {
    expect(() => app.hostname("h", "xyz")).toThrow(/12 lowercase hex digits/);
  });
});

describe("start, stop, status, info", () => {
  it("starts by name", () => {
    expect(text(app.start(setup().config, setup().web))).toBe("docker start app-web-999");
    const staging = setup("", { destination: "staging" });
    expect(text(app.start(staging.config, staging.web))).toBe("docker start app-web-staging-999");
  });

  it("stops the current container", () => {
    const { config, web } = setup();
    expect(text(app.stop(config, web))).toBe(`${CURRENT_ID} | xargs docker stop`);
  });

  it("stops non-proxied roles with the drain timeout", () => {
    const { config, web, workers } = setup("drain_timeout: 20\n");
    expect(text(app.stop(config, web))).toBe(`${CURRENT_ID} | xargs docker stop`);
    expect(text(app.stop(config, workers))).toBe(`${current("--quiet", "", "dhh/app:latest", "workers")} | xargs docker stop -t 20`);
  });

  it("stops with the role's stop_timeout", () => {
    const config = fixtureConfig("roles");
    expect(text(app.stop(config, config.requireRole("workers"), { version: "123" }))).toBe("docker container ls --all --filter 'name=^app-workers-123$' --quiet | xargs docker stop -t 60");
  });

  it("stops a version", () => {
    const { config, web } = setup();
    expect(text(app.stop(config, web, { version: "123" }))).toBe("docker container ls --all --filter 'name=^app-web-123$' --quiet | xargs docker stop");
  });

  it("reads health, else state", () => {
    const { config, web } = setup();
    expect(text(app.status(config, web, "999"))).toBe(
      "docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'",
    );
  });

  it("lists the role's containers", () => {
    const { config, web } = setup();
    expect(text(app.info(config, web))).toBe("docker ps --filter label=service=app --filter label=destination= --filter label=role=web");
    const staging = setup("", { destination: "staging" });
    expect(text(app.info(staging.config, staging.web))).toBe("docker ps --filter label=service=app --filter label=destination=staging --filter label=role=web");
  });
});

describe("proxy calls", () => {
  it.each([
    ["default", "", `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ${LOG_HEADERS}`],
    [
      "with SSL",
      "proxy:\n  ssl: true\n  host: example.com\n",
      `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --host="example.com" --tls --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ${LOG_HEADERS}`,
    ],
    [
      "with SSL for several hosts",
      "proxy:\n  ssl: true\n  hosts:\n    - example.com\n    - anotherexample.com\n",
      `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --host="example.com" --host="anotherexample.com" --tls --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ${LOG_HEADERS}`,
    ],
    ["with SSL false", "proxy:\n  ssl: false\n", `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ${LOG_HEADERS}`],
    [
      "with buffering, app port and custom log headers",
      "proxy:\n  app_port: 3000\n  buffering:\n    requests: true\n    responses: false\n    memory: 5000000\n    max_request_body: 40000000\n    max_response_body: 0\n  logging:\n    request_headers:\n      - X-Forwarded-For\n    response_headers:\n      - X-Request-ID\n      - X-Runtime\n",
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:3000" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses="false" --buffer-memory="5000000" --max-request-body="40000000" --max-response-body="0" --log-request-header="X-Forwarded-For" --log-response-header="X-Request-ID" --log-response-header="X-Runtime"',
    ],
    [
      "with a response timeout and custom timeouts",
      "deploy_timeout: 10\ndrain_timeout: 5\nproxy:\n  response_timeout: 45\n  healthcheck:\n    path: /healthz\n    interval: 3\n    timeout: 2\n",
      `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --deploy-timeout="10s" --drain-timeout="5s" --health-check-interval="3s" --health-check-timeout="2s" --health-check-path="/healthz" --target-timeout="45s" --buffer-requests --buffer-responses ${LOG_HEADERS}`,
    ],
  ])("deploy %s", (_name, extra, expected) => {
    const { config, web } = setup(extra);
    expect(text(app.proxy.deploy(config, web, "172.1.0.2"))).toBe(expected);
  });

  it("deploys a role with the role's proxy settings", () => {
    const config = fixtureConfig("roles");
    expect(text(app.proxy.deploy(config, config.requireRole("web"), "abc123"))).toBe(
      `docker exec kamal-proxy kamal-proxy deploy app-web --target="abc123:3000" --host="app.example.com" --deploy-timeout="30s" --drain-timeout="30s" --health-check-interval="2s" --health-check-path="/health" --buffer-requests --buffer-responses ${LOG_HEADERS}`,
    );
  });

  it("deploys with SSL, path prefixes, header forwarding and error pages", () => {
    const config = fixtureConfig("proxy-ssl");
    expect(text(app.proxy.deploy(config, config.requireRole("web"), "c1"))).toBe(
      `docker exec kamal-proxy kamal-proxy deploy shop-web --target="c1:80" --host="shop.example" --host="www.shop.example" --tls --deploy-timeout="60s" --drain-timeout="15s" --health-check-interval="3s" --health-check-timeout="2s" --health-check-path="/healthz" --buffer-requests --buffer-responses --path-prefix="/store" --path-prefix="/cart" --forward-headers --tls-redirect="false" ${LOG_HEADERS} --error-pages="/home/kamal-proxy/.apps-config/shop/error_pages/999"`,
    );
  });

  it("deploys with a custom certificate, role path prefixes and no request buffering", () => {
    const config = fixtureConfig("proxy-ssl");
    expect(text(app.proxy.deploy(config, config.requireRole("api"), "c2"))).toBe(
      `docker exec kamal-proxy kamal-proxy deploy shop-api --target="c2:80" --host="api.shop.example" --tls --tls-certificate-path="/home/kamal-proxy/.apps-config/shop/tls/api/cert.pem" --tls-private-key-path="/home/kamal-proxy/.apps-config/shop/tls/api/key.pem" --deploy-timeout="60s" --drain-timeout="15s" --health-check-interval="3s" --health-check-timeout="2s" --health-check-path="/healthz" --target-timeout="60s" --buffer-requests="false" --buffer-responses --max-request-body="10000000" --path-prefix="/v1" --path-prefix="/v2" --strip-path-prefix="false" --forward-headers --tls-redirect="false" ${LOG_HEADERS} --log-response-header="X-Request-ID" --error-pages="/home/kamal-proxy/.apps-config/shop/error_pages/999"`,
    );
  });

  it("deploys a destination's service name and several targets", () => {
    const { config, web } = setup("", { destination: "staging" });
    expect(text(app.proxy.deploy(config, web, ["a1", "b2"]))).toBe(
      `docker exec kamal-proxy kamal-proxy deploy app-web-staging --target="a1:80" --target="b2:80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ${LOG_HEADERS}`,
    );
  });

  it("refuses a role that is not proxied", () => {
    const { config, workers } = setup();
    expect(() => app.proxy.deploy(config, workers, "x")).toThrow(/does not run behind the proxy/);
  });

  it("removes, resumes and stops for maintenance", () => {
    const { config, web } = setup();
    expect(text(app.proxy.remove(config, web))).toBe("docker exec kamal-proxy kamal-proxy remove app-web");
    expect(text(app.proxy.live(config, web))).toBe("docker exec kamal-proxy kamal-proxy resume app-web");
    expect(text(app.proxy.maintenance(config, web))).toBe("docker exec kamal-proxy kamal-proxy stop app-web");
    expect(text(app.proxy.maintenance(config, web, { drainTimeout: 10, message: "Hi" }))).toBe('docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="10s" --message="Hi"');
    expect(text(app.proxy.maintenance(config, web, { message: 'Back at "5"' }))).toBe('docker exec kamal-proxy kamal-proxy stop app-web --message="Back at \\"5\\""');
  });

  it("deploys rollout targets (Berth extension)", () => {
    const { config, web } = setup();
    expect(text(app.proxy.rolloutDeploy(config, web, "c9"))).toBe('docker exec kamal-proxy kamal-proxy rollout deploy app-web --target="c9:80" --deploy-timeout="30s" --drain-timeout="30s"');
  });

  it("manages the proxy's files for the app", () => {
    const { config } = setup();
    expect(text(app.proxy.removeProxyAppDirectory(config))).toBe("rm -r .kamal/proxy/apps-config/app");
    const ssl = fixtureConfig("proxy-ssl");
    expect(text(app.proxy.createSslDirectory(ssl, ssl.requireRole("api")))).toBe("mkdir -p .kamal/proxy/apps-config/shop/tls/api");
    expect(text(app.proxy.setCertificatePermissions(ssl))).toBe("docker exec --user root kamal-proxy chown -R kamal-proxy:kamal-proxy /home/kamal-proxy/.apps-config/shop/tls");
  });
});

describe("logs", () => {
  const { config, web } = setup();
  it.each([
    [{}, `${CURRENT_ID} | xargs docker logs --timestamps 2>&1`],
    [{ containerId: "C137" }, "echo C137 | xargs docker logs --timestamps 2>&1"],
    [{ since: "5m" }, `${CURRENT_ID} | xargs docker logs --timestamps --since 5m 2>&1`],
    [{ lines: "100" }, `${CURRENT_ID} | xargs docker logs --timestamps --tail 100 2>&1`],
    [{ since: "5m", lines: "100" }, `${CURRENT_ID} | xargs docker logs --timestamps --since 5m --tail 100 2>&1`],
    [{ grep: "my-id" }, `${CURRENT_ID} | xargs docker logs --timestamps 2>&1 | grep 'my-id'`],
    [{ grep: "my-id", grepOptions: "-C 2" }, `${CURRENT_ID} | xargs docker logs --timestamps 2>&1 | grep 'my-id' -C 2`],
    [{ since: "5m", grep: "my-id", grepOptions: "-C 2" }, `${CURRENT_ID} | xargs docker logs --timestamps --since 5m 2>&1 | grep 'my-id' -C 2`],
    [{ timestamps: false, lines: 10 }, `${CURRENT_ID} | xargs docker logs --tail 10 2>&1`],
    [{ version: "998" }, "docker container ls --all --filter 'name=^app-web-998$' --quiet | xargs docker logs --timestamps 2>&1"],
  ])("logs %j", (options, expected) => {
    expect(text(app.logs(config, web, options))).toBe(expected);
  });

  it.each([
    [{}, `${CURRENT_ID} | xargs docker logs --timestamps --follow 2>&1`],
    [{ grep: "Completed" }, `${CURRENT_ID} | xargs docker logs --timestamps --follow 2>&1 | grep "Completed"`],
    [{ containerId: "ID321" }, "echo ID321 | xargs docker logs --timestamps --follow 2>&1"],
    [{ lines: 123 }, `${CURRENT_ID} | xargs docker logs --timestamps --tail 123 --follow 2>&1`],
    [{ lines: 123, grep: "Completed" }, `${CURRENT_ID} | xargs docker logs --timestamps --tail 123 --follow 2>&1 | grep "Completed"`],
    [{ timestamps: false, lines: 123, grep: "Completed" }, `${CURRENT_ID} | xargs docker logs --tail 123 --follow 2>&1 | grep "Completed"`],
  ])("follow logs %j", (options, expected) => {
    expect(text(app.followLogs(config, web, options))).toBe(expected);
  });

  it("shows a failed container's logs and health log", () => {
    expect(text(app.failedContainerLogs(config, web, "999", 50))).toBe("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker logs --timestamps --tail 50 2>&1");
    expect(text(app.containerHealthLog(config, web, "999"))).toBe("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker inspect --format '{{json .State.Health}}'");
  });
});

describe("exec", () => {
  it.each([
    [
      "in a new container",
      "",
      {},
      'docker run --rm --name app-web-exec-999-a1b2c3 --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" dhh/app:999 bin/rails db:setup',
    ],
    [
      "with logging",
      "logging:\n  driver: local\n  options:\n    max-size: 100m\n    max-file: 3\n",
      {},
      'docker run --rm --name app-web-exec-999-a1b2c3 --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" dhh/app:999 bin/rails db:setup',
    ],
    [
      "with env",
      "",
      { env: { foo: "bar" } },
      'docker run --rm --name app-web-exec-999-a1b2c3 --network kamal --env-file .kamal/apps/app/env/roles/web.env --env foo="bar" --log-opt max-size="10m" dhh/app:999 bin/rails db:setup',
    ],
    [
      "detached",
      "",
      { detach: true },
      'docker run --detach --name app-web-exec-999-a1b2c3 --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" dhh/app:999 bin/rails db:setup',
    ],
    [
      "interactive, with volumes",
      "volumes:\n  - /data:/data\n",
      { interactive: "tty" as const },
      'docker run -it --rm --name app-web-exec-999-a1b2c3 --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --volume /data:/data dhh/app:999 bin/rails db:setup',
    ],
  ])("%s", (_name, extra, options, expected) => {
    const { config, web } = setup(extra);
    expect(text(app.execInNewContainer(config, web, { command: "bin/rails db:setup", host: "1.1.1.1", random: "a1b2c3", ...options }))).toBe(expected);
  });

  it("in a new container with custom options", () => {
    const config = configFrom(BASE.replace("  web:\n    - 1.1.1.1\n", "  web:\n    hosts:\n      - 1.1.1.1\n    options:\n      mount: somewhere\n      cap-add: true\n"));
    expect(text(app.execInNewContainer(config, config.requireRole("web"), { command: "bin/rails db:setup", host: "1.1.1.1", random: "a1b2c3" }))).toBe(
      'docker run --rm --name app-web-exec-999-a1b2c3 --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --mount "somewhere" --cap-add dhh/app:999 bin/rails db:setup',
    );
  });

  it("in the running container", () => {
    const { config, web } = setup();
    expect(text(app.execInExistingContainer(config, web, { command: "bin/rails db:setup" }))).toBe("docker exec app-web-999 bin/rails db:setup");
    expect(text(app.execInExistingContainer(config, web, { command: "bin/rails db:setup", env: { foo: "bar" } }))).toBe('docker exec --env foo="bar" app-web-999 bin/rails db:setup');
    expect(text(app.execInExistingContainer(config, web, { command: "bin/rails c", interactive: "tty" }))).toBe("docker exec -it app-web-999 bin/rails c");
    expect(text(app.execInExistingContainer(config, web, { command: "bin/rails c", interactive: "pipe" }))).toBe("docker exec -i app-web-999 bin/rails c");
  });

  it("names exec containers after the role, version and 6 hex digits", () => {
    const { config, web } = setup("", { destination: "staging" });
    expect(app.execContainerName(config, web, "abcdef")).toBe("app-web-staging-exec-999-abcdef");
    expect(() => app.execContainerName(config, web, "ABCDEF")).toThrow(/6 lowercase hex/);
  });
});

describe("lookups", () => {
  it("finds the current container and version", () => {
    const { config, web } = setup();
    expect(text(app.currentRunningContainerId(config, web))).toBe(CURRENT_ID);
    expect(text(app.currentRunningVersion(config, web))).toBe(`${current("--format '\\''{{.Names}}'\\''")} | while read line; do echo \${line#app-web-}; done`);
    const staging = setup("", { destination: "staging" });
    expect(text(app.currentRunningContainerId(staging.config, staging.web))).toBe(current("--quiet", "staging", "dhh/app:latest-staging"));
  });

  it("finds a container by exact name", () => {
    const { config, web } = setup();
    expect(text(app.containerIdForVersion(config, web, "999"))).toBe("docker container ls --all --filter 'name=^app-web-999$' --quiet");
    expect(text(app.containerIdForVersion(config, web, "999", { onlyRunning: true }))).toBe("docker container ls --filter 'name=^app-web-999$' --quiet");
  });

  it("lists versions", () => {
    const { config, web } = setup();
    expect(text(app.listVersions(config, web))).toBe('docker ps --filter label=service=app --filter label=destination= --filter label=role=web --format "{{.Names}}" | while read line; do echo ${line#app-web-}; done');
    expect(text(app.listVersions(config, web, { latest: true, statuses: ["running", "restarting"] }))).toBe(
      'docker ps --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --latest --format "{{.Names}}" | while read line; do echo ${line#app-web-}; done',
    );
  });

  it("picks stale versions", () => {
    expect(app.staleVersions(["999", "998", "", "997 "], "999")).toEqual(["998", "997"]);
    expect(app.staleVersions(["999"], undefined)).toEqual(["999"]);
  });

  it("ensures the env directory", () => {
    const { web } = setup("", { destination: "staging" });
    expect(text(app.ensureEnvDirectory(web))).toBe("mkdir -p .kamal/apps/app-staging/env/roles");
  });
});

describe("containers and images", () => {
  const { config, web } = setup();
  const staging = setup("", { destination: "staging" });

  it("lists containers", () => {
    expect(text(app.listContainers(config, web))).toBe("docker container ls --all --filter label=service=app --filter label=destination= --filter label=role=web");
    expect(text(app.listContainers(staging.config, staging.web))).toBe("docker container ls --all --filter label=service=app --filter label=destination=staging --filter label=role=web");
    expect(text(app.listContainerNames(config, web))).toBe("docker container ls --all --filter label=service=app --filter label=destination= --filter label=role=web --format '{{ .Names }}'");
  });

  it("removes containers", () => {
    expect(text(app.removeContainer(config, web, "999"))).toBe("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker container rm");
    expect(text(app.removeContainer(staging.config, staging.web, "999"))).toBe("docker container ls --all --filter 'name=^app-web-staging-999$' --quiet | xargs docker container rm");
    expect(text(app.removeContainers(config, web))).toBe("docker container prune --force --filter label=service=app --filter label=destination= --filter label=role=web");
    expect(text(app.removeContainers(staging.config, staging.web))).toBe("docker container prune --force --filter label=service=app --filter label=destination=staging --filter label=role=web");
  });

  it("renames a clashing container", () => {
    const renamed = app.replacedVersion("999", "0123456789abcdef");
    expect(renamed).toBe("999_replaced_0123456789abcdef");
    expect(text(app.renameContainer(config, web, "999", renamed))).toBe("docker rename app-web-999 app-web-999_replaced_0123456789abcdef");
    expect(() => app.replacedVersion("999", "abc")).toThrow(/16 lowercase hex/);
  });

  it("lists, removes and tags images", () => {
    expect(text(app.listImages(config))).toBe("docker image ls dhh/app");
    expect(text(app.removeImages(config))).toBe("docker image prune --all --force --filter label=service=app");
    expect(text(app.removeImages(staging.config))).toBe("docker image prune --all --force --filter label=service=app");
    expect(text(app.tagLatestImage(config))).toBe("docker tag dhh/app:999 dhh/app:latest");
    expect(text(app.tagLatestImage(staging.config))).toBe("docker tag dhh/app:999 dhh/app:latest-staging");
  });
});

describe("assets", () => {
  const { config, web } = setup("asset_path: /public/assets\n");

  it("extracts the image's assets", () => {
    expect(text(app.extractAssets(config, web))).toBe(
      "mkdir -p .kamal/apps/app/assets/extracted/web-999 && docker container rm app-web-assets 2> /dev/null || true && docker container create --name app-web-assets dhh/app:999 && docker container cp -L app-web-assets:/public/assets/. .kamal/apps/app/assets/extracted/web-999 && docker container rm app-web-assets",
    );
  });

  it("syncs asset volumes with the old version's", () => {
    expect(text(app.syncAssetVolumes(config, web))).toBe("mkdir -p .kamal/apps/app/assets/volumes/web-999 ; cp -rnT .kamal/apps/app/assets/extracted/web-999 .kamal/apps/app/assets/volumes/web-999");
    expect(text(app.syncAssetVolumes(config, web, "998"))).toBe(
      "mkdir -p .kamal/apps/app/assets/volumes/web-999 ; cp -rnT .kamal/apps/app/assets/extracted/web-999 .kamal/apps/app/assets/volumes/web-999 ; cp -rnT .kamal/apps/app/assets/extracted/web-999 .kamal/apps/app/assets/volumes/web-998 || true ; cp -rnT .kamal/apps/app/assets/extracted/web-998 .kamal/apps/app/assets/volumes/web-999 || true",
    );
  });

  it("cleans up older asset directories", () => {
    expect(text(app.cleanUpAssets(config, web))).toBe(
      "find .kamal/apps/app/assets/extracted -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf \"{}\" + ; find .kamal/apps/app/assets/volumes -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf \"{}\" +",
    );
  });

  it("refuses a role without an asset path", () => {
    const plain = setup();
    expect(() => app.extractAssets(plain.config, plain.web)).toThrow(/no asset_path/);
  });
});

describe("error pages", () => {
  it("creates and cleans the version directories", () => {
    const { config } = setup("error_pages_path: public/errors\n");
    expect(text(app.createErrorPagesDirectory(config))).toBe("mkdir -p .kamal/proxy/apps-config/app/error_pages");
    expect(app.errorPagesVersionDirectory(config)).toBe(".kamal/proxy/apps-config/app/error_pages/999");
    expect(text(app.cleanUpErrorPages(config))).toBe("find .kamal/proxy/apps-config/app/error_pages -mindepth 1 -maxdepth 1 ! -name 999 -exec rm -rf {} +");
  });
});
