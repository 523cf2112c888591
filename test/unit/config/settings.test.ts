// Smaller settings: hooks output, timeouts, SSH, output sinks, assets, labels per destination.
import { describe, expect, it } from "vitest";
import { BASE, fromText, secrets } from "./helpers.js";

describe("root settings", () => {
  it("reads hooks_output globally or per hook (Ruby symbols allowed)", () => {
    const global = fromText(`${BASE}hooks_output: :quiet\n`);
    expect(global.hooksOutputFor("pre-deploy")).toBe("quiet");
    const perHook = fromText(`${BASE}hooks_output:\n  pre-deploy: verbose\n`);
    expect(perHook.hooksOutputFor("pre-deploy")).toBe("verbose");
    expect(perHook.hooksOutputFor("pre-build")).toBeUndefined();
  });

  it("applies stop_timeout from the root or the role, over the drain timeout", () => {
    const config = fromText(
      `${BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    - 1.1.1.1\n  jobs:\n    hosts: [1.1.1.2]\n    stop_timeout: 90\n  cron:\n    - 1.1.1.3\n")}stop_timeout: 20\ndrain_timeout: 12\n`,
    );
    expect(config.role("web")!.stopTimeout).toBe(20);
    expect(config.role("jobs")!.stopTimeout).toBe(90);
    expect(config.role("cron")!.stopTimeout).toBe(20);
    const drained = fromText(`${BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    - 1.1.1.1\n  cron:\n    - 1.1.1.3\n")}drain_timeout: 12\n`);
    expect(drained.role("cron")!.stopTimeout).toBe(12);
    expect(drained.role("web")!.stopTimeout).toBeUndefined();
  });

  it("accepts run_directory but keeps .kamal, and takes custom paths", () => {
    const config = fromText(`${BASE}run_directory: /var/kamal\nhooks_path: bin/hooks\nsecrets_path: config/secrets\nretain_containers: 2\nreadiness_delay: 3\n`);
    expect(config.runDirectory).toBe(".kamal");
    expect(config.hooksPath).toBe("bin/hooks");
    expect(config.secretsPath).toBe("config/secrets");
    expect(config.retainContainers).toBe(2);
    expect(config.readinessDelay).toBe(3);
  });

  it("bridges assets for proxied roles only, with mount options", () => {
    const config = fromText(
      `${BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    - 1.1.1.1\n  jobs:\n    - 1.1.1.2\n")}asset_path: /app/public/assets:ro\n`,
    );
    const web = config.role("web")!;
    expect(web.assetPath).toBe("/app/public/assets");
    expect(web.assetPathOptions).toBe("ro");
    expect(web.assets).toBe(true);
    expect(web.assetExtractedDirectory()).toBe(".kamal/apps/app/assets/extracted/web-999");
    expect(web.assetVolume()!.dockerArg).toBe("$PWD/.kamal/apps/app/assets/volumes/web-999:/app/public/assets:ro");
    expect(config.role("jobs")!.assets).toBe(false);
    expect(config.role("jobs")!.assetVolume()).toBeNull();
  });

  it("reads output sinks", () => {
    const config = fromText(`${BASE}output:\n  file:\n    path: /var/log/berth\n  otel:\n    endpoint: http://otel:4318\n`);
    expect(config.output.filePath).toBe("/var/log/berth");
    expect(config.output.otelEndpoint).toBe("http://otel:4318");
  });
});

describe("x-berth", () => {
  it("reads Berth's settings with their defaults", () => {
    const none = fromText(BASE);
    expect(none.berth.release).toBeUndefined();
    expect(none.berth.atomic).toBe(false);
    expect(none.berth.doctor).toEqual({ minFreeDiskGb: 5, maxClockSkewSeconds: 5 });
    const set = fromText(`${BASE}x-berth:\n  release:\n    cmd: bin/rails db:migrate\n  atomic: true\n  doctor:\n    min_free_disk_gb: 20\n`);
    expect(set.berth.release).toEqual({ cmd: "bin/rails db:migrate", timeoutSeconds: 600 });
    expect(set.berth.atomic).toBe(true);
    expect(set.berth.doctor).toEqual({ minFreeDiskGb: 20, maxClockSkewSeconds: 5 });
  });

  it("lets the command line's flags win, and leaves what they don't give", () => {
    const config = fromText(`${BASE}x-berth:\n  release:\n    cmd: bin/migrate\n    timeout: 60\n  atomic: true\n  doctor:\n    max_clock_skew: 9\n`);
    const flagged = config.berth.withFlags({ skipRelease: true, atomic: false, minFreeDiskGb: 1, maxClockSkew: undefined });
    expect(flagged.release).toBeUndefined();
    expect(flagged.atomic).toBe(false);
    expect(flagged.doctor).toEqual({ minFreeDiskGb: 1, maxClockSkewSeconds: 9 });
    expect(config.berth.withFlags({}).release).toEqual({ cmd: "bin/migrate", timeoutSeconds: 60 });
    expect(fromText(BASE).berth.withFlags({ atomic: true }).atomic).toBe(true);
  });
});

describe("ssh", () => {
  it("resolves SSH options and prints them as kamal config does, key data redacted", () => {
    const config = fromText(
      `${BASE}ssh:\n  user: app\n  port: "2222"\n  proxy: bastion.example.com\n  keys_only: true\n  keys: [~/.ssh/deploy]\n  key_data: [SSH_KEY]\n  config: false\n  log_level: debug\n`,
    );
    expect(config.ssh.user).toBe("app");
    expect(config.ssh.port).toBe(2222);
    expect(config.ssh.proxy).toBe("root@bastion.example.com");
    expect(config.ssh.configFiles).toBe(false);
    expect(config.ssh.toH()).toEqual({
      user: "app",
      port: 2222,
      proxy: "root@bastion.example.com",
      keepalive: true,
      keepalive_interval: 30,
      keys_only: true,
      keys: ["~/.ssh/deploy"],
      key_data: ["[REDACTED]"],
      config: false,
      log_level: "debug",
    });
  });

  it("looks key data up in secrets", () => {
    const config = fromText(`${BASE}ssh:\n  key_data:\n    - SSH_KEY\n`);
    expect(() => config.ssh.keyData()).toThrow("ssh.key_data[0]: secret SSH_KEY needs .kamal/secrets, and none were read");
    const withSecrets = fromText(`${BASE}ssh:\n  key_data:\n    - SSH_KEY\n`, { secrets: secrets({ SSH_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----" }) });
    const [key] = withSecrets.ssh.keyData()!;
    expect(key!.value).toBe("-----BEGIN OPENSSH PRIVATE KEY-----");
    expect(String(key)).toBe("[REDACTED]");
  });

  it("uses a proxy command when no jump host is set", () => {
    const config = fromText(`${BASE}ssh:\n  proxy_command: ssh -W %h:%p bastion\n`);
    expect(config.ssh.proxyCommand).toBe("ssh -W %h:%p bastion");
    expect(config.ssh.toH().proxy).toBe("ssh -W %h:%p bastion");
  });
});

describe("sshkit", () => {
  it("reads the pool settings", () => {
    const config = fromText(`${BASE}sshkit:\n  max_concurrent_starts: 5\n  pool_idle_timeout: 60\n  dns_retries: 1\n`);
    expect([config.sshkit.maxConcurrentStarts, config.sshkit.poolIdleTimeout, config.sshkit.dnsRetries]).toEqual([5, 60, 1]);
    expect(config.toKamalDocument().sshkit).toEqual({ max_concurrent_starts: 5, pool_idle_timeout: 60, dns_retries: 1 });
  });
});
