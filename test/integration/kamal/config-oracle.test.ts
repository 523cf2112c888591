// `berth config` against real Kamal 2.12's `kamal config` on every valid configuration in the
// repository: the fixtures (each destination of those that have them, ERB fixtures with more
// than one environment), the deploy.yml `kamal init` writes and Berth's own init template.
// Both outputs are read as Psych reads YAML and compared key by key, in order; only the quoting
// style is left out, since the two YAML emitters quote differently (Psych writes '999', the
// `yaml` package "999"; both are the string 999). Invalid configurations must fail in both.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/main.js";
import { MemoryStream } from "../../unit/output/streams.js";
import { baseEnv, kamal, kamalAsync, REPO_ROOT, type RunResult } from "../../support/kamal/kamal.js";
import { differences as compare, readPsychYaml } from "../../support/kamal/psych-yaml.js";

const FIXTURES = join(REPO_ROOT, "test/fixtures/config");

interface Run {
  readonly name: string;
  readonly cwd: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Environments and destinations fixtures need; every other fixture runs once as it is. */
const FIXTURE_RUNS: Readonly<Record<string, { envs?: readonly Record<string, string>[]; destinations?: readonly string[] }>> = {
  "erb.yml": { envs: [{ SERVICE_NAME: "erbapp", IMAGE_OWNER: "me", PADDED: "  x \n" }] },
  "erb-forms.yml": {
    envs: [
      {},
      { WEB_HOSTS: "10.0.0.1, 10.0.0.2", WORKER_HOSTS: "10.0.1.1,10.0.1.2", REGION: "us", RELEASE: "r1", BLANK: " ", PORT: "80", SERVICE: "Shop", SKIP_EXTRA: "1", RBENV_VERSION: "3.3.0" },
      { REGION: "ap", ARCH: "arm64", WORKER_HOSTS: "10.0.1.1", WORKER_CMD: "bin/worker" },
    ],
  },
  "destinations.yml": { destinations: ["staging", "production"] },
  "erb-destinations.yml": { destinations: ["staging", "production"] },
};

/** Fixture files that are destination overlays (`x.staging.yml` beside `x.yml`). */
function isOverlay(file: string, files: readonly string[]): boolean {
  const parts = file.split(".");
  return parts.length > 2 && files.includes(`${parts[0]}.yml`);
}

function fixtureRuns(): Run[] {
  const files = readdirSync(FIXTURES).filter((file) => file.endsWith(".yml")).sort();
  return files
    .filter((file) => !isOverlay(file, files))
    .flatMap((file) => {
      const settings = FIXTURE_RUNS[file] ?? {};
      const envs = settings.envs ?? [{}];
      const destinations = settings.destinations ?? [undefined];
      return envs.flatMap((env, index) =>
        destinations.map((destination) => ({
          name: `${file}${destination ? ` -d ${destination}` : ""}${envs.length > 1 ? ` (environment ${index + 1})` : ""}`,
          cwd: FIXTURES,
          args: ["config", "-c", file, "--version", "999", ...(destination ? ["-d", destination] : [])],
          env: baseEnv(env),
        })),
      );
    });
}

async function berth(run: Run): Promise<RunResult> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const status = await runCli(run.args, { stdout: stdout as never, stderr, env: { ...run.env }, cwd: run.cwd });
  return { status, stdout: stdout.text, stderr: stderr.text };
}

let scratch: string;
let runs: Run[];
let kamalResults: Map<string, RunResult>;

/** A project directory holding one config/deploy.yml. */
function project(name: string, deployYml: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, "config"), { recursive: true });
  writeFileSync(join(dir, "config/deploy.yml"), deployYml);
  return dir;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "berth-kamal-config-"));
  // The deploy.yml `kamal init` writes, as a new Kamal user has it.
  const kamalInit = join(scratch, "kamal-init");
  mkdirSync(kamalInit);
  const init = kamal(["init"], { cwd: kamalInit, env: baseEnv() });
  expect(init.status, init.stdout + init.stderr).toBe(0);
  const berthInit = join(scratch, "berth-init");
  cpSync(join(REPO_ROOT, "templates/init"), berthInit, { recursive: true });
  expect(existsSync(join(berthInit, "config/deploy.yml"))).toBe(true);

  const projectArgs = ["config", "--version", "999"];
  runs = [
    ...fixtureRuns(),
    { name: "kamal init's deploy.yml", cwd: kamalInit, args: projectArgs, env: baseEnv() },
    { name: "kamal init's deploy.yml, with RBENV_VERSION", cwd: kamalInit, args: projectArgs, env: baseEnv({ RBENV_VERSION: "3.3.0" }) },
    { name: "berth init's deploy.yml", cwd: berthInit, args: projectArgs, env: baseEnv() },
  ];
  // Two Kamal processes at a time: the machine has two cores.
  const limit = pLimit(2);
  const results = await Promise.all(runs.map((run) => limit(() => kamalAsync(run.args, run))));
  kamalResults = new Map(runs.map((run, index) => [run.name, results[index]!]));
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("berth config prints what kamal config prints", () => {
  it("covers every fixture, each destination, kamal init's and berth init's files", () => {
    expect(runs.length).toBeGreaterThanOrEqual(readdirSync(FIXTURES).filter((file) => file.endsWith(".yml")).length);
  });

  // The list is known only after beforeAll; one test walks it so every run reports its name.
  it("for each configuration", async () => {
    const differences: string[] = [];
    for (const run of runs) {
      const expected = kamalResults.get(run.name)!;
      if (expected.status !== 0) {
        differences.push(`${run.name}: Kamal failed: ${expected.stdout}${expected.stderr}`);
        continue;
      }
      const actual = await berth(run);
      if (actual.status !== 0) {
        differences.push(`${run.name}: Berth failed: ${actual.stderr}`);
        continue;
      }
      const found = compare(readPsychYaml(expected.stdout), readPsychYaml(actual.stdout));
      if (found.length > 0) differences.push(`${run.name} (- kamal config, + berth config):\n${found.join("\n")}`);
    }
    expect(differences).toEqual([]);
  });
});

describe("the version in a git repository", () => {
  const DEPLOY_YML = "service: app\nimage: dhh/app\nservers:\n  - 1.1.1.1\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n";

  it("is HEAD before the first commit, and the commit after it", async () => {
    const dir = project("git", DEPLOY_YML);
    execFileSync("git", ["init", "-q"], { cwd: dir });
    const run: Run = { name: "git", cwd: dir, args: ["config"], env: baseEnv() };
    for (const step of ["no commit", "one commit"]) {
      if (step === "one commit") {
        execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "add", "."], { cwd: dir });
        execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first"], { cwd: dir });
      }
      const expected = kamal(run.args, run);
      const actual = await berth(run);
      expect(actual.status, `${step}: ${actual.stderr}`).toBe(0);
      expect(readPsychYaml(actual.stdout), step).toEqual(readPsychYaml(expected.stdout));
    }
    expect(kamal(run.args, run).stdout).toMatch(/^:version: '?[0-9a-f]{40}'?$/m);
  });
});

describe("invalid configurations fail in both", () => {
  const BASE = "image: dhh/app\nservers:\n  - 1.1.1.1\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n";
  const INVALID: readonly { name: string; yaml: string; args?: readonly string[] }[] = [
    { name: "service: 123", yaml: `service: 123\n${BASE}` },
    { name: "service: true", yaml: `service: true\n${BASE}` },
    { name: "service with a space", yaml: `service: "my app"\n${BASE}` },
    { name: "no service", yaml: BASE },
    { name: "minimum_version above Kamal's", yaml: `service: app\nminimum_version: 3.0.0\n${BASE}` },
    { name: "unknown key", yaml: `service: app\nservrs: []\n${BASE}` },
    { name: "require_destination without -d", yaml: `service: app\nrequire_destination: true\n${BASE}` },
    { name: "ENV.fetch of a missing variable", yaml: `service: <%= ENV.fetch("NOT_SET_ANYWHERE") %>\n${BASE}` },
    { name: "an unclosed quote", yaml: `service: "app\n${BASE}` },
    { name: "an unclosed bracket", yaml: `service: app\nx-list: [1, 2\n${BASE}` },
  ];
  for (const { name, yaml } of INVALID) {
    it(name, async () => {
      const dir = project(name.replace(/\W+/g, "-"), yaml);
      const run: Run = { name, cwd: dir, args: ["config", "--version", "1"], env: baseEnv() };
      const [expected, actual] = [kamal(run.args, run), await berth(run)];
      expect(expected.status, `Kamal: ${expected.stdout}`).not.toBe(0);
      expect(actual.status, `Berth: ${actual.stdout}`).not.toBe(0);
      expect(actual.stderr).toMatch(/ERROR/);
    });
  }
});
