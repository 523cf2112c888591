import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CleanupRegistry } from "../../../src/cli/cleanup.js";
import { createContext } from "../../../src/cli/context.js";
import { DEFAULT_GLOBAL_OPTIONS, type CommandContext, type GlobalOptions } from "../../../src/core/context.js";
import { loadConfigFromSources } from "../../../src/config/index.js";
import { makePlan, printPlan, renderPlan, type Plan } from "../../../src/deploy/plan.js";
import { contextForPlan } from "../../../src/cli/plan-context.js";
import { PlanResolution } from "../../../src/deploy/plan-resolution.js";
import { cloneDirectory } from "../../../src/commands/builder/clone.js";
import { PlanRecorder, PlanTransport, cleanServers, localDecision, type LocalDecision } from "../../../src/deploy/plan-transport.js";
import { batching, builder, cmd } from "../../../src/commands/index.js";
import { upload } from "../../../src/commands/upload.js";
import { Output } from "../../../src/output/index.js";
import { MemoryStream } from "../output/streams.js";
import { secretsOf } from "./fake.js";

const SECRET = "hunter2-db-password";
const REGISTRY_PASSWORD = "registry-password-55";

const CONFIG = `service: app
image: team/app
registry:
  server: registry.example:5000
  username: deployer
  password:
    - REGISTRY_PASSWORD
servers:
  web:
    - 10.0.0.1
    - 10.0.0.2
  workers:
    hosts:
      - 10.0.0.3
    cmd: sh /worker.sh
env:
  secret:
    - DB_PASSWORD
proxy:
  app_port: 80
builder:
  arch: amd64
  context: .
accessories:
  db:
    image: postgres:16
    host: 10.0.0.3
    env:
      secret:
        - DB_PASSWORD
readiness_delay: 0
`;

interface Setup {
  readonly context: CommandContext;
  readonly stdout: MemoryStream;
  readonly local: string[];
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-plan-unit-"));
  mkdirSync(join(dir, "config"));
  writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
  return dir;
}

function setup(options: { globals?: Partial<GlobalOptions>; format?: "text" | "json"; yaml?: string } = {}): Setup {
  const cwd = project();
  const stdout = new MemoryStream();
  const output = new Output({ stdout, stderr: stdout, format: options.format ?? "text" });
  const secrets = secretsOf({ REGISTRY_PASSWORD, DB_PASSWORD: SECRET });
  output.registerSecrets([SECRET, REGISTRY_PASSWORD]);
  const config = loadConfigFromSources({ base: { file: "config/deploy.yml", text: options.yaml ?? CONFIG }, cwd, env: {}, version: "abc1234", secrets });
  const context = createContext({
    globals: { ...DEFAULT_GLOBAL_OPTIONS, ...options.globals },
    output,
    cwd,
    env: { VERSION: "abc1234" },
    commandPath: ["deploy"],
    cleanup: new CleanupRegistry(),
    loadConfiguration: async () => config,
  });
  return { context, stdout, local: [] };
}

/** This machine as a plan sees it, without Docker or git: classic builder on amd64, a clean tree. */
function localProbes(cwd: string, seen: string[]): (command: string) => LocalDecision {
  return (command) => {
    seen.push(command);
    if (command.includes("docker buildx version")) return { run: false, record: false, reply: { stdout: "classic\nx86_64\n" } };
    if (command.startsWith("git rev-parse --show-toplevel")) return { run: false, record: false, reply: { stdout: `${cwd}\nabc1234\n---\n` } };
    if (command.startsWith("docker image inspect")) return { run: false, record: false, reply: { code: 1 } };
    if (command.startsWith("git config")) return { run: false, record: false };
    return { run: false, record: true };
  };
}

async function deployPlan(flow: "deploy" | "setup" | "redeploy" = "deploy"): Promise<{ plan: Plan; local: string[] }> {
  const { context } = setup();
  const local: string[] = [];
  const plan = await makePlan(context, flow, { skipPush: false, noCache: false }, { local: localProbes(context.cwd, local) });
  return { plan, local };
}

function phaseTitled(plan: Plan, phase: string): Plan["phases"][number] | undefined {
  return plan.phases.find((item) => item.title.includes(phase));
}

function commandsIn(plan: Plan, phase: string, host: string): string[] {
  return phaseTitled(plan, phase)?.hosts.find((item) => item.host === host)?.commands.map((item) => item.command) ?? [];
}

function allCommands(plan: Plan): string[] {
  return plan.phases.flatMap((phase) => phase.hosts.flatMap((host) => host.commands.map((command) => command.command)));
}

describe("deploy --plan", () => {
  it("shows the release command's audit lines, the finished one without a made-up duration", async () => {
    const { context } = setup({ yaml: `${CONFIG}x-berth:\n  release:\n    cmd: bin/migrate\n` });
    const plan = await makePlan(context, "deploy", { skipPush: true, noCache: false }, { local: localProbes(context.cwd, []) });
    const release = commandsIn(plan, "Run the release command on 10.0.0.1...", "10.0.0.1");
    expect(release.some((command) => /^docker run --rm --name app-web-release-abc1234-[0-9a-f]{6} .* bin\/migrate 2>&1$/.test(command))).toBe(true);
    expect(release.some((command) => command.includes("Release command finished in <seconds>s"))).toBe(true);
    expect(release.some((command) => /finished in \d/.test(command))).toBe(false);
  });

  it("lists the deploy's phases in order with each host's commands, ending with the lock release", async () => {
    const { plan } = await deployPlan();
    const titles = plan.phases.map((phase) => phase.title);
    const order = ["Log into image registry...", "Build and push app image...", "Acquiring the deploy lock...", "Ensure kamal-proxy is running...", "Prune old containers and images..."];
    const positions = order.map((title) => titles.findIndex((item) => item.includes(title)));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(plan.version).toBe("abc1234");

    expect(commandsIn(plan, "Log into image registry...", "localhost")).toEqual(["docker login registry.example:5000 -u [REDACTED] --password-stdin"]);
    const build = commandsIn(plan, "Build and push app image...", "localhost");
    expect(build.some((command) => command.startsWith("docker build") && command.includes("-t registry.example:5000/team/app:abc1234"))).toBe(true);
    expect(build).toContain("docker push registry.example:5000/team/app:abc1234");

    const lock = commandsIn(plan, "Acquiring the deploy lock...", "10.0.0.1");
    expect(lock[0]).toBe("mkdir -p .kamal");
    expect(lock[1]).toMatch(/^mkdir \.kamal\/lock-app && echo "[A-Za-z0-9+/=\n]+" > \.kamal\/lock-app\/details$/);

    const all = allCommands(plan);
    // The web role boots behind the proxy with the planned container id; the worker has no proxy.
    expect(all.some((command) => command.startsWith("docker run --detach --restart unless-stopped --name app-web-abc1234"))).toBe(true);
    expect(all.some((command) => command.startsWith("docker run --detach --restart unless-stopped --name app-workers-abc1234"))).toBe(true);
    expect(all.some((command) => command.includes('kamal-proxy deploy app-web --target="CONTAINER_ID:80"'))).toBe(true);
    expect(all).toContain("upload to .kamal/apps/app/env/roles/web.env (mode 0600, content on stdin)");
    expect(all.at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    // Every host was planned, the accessory only by setup.
    expect(Object.keys(plan.roundTrips).sort()).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "localhost"]);
    expect(all.some((command) => command.includes("postgres:16"))).toBe(false);
  });

  it("with registry.server localhost:5555: no login, no push, the hosts pull the image from Berth over SSH (noted)", async () => {
    const { context } = setup({ yaml: CONFIG.replace(/registry:\n( {2}.*\n)+/, "registry:\n  server: localhost:5555\n") });
    const local: string[] = [];
    const plan = await makePlan(context, "deploy", { skipPush: false, noCache: false }, { local: localProbes(context.cwd, local) });
    const all = allCommands(plan);
    expect(all.some((command) => command.startsWith("docker login"))).toBe(false);
    expect(all.some((command) => command.startsWith("docker push"))).toBe(false);
    expect(all.some((command) => command.startsWith("docker build -t localhost:5555/team/app:abc1234 -t localhost:5555/team/app:latest"))).toBe(true);
    expect(all).toContain("docker pull localhost:5555/team/app:abc1234");
    expect(plan.phases.flatMap((phase) => phase.notes)).toContain("The hosts pull localhost:PORT images from this machine's Docker, through a port forwarded over their SSH connection");
  });

  it("groups a batch's steps under one round trip and marks steps whose failure is tolerated", async () => {
    const { plan } = await deployPlan();
    const proxy = phaseTitled(plan, "Ensure kamal-proxy is running...")!.hosts.find((host) => host.host === "10.0.0.1")!;
    const network = proxy.commands.find((command) => command.command === "docker network create kamal")!;
    const run = proxy.commands.find((command) => command.command.startsWith("docker container start kamal-proxy ||"))!;
    expect(network.roundTrip).toBe(run.roundTrip);
    expect(network.allowFailure).toBe(true);
    expect(run.allowFailure).toBe(false);
  });

  it("never shows a secret: not in commands, not in the printed plan", async () => {
    const { context, stdout } = setup();
    const local: string[] = [];
    const plan = await makePlan(context, "setup", { skipPush: false, noCache: false }, { local: localProbes(context.cwd, local) });
    const text = renderPlan(plan) + JSON.stringify(plan);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(REGISTRY_PASSWORD);
    expect(text).not.toContain("deployer"); // the registry username is a secret too
    expect(stdout.text).toBe(""); // the flow's own output is not printed
  });

  it("setup plans Docker's check and the accessories; redeploy leaves out the proxy and the prune", async () => {
    const setupPlan = (await deployPlan("setup")).plan;
    expect(commandsIn(setupPlan, "Ensure Docker is installed...", "10.0.0.1")).toContain("docker -v");
    const db = allCommands(setupPlan).filter((command) => command.includes("postgres:16"));
    expect(db.some((command) => command.startsWith("docker run --name app-db --detach"))).toBe(true);
    expect(allCommands(setupPlan)).toContain("upload to .kamal/apps/app/env/accessories/db.env (mode 0600, content on stdin)");

    const redeploy = (await deployPlan("redeploy")).plan;
    const titles = redeploy.phases.map((phase) => phase.title);
    expect(titles.join("\n")).not.toContain("Ensure kamal-proxy is running...");
    expect(titles.join("\n")).not.toContain("Prune old containers and images...");
    expect(allCommands(redeploy).some((command) => command.includes("docker container start kamal-proxy"))).toBe(false);
  });

  it("runs nothing that changes anything locally: login, build and push are only recorded", async () => {
    const { plan, local } = await deployPlan();
    // The local answerer saw only probes and recorded commands; recorded ones are in the plan.
    const recorded = commandsIn(plan, "Build and push app image...", "localhost");
    expect(recorded.length).toBeGreaterThan(0);
    for (const command of recorded) expect(local).toContain(command);
  });

  it("prints text by phase and host, and one JSON document with --output json", async () => {
    const text = setup();
    await printPlan(text.context, "deploy", { skipPush: true, noCache: false }, { local: localProbes(text.context.cwd, []) });
    expect(text.stdout.text).toMatch(/^Plan for berth deploy, version abc1234: nothing was run on the servers\./);
    expect(text.stdout.text).toMatch(/\nAcquiring the deploy lock\.\.\.\n {2}10\.0\.0\.1\n {6}(\d) {2}mkdir -p \.kamal\n {6}\1 {2}mkdir \.kamal\/lock-app && echo "[A-Za-z0-9+/=]+\n {9}[A-Za-z0-9+/=]+/);
    expect(text.stdout.text).toContain("A plan cannot see the servers. It assumed:\n  - no deploy lock is held");
    expect(text.stdout.text).not.toContain("docker build"); // -P: pull only

    const json = setup({ format: "json" });
    await printPlan(json.context, "deploy", { skipPush: true, noCache: false }, { local: localProbes(json.context.cwd, []) });
    const document = JSON.parse(json.stdout.text) as { plan: Plan };
    expect(document.plan.command).toBe("deploy");
    expect(document.plan.phases.map((phase) => phase.title).join("\n")).toContain("Pull app image...");
    expect(document.plan.assumptions.length).toBeGreaterThan(0);
  });
});

describe("plan transports", () => {
  it("record a batch as its steps, with tolerated failures, and an upload as what it writes", async () => {
    const recorder = new PlanRecorder();
    const steps = [cmd("mkdir", "-p", ".kamal"), { command: cmd("docker", "network", "create", "kamal"), allowFailure: true }, upload(".kamal/x.env", Buffer.from("A=1\n"))];
    const result = await new PlanTransport(recorder).run("10.0.0.1", batching.batch(steps, { nonce: "0123456789abcdef" }));
    expect(recorder.commands.map(({ command, roundTrip, allowFailure }) => ({ command, roundTrip, allowFailure }))).toEqual([
      { command: "mkdir -p .kamal", roundTrip: 1, allowFailure: false },
      { command: "docker network create kamal", roundTrip: 1, allowFailure: true },
      { command: "upload to .kamal/x.env (mode 0600, content on stdin)", roundTrip: 1, allowFailure: false },
    ]);
    expect(result.code).toBe(0);
  });

  it("answer as clean servers: no lock, no proxy, a container id for docker run, healthy", () => {
    expect(cleanServers("stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d").code).toBe(1);
    expect(cleanServers("docker run --detach --restart unless-stopped --name app-web-1 team/app:1").stdout).toBe("CONTAINER_ID\n");
    expect(cleanServers("docker container ls --all --filter 'name=^app-web-1$' --quiet | xargs docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'").stdout).toBe("healthy\n");
    expect(cleanServers("docker ps -a -q --filter label=service=app-db")).toEqual({});
  });

  it("run local probes and checks of the build clone, and only record the rest, the clone's own updates included", () => {
    const config = loadConfigFromSources({ base: { file: "config/deploy.yml", text: CONFIG }, cwd: "/src", env: {}, version: "abc1234", secrets: secretsOf({}) });
    const clone = { tmpdir: "/tmp", pwd: "/src", gitRoot: "/src" };
    for (const probe of [builder.gitState(), builder.localDockerTools(), builder.localArchitecture(), builder.imageIdentity(config), builder.cloneAt("/tmp/kamal-clones/x/src")]) {
      expect(localDecision(probe)).toEqual({ run: true, record: false });
    }
    expect(localDecision(builder.cloneCheck(config, clone))).toEqual({ run: true, record: false, clone: "read" });
    for (const update of [builder.cloneFresh(config, clone), builder.cloneReset(config, clone, "abc1234"), builder.removeClone(config, clone)]) {
      expect(localDecision(update)).toEqual({ run: false, record: true, clone: "write" });
    }
    const [build] = builder.buildCommands(config, "local", { buildx: false, localArch: "amd64" });
    expect(localDecision(build!)).toEqual({ run: false, record: true });
    expect(localDecision(cmd("docker", "push", "team/app:1"))).toEqual({ run: false, record: true });
  });
});

describe("deploy --plan with this machine's git", () => {
  it("builds from a fresh clone of HEAD in the plan, without making the clone", async () => {
    const cwd = project();
    const git = (...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
    git("init", "-q", "-b", "main");
    git("-c", "user.name=T", "-c", "user.email=t@example.com", "add", "-A");
    git("-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one");
    const head = git("rev-parse", "HEAD");
    const stdout = new MemoryStream();
    const secrets = secretsOf({ REGISTRY_PASSWORD, DB_PASSWORD: SECRET });
    const config = loadConfigFromSources({ base: { file: "config/deploy.yml", text: CONFIG.replace("  context: .\n", "") }, cwd, env: {}, version: head, secrets });
    const context = createContext({
      globals: DEFAULT_GLOBAL_OPTIONS,
      output: new Output({ stdout, stderr: stdout }),
      cwd,
      env: { PATH: process.env.PATH ?? "" },
      commandPath: ["deploy"],
      cleanup: new CleanupRegistry(),
      loadConfiguration: async () => config,
    });
    const resolution = new PlanResolution(false);
    const plan = await makePlan(context, "deploy", { skipPush: false, noCache: true }, { resolution });
    const local = commandsIn(plan, "Build and push app image...", "localhost");
    expect(local.some((command) => /git -C \S+kamal-clones\S+ clone /.test(command))).toBe(true);
    // The clone's checks (read-only, so not listed) were answered as a clone of HEAD: the build follows.
    expect(local.some((command) => command.includes(" status --porcelain"))).toBe(false);
    expect(local.some((command) => command.startsWith("docker build") || command.startsWith("docker buildx build"))).toBe(true);
    // …and the clone was not made.
    expect(existsSync(cloneDirectory(config, { tmpdir: tmpdir(), pwd: cwd }))).toBe(false);
    expect(plan.resolved.join("\n")).toContain("build clone in $TMPDIR/kamal-clones: not cloned or reset");
  });
});

describe("deploy --plan reading the project's own files", () => {
  const SECRETS = "REGISTRY_PASSWORD=$(touch made-by-a-secret; echo pw)\nDB_PASSWORD=literal-value\n";

  function planContext(cwd: string, stdout: MemoryStream): CommandContext {
    return createContext({
      globals: DEFAULT_GLOBAL_OPTIONS,
      output: new Output({ stdout, stderr: stdout }),
      cwd,
      env: { PATH: process.env.PATH ?? "", VERSION: "abc1234" },
      commandPath: ["deploy"],
      cleanup: new CleanupRegistry(),
      loadConfiguration: async () => {
        throw new Error("a plan loads the configuration itself");
      },
    });
  }

  function projectWithSecrets(config = CONFIG): string {
    const cwd = project();
    writeFileSync(join(cwd, "config/deploy.yml"), config);
    mkdirSync(join(cwd, ".kamal"));
    writeFileSync(join(cwd, ".kamal/secrets"), SECRETS);
    return cwd;
  }

  it("runs no command substitution of the secrets files: placeholders stand for them, and the plan says so", async () => {
    const cwd = projectWithSecrets();
    const stdout = new MemoryStream();
    const resolution = new PlanResolution(false);
    await printPlan(contextForPlan(planContext(cwd, stdout), resolution), "deploy", { skipPush: true, noCache: false }, { resolution, local: localProbes(cwd, []) });
    expect(existsSync(join(cwd, "made-by-a-secret"))).toBe(false);
    expect(stdout.text).toContain("Read on this machine:\n  - configuration: config/deploy.yml\n  - version abc1234: from $VERSION\n  - secrets: read from .kamal/secrets; values are never shown\n");
    expect(stdout.text).toContain("  - secret REGISTRY_PASSWORD in .kamal/secrets: $(touch …) not run, a placeholder stands for it (--resolve-commands runs it)\n");
    expect(stdout.text).not.toContain("literal-value");
  });

  it("runs them with --resolve-commands", async () => {
    const cwd = projectWithSecrets();
    const stdout = new MemoryStream();
    const resolution = new PlanResolution(true);
    await printPlan(contextForPlan(planContext(cwd, stdout), resolution), "deploy", { skipPush: true, noCache: false }, { resolution, local: localProbes(cwd, []) });
    expect(existsSync(join(cwd, "made-by-a-secret"))).toBe(true);
    expect(stdout.text).toContain("  - secret REGISTRY_PASSWORD in .kamal/secrets: $(touch …) run (--resolve-commands)\n");
  });

  it("refuses deploy.yml's ERB commands without --resolve-commands, naming the file, line and command", async () => {
    const cwd = projectWithSecrets(CONFIG.replace("service: app", "service: <%= `touch made-by-erb; echo app` %>"));
    const resolution = new PlanResolution(false);
    const plan = printPlan(contextForPlan(planContext(cwd, new MemoryStream()), resolution), "deploy", { skipPush: true, noCache: false }, { resolution, local: localProbes(cwd, []) });
    await expect(plan).rejects.toThrow("config/deploy.yml:1:14: ERB: command `touch made-by-erb; echo app` not run: --plan runs no local command without --resolve-commands");
    expect(existsSync(join(cwd, "made-by-erb"))).toBe(false);
  });
});
