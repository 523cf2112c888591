// `berth doctor` on real servers: it passes on a healthy bed (changing nothing there), and names
// the fault with what to do when a secret is missing, a host key is unknown, a host's link is
// down, and Docker is stopped on a host (last: the host stays broken).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { REGISTRY_PASSWORD, SECRET, berth, createProject, type Project } from "./support/project.js";

let bed: Testbed;
let h1: TestHost;
let h2: TestHost;
let project: Project;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 2, name: "doctor-e2e" });
  [h1, h2] = bed.hosts as [TestHost, TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1, h2] } });
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
});

afterAll(async () => {
  await bed?.stop();
});

interface JsonCheck {
  readonly where: string;
  readonly check: string;
  readonly status: string;
  readonly detail: string;
  readonly fix?: string;
}

/** The report document of `doctor --output json` (the line with `checks`). */
function report(stdout: string): { ok: boolean; seconds: number; checks: JsonCheck[] } {
  const line = stdout.split("\n").find((text) => text.startsWith('{"ok"'));
  if (line === undefined) throw new Error(`no report in:\n${stdout}`);
  return JSON.parse(line) as { ok: boolean; seconds: number; checks: JsonCheck[] };
}

function check(checks: readonly JsonCheck[], where: string, name: string): JsonCheck {
  const found = checks.find((item) => item.where === where && item.check === name);
  if (found === undefined) throw new Error(`no ${name} check for ${where} in ${JSON.stringify(checks, null, 2)}`);
  return found;
}

/** What doctor must not change on a host: containers, the SSH user's docker config, the kamal files. */
async function hostSnapshot(host: TestHost): Promise<string> {
  const result = await host.exec(
    "docker ps -a --format '{{.Names}} {{.State}} {{.Image}}' | sort; docker network ls --format '{{.Name}}' | sort; " +
      "cat /root/.docker/config.json 2>/dev/null; find /root -xdev -newer /root/.kamal -not -path '/root/.kamal/*' 2>/dev/null | sort; ls -lR /root/.kamal",
  );
  return result.stdout;
}

describe("berth doctor", () => {
  it("passes on healthy servers, one line per check, and changes nothing there", async () => {
    const before = await Promise.all([h1, h2].map(hostSnapshot));
    const knownHosts = readFileSync(bed.knownHostsPath, "utf8");

    const text = await berth(project, ["doctor"]);
    expect(text.code, text.output).toBe(0);
    expect(text.stdout).toMatch(/^All \d+ checks passed on this machine and 2 hosts in \d+\.\d s/m);
    for (const host of [h1, h2]) {
      const section = text.stdout.slice(text.stdout.indexOf(`${host.ip}\n`));
      expect(section).toMatch(new RegExp(`✓ ssh +root@${host.ip.replace(/\./g, "\\.")}:22 answers, host key known \\(ssh-ed25519 in ${bed.knownHostsPath}\\)`));
      expect(section).toMatch(/✓ docker +Docker \d+\.\d+\S*, usable by root \(read by the Docker API\)/);
      expect(section).toMatch(/✓ registry +10\.210\.0\.1:5555: the login works from this host/);
      expect(section).toMatch(/✓ proxy +kamal-proxy runs 10\.210\.0\.1:5555\/berth-test\/berth-proxy:v0\.9\.2\.\S+: Berth's proxy \S+ \(kamal-proxy v0\.9\.2 commands\)/);
      expect(section).toMatch(/✓ ports +80 and 443 published by kamal-proxy/);
      expect(section).toMatch(/✓ network +kamal exists/);
      expect(section).toMatch(/✓ disk +\d+\.\d GB free on \//);
      expect(section).toMatch(/✓ clock +(in step with|\d+\.\d s (ahead of|behind)) this machine/);
    }
    expect(text.stdout).toMatch(/✓ secrets +REGISTRY_PASSWORD, SECRET_TOKEN resolve and are not empty/);
    expect(text.stdout).toMatch(/✓ git +clean at [0-9a-f]{7} on main/);
    // Secrets never appear, even in a report about them.
    expect(text.output).not.toContain(SECRET);
    expect(text.output).not.toContain(REGISTRY_PASSWORD);

    const json = await berth(project, ["doctor", "--output", "json"]);
    expect(json.code, json.output).toBe(0);
    const document = report(json.stdout);
    expect(document.ok).toBe(true);
    expect(document.checks.filter((item) => item.status === "fail")).toEqual([]);
    expect(new Set(document.checks.map((item) => item.where))).toEqual(new Set(["local", h1.ip, h2.ip]));
    for (const host of [h1, h2]) expect(check(document.checks, host.ip, "registry").status).toBe("ok");
    console.log(`berth doctor on 2 healthy hosts: ${document.seconds.toFixed(2)} s (its own measure, in process)`);

    // Read only: the same containers, docker config, files; no host key recorded.
    expect(await Promise.all([h1, h2].map(hostSnapshot))).toEqual(before);
    expect(readFileSync(bed.knownHostsPath, "utf8")).toBe(knownHosts);
  });

  it("names a missing secret and where the configuration uses it", async () => {
    const secretsFile = join(project.dir, ".kamal/secrets");
    const secrets = readFileSync(secretsFile, "utf8");
    writeFileSync(secretsFile, secrets.split("\n").filter((line) => !line.startsWith("SECRET_TOKEN=")).join("\n"));
    try {
      const result = await berth(project, ["doctor"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/✗ secrets +SECRET_TOKEN \(env\/secret\) is missing; read \.kamal\/secrets\n\s+→ define it in \.kamal\/secrets/);
      expect(result.stderr).toContain("ERROR (Berth::DoctorError): 1 check failed");
      // The servers were still checked.
      expect(result.stdout).toMatch(new RegExp(`${h2.ip.replace(/\./g, "\\.")}\\n  ✓ ssh`));
    } finally {
      writeFileSync(secretsFile, secrets);
    }
  });

  it("refuses to connect to a host whose key is unknown, and says how to add it", async () => {
    const knownHosts = readFileSync(bed.knownHostsPath, "utf8");
    writeFileSync(bed.knownHostsPath, knownHosts.split("\n").filter((line) => !line.startsWith(`${h2.ip} `)).join("\n"));
    try {
      const result = await berth(project, ["doctor", "--output", "json"]);
      expect(result.code).toBe(1);
      const ssh = check(report(result.stdout).checks, h2.ip, "ssh");
      expect(ssh.status).toBe("fail");
      expect(ssh.detail).toContain(`the host key of ${h2.ip} is not known`);
      expect(ssh.fix).toContain(`ssh-keyscan -p 22 ${h2.ip} >> ~/.ssh/known_hosts`);
      expect(check(report(result.stdout).checks, h1.ip, "ssh").status).toBe("ok");
      // Nothing was recorded for it.
      expect(readFileSync(bed.knownHostsPath, "utf8")).not.toContain(h2.ip);
    } finally {
      writeFileSync(bed.knownHostsPath, knownHosts);
    }
  });

  it("names a host whose link is down, and checks the others", async () => {
    await bed.setReachable(h2, false);
    try {
      const result = await berth(project, ["doctor"]);
      expect(result.code).toBe(1);
      const section = result.stdout.slice(result.stdout.indexOf(`${h2.ip}\n`));
      const ip = h2.ip.replace(/\./g, "\\.");
      expect(section).toMatch(new RegExp(`✗ ssh +Cannot connect to ${ip} \\(root@${ip}:22\\): no answer within 15 s`));
      expect(section).toMatch(/- checks +the rest of this host needs the SSH connection/);
      expect(result.stdout).toMatch(new RegExp(`${h1.ip.replace(/\./g, "\\.")}\\n  ✓ ssh`));
      expect(result.stderr).toContain("ERROR (Berth::DoctorError): 1 check failed");
    } finally {
      await bed.setReachable(h2, true);
    }
  });

  it("names a host whose Docker daemon is stopped, and what to do", async () => {
    await h1.exec("kill $(cat /run/docker.pid); for i in $(seq 50); do [ -e /run/docker.pid ] || break; sleep 0.2; done");
    const result = await berth(project, ["doctor"]);
    expect(result.code).toBe(1);
    const section = result.stdout.slice(result.stdout.indexOf(`${h1.ip}\n`), result.stdout.indexOf(`${h2.ip}\n`));
    expect(section).toMatch(/✗ docker +the Docker daemon is not running \(Cannot connect to the Docker daemon/);
    expect(section).toMatch(/→ start it on the host: systemctl start docker/);
    expect(section).toMatch(/- registry +10\.210\.0\.1:5555: not checked, Docker isn't usable/);
    // The other host is fine.
    expect(result.stdout.slice(result.stdout.indexOf(`${h2.ip}\n`))).toMatch(/✓ docker +Docker/);
  });
});
