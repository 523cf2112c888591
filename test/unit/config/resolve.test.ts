// Resolved values for each fixture, as Kamal 2.12 derives them.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Redacted, render, cmd } from "../../../src/core/cmd.js";
import { DEFAULT_PROXY_REPOSITORY, DEFAULT_PROXY_VERSION } from "../../../src/config/index.js";
import { RubySymbol } from "../../../src/config/model/values.js";
import { BASE, FIXTURES, fixture, fromText, secrets } from "./helpers.js";

describe("single host", () => {
  const config = fixture("single-host");
  const web = config.role("web")!;

  it("derives Kamal's names", () => {
    expect(config.service).toBe("app");
    expect(config.roles.map((role) => role.name)).toEqual(["web"]);
    expect(config.allHosts).toEqual(["1.1.1.1"]);
    expect(config.primaryHost).toBe("1.1.1.1");
    expect(config.primaryRole).toBe(web);
    expect(config.version).toBe("999");
    expect(config.abbreviatedVersion).toBe("999");
    expect(config.repository).toBe("dhh/app");
    expect(config.absoluteImage).toBe("dhh/app:999");
    expect(config.latestTag).toBe("latest");
    expect(config.latestImage).toBe("dhh/app:latest");
    expect(config.serviceWithVersion).toBe("app-999");
    expect(web.containerPrefix).toBe("app-web");
    expect(web.containerName()).toBe("app-web-999");
    expect(web.containerName("abc")).toBe("app-web-abc");
  });

  it("lays out the remote directories like Kamal", () => {
    expect(config.runDirectory).toBe(".kamal");
    expect(config.appDirectory).toBe(".kamal/apps/app");
    expect(config.envDirectory).toBe(".kamal/apps/app/env");
    expect(config.assetsDirectory).toBe(".kamal/apps/app/assets");
    expect(config.lockDirectory).toBe(".kamal/lock-app");
    expect(config.lockDetailsFile).toBe(".kamal/lock-app/details");
    expect(config.auditLogFile).toBe(".kamal/app-audit.log");
    expect(config.proxyDirectory).toBe(".kamal/proxy");
    expect(config.proxyBoot.appsDirectory).toBe(".kamal/proxy/apps-config");
    expect(config.proxyBoot.appDirectory).toBe(".kamal/proxy/apps-config/app");
    expect(config.proxyBoot.errorPagesContainerDirectory).toBe("/home/kamal-proxy/.apps-config/app/error_pages");
    expect(config.proxyBoot.tlsDirectory).toBe(".kamal/proxy/apps-config/app/tls");
    expect(config.proxyBoot.optionsFile).toBe(".kamal/proxy/options");
    expect(web.envFilePath).toBe(".kamal/apps/app/env/roles/web.env");
  });

  it("applies Kamal's defaults", () => {
    expect(config.primaryRoleName).toBe("web");
    expect(config.retainContainers).toBe(5);
    expect(config.readinessDelay).toBe(7);
    expect(config.deployTimeout).toBe(30);
    expect(config.drainTimeout).toBe(30);
    expect(config.stopTimeout).toBeUndefined();
    expect(config.hooksPath).toBe(".kamal/hooks");
    expect(config.secretsPath).toBe(".kamal/secrets");
    expect(config.requireDestination).toBe(false);
    expect(config.allowEmptyRoles).toBe(false);
    expect(config.ssh.user).toBe("root");
    expect(config.ssh.port).toBe(22);
    expect(config.ssh.logLevel).toBe("fatal");
    expect(config.sshkit.maxConcurrentStarts).toBe(30);
    expect(config.sshkit.poolIdleTimeout).toBe(900);
    expect(config.sshkit.dnsRetries).toBe(3);
    expect(config.builder.driver).toBe("docker-container");
    expect(config.builder.dockerfile).toBe("Dockerfile");
    expect(config.builder.usesGitClone).toBe(true);
    expect(config.boot.limit).toBeUndefined();
    expect(config.boot.parallelRoles).toBe(false);
    expect(web.restartPolicy).toBe("unless-stopped");
    expect(render(cmd(web.logging.args()))).toBe('--log-opt max-size="10m"');
    expect(config.proxyRun("1.1.1.1")).toBeNull();
  });

  it("proxies the primary role with kamal-proxy's defaults", () => {
    expect(web.runningProxy).toBe(true);
    expect(web.stopTimeout).toBeUndefined();
    expect(config.proxyHosts).toEqual(["1.1.1.1"]);
    const proxy = web.proxy!;
    expect(proxy.appPort).toBe(80);
    expect(proxy.healthcheck).toEqual({ path: "/up", interval: 1, timeout: 5 });
    expect(proxy.deployOptions()).toEqual({
      host: [],
      "deploy-timeout": "30s",
      "drain-timeout": "30s",
      "buffer-requests": true,
      "buffer-responses": true,
      "path-prefix": [],
      "log-request-header": ["Cache-Control", "Last-Modified", "User-Agent"],
    });
  });

  it("splits env into clear values and secret names", () => {
    expect(web.env("1.1.1.1")).toEqual({ clear: { PORT: "3000" }, secrets: { RAILS_MASTER_KEY: "RAILS_MASTER_KEY" } });
  });

  it("prints the kamal config document", () => {
    expect(config.toKamalDocument()).toEqual({
      roles: ["web"],
      hosts: ["1.1.1.1"],
      primary_host: "1.1.1.1",
      version: "999",
      repository: "dhh/app",
      absolute_image: "dhh/app:999",
      service_with_version: "app-999",
      volume_args: ["--volume", "/var/data:/data"],
      ssh_options: { user: "root", port: 22, keepalive: true, keepalive_interval: 30, log_level: new RubySymbol("fatal") },
      sshkit: {},
      builder: { arch: "amd64" },
      logging: ["--log-opt", 'max-size="10m"'],
    });
    expect(Object.keys(config.toKamalDocument())).toEqual([
      "roles", "hosts", "primary_host", "version", "repository", "absolute_image", "service_with_version",
      "volume_args", "ssh_options", "sshkit", "builder", "logging",
    ]);
    expect(config.toYaml()).toContain(":roles:\n- web\n:hosts:\n- 1.1.1.1\n:primary_host: 1.1.1.1\n");
    expect(config.toYaml()).toContain(":ssh_options:\n  :user: root\n  :port: 22\n");
    expect(JSON.parse(config.toJson()).absolute_image).toBe("dhh/app:999");
  });

  it("quotes a version as Psych does when it starts like a broken octal number (a commit such as 0454…8…)", () => {
    const commit = fixture("single-host", { version: "0454236782e00d1b82e9fbdfcae2e2cfa25a31e7" });
    expect(commit.toYaml()).toContain(":version: '0454236782e00d1b82e9fbdfcae2e2cfa25a31e7'\n");
    expect(commit.toYaml()).toContain(":absolute_image: dhh/app:0454236782e00d1b82e9fbdfcae2e2cfa25a31e7\n");
    expect(fixture("single-host", { version: "0123abc" }).toYaml()).toContain(":version: 0123abc\n");
  });

  it("resolves registry credentials lazily through secrets, as Redacted", () => {
    const withSecrets = fixture("single-host", { secrets: secrets({ KAMAL_REGISTRY_PASSWORD: "hunter2" }) });
    const password = withSecrets.registry.password();
    expect(password).toBeInstanceOf(Redacted);
    expect(password.value).toBe("hunter2");
    expect(String(password)).toBe("[REDACTED]");
    expect(withSecrets.registry.username().value).toBe("user");
    expect(() => config.registry.password()).toThrow("registry/password: secret KAMAL_REGISTRY_PASSWORD is needed but no secrets were loaded");
  });
});

describe("roles", () => {
  const config = fixture("roles");
  const web = config.role("web")!;
  const workers = config.role("workers")!;

  it("sorts roles by name and lists hosts in order", () => {
    expect(config.roles.map((role) => role.name)).toEqual(["web", "workers"]);
    expect(config.allHosts).toEqual(["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]);
    expect(config.appHosts).toEqual(config.allHosts);
    expect(config.repository).toBe("registry.example.com/dhh/app");
    expect(config.proxyRoles).toEqual([web]);
    expect(config.proxyHosts).toEqual(["1.1.1.1", "1.1.1.2"]);
  });

  it("gives each role its labels, command and options", () => {
    expect(web.labels).toEqual({ service: "app", role: "web", destination: null, team: "platform", tier: "frontend" });
    expect(workers.labels).toEqual({ service: "app", role: "workers", destination: null, team: "platform" });
    expect(workers.cmd).toBe("bin/jobs");
    expect(web.cmd).toBeUndefined();
    expect(workers.options).toEqual({ memory: "2g", cpus: 4, init: true });
    expect(workers.restartPolicy).toBe("on-failure:5");
    expect(workers.stopTimeout).toBe(60);
    expect(workers.runningProxy).toBe(false);
    expect(workers.proxy).toBeNull();
  });

  it("merges role logging over the root logging", () => {
    expect(render(cmd(web.logging.args()))).toBe('--log-driver "json-file" --log-opt max-size="10m" --log-opt max-file="3"');
    expect(render(cmd(workers.logging.args()))).toBe('--log-driver "json-file" --log-opt max-size="100m" --log-opt max-file="3"');
  });

  it("merges root and role env, with secret aliases", () => {
    expect(workers.env("1.1.1.3")).toEqual({
      clear: { RAILS_ENV: "production", QUEUES: "default,mailers" },
      secrets: { RAILS_MASTER_KEY: "RAILS_MASTER_KEY", DB_PASSWORD: "MAIN_DB_PASSWORD", WORKER_TOKEN: "WORKER_TOKEN" },
    });
    expect(web.env("1.1.1.1").secrets).toEqual({ RAILS_MASTER_KEY: "RAILS_MASTER_KEY", DB_PASSWORD: "MAIN_DB_PASSWORD" });
  });

  it("builds the proxy deploy options from the root proxy", () => {
    const proxy = web.proxy!;
    expect(proxy.appPort).toBe(3000);
    expect(proxy.hosts).toEqual(["app.example.com"]);
    expect(proxy.deployOptions()).toEqual({
      host: ["app.example.com"],
      "deploy-timeout": "30s",
      "drain-timeout": "30s",
      "health-check-interval": "2s",
      "health-check-path": "/health",
      "buffer-requests": true,
      "buffer-responses": true,
      "path-prefix": [],
      "log-request-header": ["Cache-Control", "Last-Modified", "User-Agent"],
    });
    expect(proxy.healthcheck).toEqual({ path: "/health", interval: 2, timeout: 5 });
  });

  it("returns a literal registry username as Redacted too", () => {
    expect(config.registry.username().value).toBe("deployer");
    expect(config.registry.server).toBe("registry.example.com");
  });
});

describe("workers only", () => {
  const config = fixture("workers-only");
  const workers = config.role("workers")!;

  it("uses workers as the primary role, without a proxy", () => {
    expect(config.primaryRoleName).toBe("workers");
    expect(config.primaryRole).toBe(workers);
    expect(config.primaryHost).toBe("1.1.1.1");
    expect(workers.runningProxy).toBe(false);
    expect(workers.proxy).toBeNull();
    expect(config.proxyHosts).toEqual([]);
    // Without a proxy to drain them, old containers get the drain timeout to stop.
    expect(workers.stopTimeout).toBe(30);
    expect(config.builder.arches).toEqual(["arm64"]);
    expect(config.registry.password().value).toBe("secret-literal");
  });
});

describe("destinations", () => {
  const staging = fixture("destinations", { destination: "staging" });
  const production = fixture("destinations", { destination: "production" });

  it("merges the destination file over the base file (maps merged, arrays replaced)", () => {
    const web = staging.role("web")!;
    expect(staging.destination).toBe("staging");
    expect(web.hosts).toEqual(["10.0.0.1"]);
    expect(web.env("10.0.0.1").clear).toEqual({ APP_NAME: "app", LOG_LEVEL: "debug", STAGING: "true" });
    expect(web.proxy!.hosts).toEqual(["staging.example.com"]);
    expect(web.proxy!.healthcheck).toEqual({ path: "/up", interval: 5, timeout: 5 });
    expect(staging.builder.arches).toEqual(["amd64", "arm64"]);
    expect(staging.builder.args).toEqual({ BASE: "slim" });
  });

  it("adds the destination to names, labels and directories", () => {
    const web = staging.role("web")!;
    expect(web.containerPrefix).toBe("app-web-staging");
    expect(web.containerName()).toBe("app-web-staging-999");
    expect(web.labels.destination).toBe("staging");
    expect(staging.latestTag).toBe("latest-staging");
    expect(staging.latestImage).toBe("dhh/app:latest-staging");
    expect(staging.serviceAndDestination).toBe("app-staging");
    expect(staging.appDirectory).toBe(".kamal/apps/app-staging");
    expect(staging.lockDirectory).toBe(".kamal/lock-app-staging");
    expect(staging.auditLogFile).toBe(".kamal/app-staging-audit.log");
    expect(web.envFilePath).toBe(".kamal/apps/app-staging/env/roles/web.env");
    expect(staging.proxyBoot.appDirectory).toBe(".kamal/proxy/apps-config/app-staging");
  });

  it("lets each destination define its own roles", () => {
    expect(production.roles.map((role) => role.name)).toEqual(["web", "workers"]);
    expect(production.role("workers")!.hosts).toEqual(["10.1.0.3"]);
    expect(production.role("web")!.proxy!.ssl).toBe(false);
    expect(production.role("web")!.proxy!.hosts).toEqual(["app.example.com"]);
  });

  it("sets KAMAL_DESTINATION for ERB in both files", () => {
    const config = fromText(`${BASE}env:\n  clear:\n    WHERE: <%= ENV["KAMAL_DESTINATION"] %>\n`, {
      destination: "qa",
      destinationText: "env:\n  clear:\n    ALSO: <%= ENV.fetch('KAMAL_DESTINATION') %>\n",
      env: { KAMAL_DESTINATION: "stale" },
    });
    expect(config.role("web")!.env("1.1.1.1").clear).toEqual({ WHERE: "qa", ALSO: "qa" });
    const plain = fromText(`${BASE}env:\n  clear:\n    WHERE: "<%= ENV["KAMAL_DESTINATION"] %>"\n`, { env: { KAMAL_DESTINATION: "stale" } });
    expect(plain.role("web")!.env("1.1.1.1").clear).toEqual({ WHERE: "" });
  });
});

describe("accessories", () => {
  const config = fixture("accessories");
  const mysql = config.accessory("mysql")!;
  const redis = config.accessory("redis")!;
  const search = config.accessory("search")!;

  it("resolves names, images, hosts and ports", () => {
    expect(config.accessories.map((accessory) => accessory.name)).toEqual(["mysql", "redis", "search"]);
    expect(mysql.serviceName).toBe("app-mysql");
    expect(mysql.image).toBe("mysql:8.0");
    expect(mysql.hosts).toEqual(["1.1.1.5"]);
    expect(mysql.port).toBe("3306:3306");
    expect(mysql.network).toBe("kamal");
    expect(mysql.labels).toEqual({ service: "app-mysql" });
    expect(mysql.restartPolicy).toBe("always");
    expect(mysql.options).toEqual({ cpus: 2 });
    expect(mysql.envFilePath).toBe(".kamal/apps/app/env/accessories/mysql.env");
    expect(mysql.resolvedEnv()).toEqual({ clear: { MYSQL_ROOT_HOST: "%" }, secrets: { MYSQL_ROOT_PASSWORD: "MYSQL_ROOT_PASSWORD" } });
    expect(redis.hosts).toEqual(["1.1.1.1", "1.1.1.2"]);
    expect(redis.port).toBe("127.0.0.1:6379:6379");
    expect(redis.cmd).toBe("redis-server --appendonly yes");
    expect(search.serviceName).toBe("custom-search");
    expect(search.image).toBe("ghcr.io/search:1.2");
    expect(search.registry!.server).toBe("ghcr.io");
    expect(search.hosts).toEqual(["1.1.1.6", "1.1.1.7"]);
    expect(search.network).toBe("search-net");
    expect(search.labels).toEqual({ service: "custom-search", purpose: "search" });
  });

  it("resolves files and directories to uploads and mounts", () => {
    expect(mysql.files).toEqual([
      {
        local: join(FIXTURES, "config/mysql/production.cnf"),
        erb: false,
        remote: "/etc/mysql/my.cnf",
        hostPath: "app-mysql/etc/mysql/my.cnf",
        mode: "755",
        owner: undefined,
        options: undefined,
        volume: "$PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf",
      },
      {
        local: join(FIXTURES, "config/mysql/init.sql.erb"),
        erb: true,
        remote: "/docker-entrypoint-initdb.d/init.sql",
        hostPath: "app-mysql/docker-entrypoint-initdb.d/init.sql",
        mode: "0640",
        owner: "999:999",
        options: undefined,
        volume: "$PWD/app-mysql/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql",
      },
    ]);
    expect(mysql.directories.map((directory) => [directory.hostPath, directory.volume])).toEqual([
      ["$PWD/app-mysql/data", "$PWD/app-mysql/data:/var/lib/mysql"],
      ["/mnt/backups", "/mnt/backups:/backups:ro"],
    ]);
    expect(mysql.volumes).toEqual([
      "$PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf",
      "$PWD/app-mysql/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql",
      "$PWD/app-mysql/data:/var/lib/mysql",
      "/mnt/backups:/backups:ro",
    ]);
    expect(redis.volumes).toEqual(["/var/lib/redis:/data"]);
  });

  it("counts accessory hosts in all hosts but not app hosts, and proxies accessories with a proxy", () => {
    expect(config.allHosts).toEqual(["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.5", "1.1.1.6", "1.1.1.7"]);
    expect(config.appHosts).toEqual(["1.1.1.1", "1.1.1.2", "1.1.1.3"]);
    expect(search.runningProxy).toBe(true);
    expect(mysql.runningProxy).toBe(false);
    expect(search.proxy!.appPort).toBe(9200);
    expect(search.proxy!.deployOptions().host).toEqual(["search.example.com"]);
    expect(config.proxyHosts).toEqual(["1.1.1.1", "1.1.1.2", "1.1.1.6", "1.1.1.7"]);
  });

  it("includes the accessories as written in the kamal config document", () => {
    const document = config.toKamalDocument();
    expect(document.accessories).toEqual(config.raw.accessories);
    expect((document.accessories as Record<string, { image: string }>).mysql!.image).toBe("mysql:8.0");
  });

  it("finds hosts by tag for tag selectors", () => {
    const tagged = fromText(
      `${BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    - 1.1.1.1: db\n    - 1.1.1.2\n  jobs:\n    hosts:\n      - 1.1.1.3: [db, cache]\n")}accessories:\n  pg:\n    image: postgres:16\n    tag: db\n`,
    );
    expect(tagged.accessory("pg")!.hosts).toEqual(["1.1.1.1", "1.1.1.3"]);
  });
});

describe("proxy with SSL and path prefixes", () => {
  const config = fixture("proxy-ssl", { secrets: secrets({ API_CERT: "CERT", API_KEY: "KEY" }) });
  const web = config.role("web")!;
  const api = config.role("api")!;

  it("passes automatic SSL, prefixes and the error pages directory to kamal-proxy", () => {
    const options = web.proxy!.deployOptions();
    expect(options).toEqual({
      host: ["shop.example", "www.shop.example"],
      tls: true,
      "deploy-timeout": "60s",
      "drain-timeout": "15s",
      "health-check-interval": "3s",
      "health-check-timeout": "2s",
      "health-check-path": "/healthz",
      "buffer-requests": true,
      "buffer-responses": true,
      "path-prefix": ["/store", "/cart"],
      "forward-headers": true,
      "tls-redirect": false,
      "log-request-header": ["Cache-Control", "Last-Modified", "User-Agent"],
      "error-pages": "/home/kamal-proxy/.apps-config/shop/error_pages/999",
    });
    expect(Object.keys(options)).toEqual([
      "host", "tls", "deploy-timeout", "drain-timeout", "health-check-interval", "health-check-timeout",
      "health-check-path", "buffer-requests", "buffer-responses", "path-prefix", "forward-headers", "tls-redirect",
      "log-request-header", "error-pages",
    ]);
    expect(web.ssl).toBe(true);
    expect(web.proxy!.customCertificate).toBeNull();
  });

  it("merges a role's proxy over the root proxy, with per-role custom certificates", () => {
    const proxy = api.proxy!;
    expect(api.runningProxy).toBe(true);
    expect(proxy.hosts).toEqual(["api.shop.example"]);
    expect(proxy.pathPrefixes).toEqual(["/v1", "/v2"]);
    expect(proxy.customCertificate).toEqual({
      certificatePemSecret: "API_CERT",
      privateKeyPemSecret: "API_KEY",
      hostCertificatePath: ".kamal/proxy/apps-config/shop/tls/api/cert.pem",
      hostPrivateKeyPath: ".kamal/proxy/apps-config/shop/tls/api/key.pem",
      containerCertificatePath: "/home/kamal-proxy/.apps-config/shop/tls/api/cert.pem",
      containerPrivateKeyPath: "/home/kamal-proxy/.apps-config/shop/tls/api/key.pem",
    });
    expect(proxy.certificatePem().value).toBe("CERT");
    expect(String(proxy.privateKeyPem())).toBe("[REDACTED]");
    const options = proxy.deployOptions();
    expect(Object.keys(options)).toEqual([
      "host", "tls", "tls-certificate-path", "tls-private-key-path", "deploy-timeout", "drain-timeout",
      "health-check-interval", "health-check-timeout", "health-check-path", "target-timeout", "buffer-requests",
      "buffer-responses", "max-request-body", "path-prefix", "strip-path-prefix", "forward-headers", "tls-redirect",
      "log-request-header", "log-response-header", "error-pages",
    ]);
    expect(options["tls-certificate-path"]).toBe("/home/kamal-proxy/.apps-config/shop/tls/api/cert.pem");
    expect(options["target-timeout"]).toBe("60s");
    expect(options["buffer-requests"]).toBe(false);
    expect(options["max-request-body"]).toBe(10_000_000);
    expect(options["strip-path-prefix"]).toBe(false);
    expect(options["log-response-header"]).toEqual(["X-Request-ID"]);
  });
});

describe("builders", () => {
  it("resolves a remote-only builder", () => {
    const builder = fixture("remote-builder").builder;
    expect(builder.remote).toBe("ssh://docker@builder.example.com");
    expect(builder.localDisabled).toBe(true);
    expect(builder.localArches("amd64")).toEqual([]);
    expect(builder.remoteArches("amd64")).toEqual(["arm64"]);
    expect(builder.isRemote("amd64")).toBe(true);
    expect(builder.isLocal("amd64")).toBe(false);
    expect(builder.cacheFrom).toBe("type=registry,ref=dhh/app-build-cache");
    expect(builder.cacheTo).toBe("type=registry,ref=dhh/app-build-cache,mode=max");
    expect(builder.context).toBe(".");
    expect(builder.usesGitClone).toBe(false);
    expect(builder.dockerfile).toBe("Dockerfile.production");
    expect(builder.target).toBe("production");
    expect(builder.secrets).toEqual(["GITHUB_TOKEN"]);
    expect(builder.ssh).toBe("default=$SSH_AUTH_SOCK");
    expect(builder.provenance).toBe("false");
    expect(builder.sbom).toBe("true");
  });

  it("resolves a hybrid builder: the local arch here, the other remotely", () => {
    const builder = fixture("hybrid-builder").builder;
    expect(builder.arches).toEqual(["amd64", "arm64"]);
    expect(builder.localArches("amd64")).toEqual(["amd64"]);
    expect(builder.remoteArches("amd64")).toEqual(["arm64"]);
    expect(builder.localArches("arm64")).toEqual(["arm64"]);
    expect(builder.remoteArches("arm64")).toEqual(["amd64"]);
    expect(builder.isLocal("amd64") && builder.isRemote("amd64")).toBe(true);
    expect(builder.cacheFrom).toBe("type=gha");
    expect(builder.cacheTo).toBe("type=gha,mode=max");
    expect(builder.usesGitClone).toBe(true);
  });
});

describe("env tags", () => {
  const config = fixture("env-tags");
  const web = config.role("web")!;

  it("merges root, role and each host tag's env in order", () => {
    expect(web.tagsFor("1.1.1.2")).toEqual(["alpha", "beta"]);
    expect(web.env("1.1.1.1")).toEqual({ clear: { SHARED: "alpha", ROOT_ONLY: "1", ALPHA: "yes" }, secrets: { ROOT_SECRET: "ROOT_SECRET" } });
    expect(web.env("1.1.1.2")).toEqual({
      clear: { SHARED: "beta", ROOT_ONLY: "1", ALPHA: "yes", BETA: "1" },
      secrets: { ROOT_SECRET: "ROOT_SECRET", BETA_SECRET: "BETA_SECRET" },
    });
    expect(web.env("1.1.1.3")).toEqual({ clear: { SHARED: "root", ROOT_ONLY: "1" }, secrets: { ROOT_SECRET: "ROOT_SECRET" } });
    expect(config.role("workers")!.env("1.1.1.4")).toEqual({
      clear: { SHARED: "beta", ROOT_ONLY: "1", ROLE: "workers", BETA: "1" },
      secrets: { ROOT_SECRET: "ROOT_SECRET", BETA_SECRET: "BETA_SECRET" },
    });
  });
});

describe("aliases, boot and two roles on one host", () => {
  it("keeps alias command lines as written", () => {
    const aliases = fixture("aliases").aliases;
    expect(Object.keys(aliases)).toEqual(["console", "logs", "db-shell"]);
    expect(aliases.console!.command).toBe('app exec -i --reuse "bin/rails console"');
    expect(aliases["db-shell"]!.command).toBe("accessory exec mysql -i 'mysql -uroot'");
  });

  it("takes a boot percentage of every host, accessory hosts included (floor, at least 1)", () => {
    const config = fixture("boot-percentage");
    expect(config.allHosts).toHaveLength(7);
    expect(config.boot.limit).toBe(1);
    expect(config.boot.wait).toBe(2);
    expect(config.boot.parallelRoles).toBe(true);
    const half = fromText(`${BASE.replace("  - 1.1.1.1\n", "  - 1.1.1.1\n  - 1.1.1.2\n  - 1.1.1.3\n")}boot:\n  limit: "50%"\n`);
    expect(half.boot.limit).toBe(1);
    const fixed = fromText(`${BASE}boot:\n  limit: 3\n`);
    expect(fixed.boot.limit).toBe(3);
  });

  it("runs two roles on one host, proxying only the primary", () => {
    const config = fixture("two-roles-one-host");
    expect(config.rolesOn("1.1.1.1").map((role) => role.name)).toEqual(["web", "workers"]);
    expect(config.appHosts).toEqual(["1.1.1.1", "1.1.1.2"]);
    expect(config.proxyHosts).toEqual(["1.1.1.1", "1.1.1.2"]);
    expect(config.role("workers")!.runningProxy).toBe(false);
  });
});

describe("anchors, merge keys and x- extensions", () => {
  const config = fixture("anchors");

  it("resolves anchors and merge keys like Psych", () => {
    const web = config.role("web")!;
    const jobs = config.role("jobs")!;
    expect(web.hosts).toEqual(["3.3.3.1", "3.3.3.2"]);
    expect(web.cmd).toBe("bin/web");
    expect(web.options).toEqual({ memory: "1g" });
    expect(web.labels.managed).toBe("yes");
    expect(jobs.cmd).toBe("bin/default");
    expect(config.registry.username().value).toBe("user");
    expect(config.raw["x-registry"]).toBeDefined();
  });

  it("types plain scalars as Psych does", () => {
    expect(config.role("web")!.env("3.3.3.1").clear).toEqual({
      ENABLED: "true",
      SHORT: "y",
      OCTAL: "493",
      SYMBOL: "verbose",
      FLOAT: "1.5",
      QUOTED: "yes",
    });
  });
});

describe("ERB", () => {
  it("renders every supported form", () => {
    const config = fixture("erb", { env: { SERVICE_NAME: "erbapp", IMAGE_OWNER: "me", PADDED: "  x \n" } });
    expect(config.service).toBe("erbapp");
    expect(config.image).toBe("me/erbapp");
    expect(config.allHosts).toEqual(["10.0.0.1"]);
    expect(config.registry.server).toBe("registry.example.com");
    expect(config.registry.username().value).toBe("deploy");
    expect(config.registry.password().value).toBe("s3cret");
    expect(config.role("web")!.env("10.0.0.1").clear).toEqual({
      DESTINATION: "",
      LITERAL: "literal",
      ESCAPED: "<%= not erb %>",
      PADDED: "x",
      MISSING_WITH_DEFAULT: "fallback",
      INTERPOLATED: "me-team",
    });
  });
});

describe("proxy.run", () => {
  const config = fixture("proxy-run");

  it("resolves the proxy container's run options, shared by both roles on the host", () => {
    const run = config.proxyRun("1.1.1.1")!;
    expect(config.proxyRuns("1.1.1.1")).toHaveLength(2);
    expect(run.publishPorts).toEqual(["127.0.0.1:8080:80", "127.0.0.1:8443:443", "[::1]:8080:80", "[::1]:8443:443"]);
    expect(run.image).toBe("registry.example.com/myorg/proxy:v1.0.0");
    expect(run.runCommandOptions()).toEqual({ debug: true, "metrics-port": 9090 });
    expect(run.logMaxSize).toBe("50m");
    expect(run.metricsPort).toBe(9090);
    expect(run.options).toEqual({ memory: "512m" });
    expect(run.containerName).toBe("kamal-proxy");
    expect(run.appsVolume).toBe("$PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config");
  });

  it("defaults to Kamal's proxy image from one place", () => {
    const run = fromText(`${BASE}proxy:\n  run:\n    debug: true\n`).proxyRun("1.1.1.1")!;
    expect(run.image).toBe(`${DEFAULT_PROXY_REPOSITORY}:${DEFAULT_PROXY_VERSION}`);
    expect(run.image).toBe("basecamp/kamal-proxy:v0.9.2");
    expect(run.publishPorts).toEqual(["80:80", "443:443"]);
    expect(run.logMaxSize).toBe("10m");
  });

  it("uses a local registry: image defaults to the service, repository gets localhost", () => {
    expect(config.registry.local).toBe(true);
    expect(config.registry.localPort).toBe(5555);
    expect(config.repository).toBe("localhost:5555/dhh/app");
    const noImage = fromText("service: solo\nservers:\n  - 1.1.1.1\nregistry:\n  server: localhost:5000\nbuilder:\n  arch: amd64\n");
    expect(noImage.image).toBe("solo");
    expect(noImage.absoluteImage).toBe("localhost:5000/solo:999");
  });
});

describe("version", () => {
  it("prefers --version, then $VERSION", () => {
    expect(fromText(BASE, { env: { VERSION: "from-env" } }).version).toBe("999");
    const config = fixture("single-host", { version: undefined, env: { VERSION: "abcdef123456" } });
    expect(config.version).toBe("abcdef123456");
    expect(config.abbreviatedVersion).toBe("abcdef1");
    expect(fixture("single-host", { version: "abc_uncommitted_0123" }).abbreviatedVersion).toBe("abc_uncommitted_0123");
  });
});
