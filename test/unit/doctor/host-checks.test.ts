// Each host verdict and its advice, from observations (host.ts reads them on the servers).
import { describe, expect, it } from "vitest";
import { hostChecks, type HostExpectations, type HostObservations } from "../../../src/doctor/host-checks.js";
import type { Check } from "../../../src/doctor/checks.js";

const healthy: HostObservations = {
  host: "10.0.0.5",
  known: { hostname: "10.0.0.5", port: 22, user: "root", lookupName: "10.0.0.5", strictHostKeyChecking: "accept-new", knownIn: "/root/.ssh/known_hosts", keyTypes: ["ssh-ed25519"], files: ["/root/.ssh/known_hosts"] },
  facts: {
    clockMs: 1000,
    user: "root",
    dockerCli: true,
    dockerVersion: "24.0.5",
    dockerError: "",
    dockerSocket: "/var/run/docker.sock",
    listeningPorts: new Set([22, 80, 443]),
    disk: { availableBytes: 50e9, mountedOn: "/" },
    addresses: ["10.0.0.5"],
  },
  clockSkewMs: 40,
  docker: {
    version: "24.0.5",
    root: "/var/lib/docker",
    network: true,
    proxy: { Config: { Image: "registry.example.com/me/berth-proxy:v0.9.2.0.1.1" }, State: { Running: true, Status: "running" }, HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "80" }], "443/tcp": [{ HostPort: "443" }] } } },
    via: "Docker API",
  },
  disk: { availableBytes: 50e9, mountedOn: "/" },
  registries: [{ server: "registry.example.com", status: "ok" }],
  names: [{ name: "app.example.com", addresses: ["10.0.0.5"] }],
  hostAddresses: ["10.0.0.5"],
};

const expected: HostExpectations = {
  proxy: { image: "registry.example.com/me/berth-proxy:v0.9.2.0.1.1", ports: [80, 443] },
  registries: ["registry.example.com"],
  minFreeDiskBytes: 5e9,
  maxClockSkewMs: 5000,
};

function byName(checks: readonly Check[], name: string): Check {
  const found = checks.find((check) => check.name === name);
  if (found === undefined) throw new Error(`no ${name} in ${checks.map((check) => check.name).join(", ")}`);
  return found;
}

describe("host checks", () => {
  it("passes a healthy host, one line per check", () => {
    const checks = hostChecks(healthy, expected);
    expect(checks.map((check) => [check.name, check.status])).toEqual([
      ["ssh", "ok"],
      ["docker", "ok"],
      ["disk", "ok"],
      ["network", "ok"],
      ["registry", "ok"],
      ["proxy", "ok"],
      ["ports", "ok"],
      ["clock", "ok"],
      ["proxy host", "ok"],
    ]);
    expect(byName(checks, "ssh").detail).toBe("root@10.0.0.5:22 answers, host key known (ssh-ed25519 in /root/.ssh/known_hosts)");
    expect(byName(checks, "docker").detail).toBe("Docker 24.0.5, usable by root (read by the Docker API)");
    expect(byName(checks, "disk").detail).toBe("50.0 GB free on / (Docker's data root /var/lib/docker)");
    expect(byName(checks, "proxy").detail).toBe("kamal-proxy runs registry.example.com/me/berth-proxy:v0.9.2.0.1.1: Berth's proxy 0.1.1 (kamal-proxy v0.9.2 commands)");
    expect(byName(checks, "ports").detail).toBe("80 and 443 published by kamal-proxy");
    expect(byName(checks, "clock").detail).toBe("in step with this machine");
    expect(byName(checks, "proxy host").detail).toBe("app.example.com resolves to this host (10.0.0.5)");
  });

  it("fails Docker that is missing, stopped or refused, and skips what needs it", () => {
    const stopped = hostChecks(
      { ...healthy, docker: undefined, registries: [], facts: { ...healthy.facts, dockerVersion: undefined, dockerError: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" } },
      expected,
    );
    expect(byName(stopped, "docker")).toMatchObject({ status: "fail", fix: "start it on the host: systemctl start docker (and systemctl enable docker to keep it on)" });
    expect(byName(stopped, "registry")).toEqual({ name: "registry", status: "skip", detail: "registry.example.com: not checked, Docker isn't usable" });
    expect(byName(stopped, "network").status).toBe("skip");
    expect(byName(stopped, "proxy").status).toBe("skip");
    const refused = hostChecks({ ...healthy, docker: undefined, facts: { ...healthy.facts, user: "deploy", dockerVersion: undefined, dockerError: "permission denied while trying to connect to the Docker daemon socket" } }, expected);
    expect(byName(refused, "docker")).toMatchObject({ status: "fail", detail: "deploy may not use the Docker daemon (permission denied while trying to connect to the Docker daemon socket)" });
    expect(byName(refused, "docker").fix).toContain("usermod -aG docker deploy");
    const missing = hostChecks({ ...healthy, docker: undefined, facts: { ...healthy.facts, dockerCli: false, dockerVersion: undefined } }, expected);
    expect(byName(missing, "docker")).toMatchObject({ status: "fail", detail: "docker is not installed", fix: "berth server bootstrap -h 10.0.0.5 installs it (as root), or install Docker Engine there" });
  });

  it("fails little free disk and a skewed clock, with the thresholds", () => {
    const checks = hostChecks({ ...healthy, disk: { availableBytes: 1.2e9, mountedOn: "/" }, clockSkewMs: -7400 }, expected);
    expect(byName(checks, "disk")).toMatchObject({ status: "fail", detail: "only 1.2 GB free on / (Docker's data root /var/lib/docker); at least 5.0 GB wanted" });
    expect(byName(checks, "clock")).toMatchObject({ status: "fail", detail: "7.4 s behind this machine (more than 5 s)" });
    expect(byName(checks, "clock").fix).toContain("timedatectl set-ntp true");
  });

  it("reports a stopped proxy, another proxy image, and ports someone else holds", () => {
    const stopped = hostChecks({ ...healthy, docker: { ...healthy.docker!, proxy: { Config: { Image: "basecamp/kamal-proxy:v0.9.2" }, State: { Running: false, Status: "exited", ExitCode: 1 } } } }, expected);
    expect(byName(stopped, "proxy")).toMatchObject({ status: "fail", detail: "kamal-proxy is exited (exit code 1): nothing is served here", fix: "berth proxy boot -h 10.0.0.5 starts it (berth proxy logs -h 10.0.0.5 shows why it stopped)" });
    // Its ports are held by something else: docker-proxy is gone with it.
    expect(byName(stopped, "ports")).toMatchObject({ status: "fail", detail: "80 and 443 are taken by something other than kamal-proxy" });
    const other = hostChecks({ ...healthy, docker: { ...healthy.docker!, proxy: { ...healthy.docker!.proxy!, Config: { Image: "basecamp/kamal-proxy:v0.9.2" } } } }, expected);
    expect(byName(other, "proxy")).toMatchObject({ status: "warn", detail: "kamal-proxy runs basecamp/kamal-proxy:v0.9.2: kamal-proxy v0.9.2; the configuration boots registry.example.com/me/berth-proxy:v0.9.2.0.1.1" });
    const none = hostChecks({ ...healthy, docker: { ...healthy.docker!, proxy: null, network: false }, facts: { ...healthy.facts, listeningPorts: new Set([22]) } }, expected);
    expect(byName(none, "proxy")).toMatchObject({ status: "ok", detail: "no kamal-proxy container yet (the next deploy boots Berth's proxy 0.1.1 (kamal-proxy v0.9.2 commands))" });
    expect(byName(none, "ports")).toMatchObject({ status: "ok", detail: "80 and 443 free" });
    expect(byName(none, "network")).toMatchObject({ status: "ok", detail: "kamal: not created yet (the first deploy creates it)" });
  });

  it("fails a refused registry login, and names one not checked", () => {
    const refused = hostChecks({ ...healthy, registries: [{ server: "registry.example.com", status: "refused", message: "unauthorized: incorrect username or password" }] }, expected);
    expect(byName(refused, "registry")).toMatchObject({ status: "fail", detail: "registry.example.com refused the login from this host: unauthorized: incorrect username or password" });
    const unchecked = hostChecks({ ...healthy, registries: [{ server: "Docker Hub", status: "unchecked", message: "the credentials can't be read: Secret 'X' not found" }] }, expected);
    expect(byName(unchecked, "registry").status).toBe("warn");
  });

  it("warns where proxy.host points elsewhere, fails where it doesn't resolve", () => {
    const checks = hostChecks({ ...healthy, names: [{ name: "cdn.example.com", addresses: ["104.16.0.1"] }, { name: "new.example.com", addresses: undefined }] }, expected);
    const names = checks.filter((check) => check.name === "proxy host");
    expect(names[0]).toMatchObject({ status: "warn", detail: "cdn.example.com resolves to 104.16.0.1, not to this host (10.0.0.5)" });
    expect(names[1]).toMatchObject({ status: "fail", detail: "new.example.com does not resolve", fix: "add a DNS record for new.example.com pointing to 10.0.0.5 (Let's Encrypt needs it for ssl)" });
  });

  it("warns when host keys aren't checked at all", () => {
    const checks = hostChecks({ ...healthy, known: { ...healthy.known!, strictHostKeyChecking: "no", knownIn: undefined } }, expected);
    expect(byName(checks, "ssh")).toMatchObject({ status: "warn", detail: "root@10.0.0.5:22 answers, but host keys are not checked (StrictHostKeyChecking no in your ssh config)" });
  });

  it("leaves out the proxy checks on hosts without a proxied role", () => {
    const checks = hostChecks(healthy, { ...expected, proxy: undefined });
    expect(checks.map((check) => check.name)).not.toContain("proxy");
    expect(checks.map((check) => check.name)).not.toContain("ports");
  });
});
