// The command line of the server commands, parsed by the real CLI into what src/deploy receives.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as appModule from "../../../src/deploy/app.js";
import * as appExecModule from "../../../src/deploy/app-exec.js";
import * as accessoryModule from "../../../src/deploy/accessory.js";
import * as logsModule from "../../../src/deploy/logs.js";
import * as planModule from "../../../src/deploy/plan.js";
import * as registryModule from "../../../src/deploy/registry.js";
import * as serverExecModule from "../../../src/deploy/server-exec.js";
import { fakeConfiguration, run } from "../cli/run.js";

vi.mock("../../../src/deploy/run.js", () => ({ Run: { create: vi.fn(async () => ({ fake: "run" })) } }));
vi.mock("../../../src/deploy/app-exec.js", async (importOriginal) => ({ ...(await importOriginal<typeof appExecModule>()), execApp: vi.fn() }));
vi.mock("../../../src/deploy/server-exec.js", () => ({ execOnServers: vi.fn() }));
vi.mock("../../../src/deploy/logs.js", () => ({ appLogs: vi.fn(), accessoryLogs: vi.fn(), proxyLogs: vi.fn() }));
vi.mock("../../../src/deploy/app.js", () => ({ maintenanceApp: vi.fn(), staleContainers: vi.fn(), removeAppContainer: vi.fn() }));
vi.mock("../../../src/deploy/accessory.js", () => ({ removeAccessories: vi.fn(), upgradeAccessories: vi.fn(), bootAccessories: vi.fn() }));
vi.mock("../../../src/deploy/registry.js", () => ({ loginRegistry: vi.fn(), removeRegistry: vi.fn() }));
vi.mock("../../../src/deploy/plan.js", () => ({ printPlan: vi.fn() }));

const configs = { "config/deploy.yml": fakeConfiguration({ service: "app" }) };

beforeEach(() => {
  vi.clearAllMocks();
});

function lastArgs(fn: unknown): unknown[] {
  const calls = vi.mocked(fn as (...args: unknown[]) => unknown).mock.calls;
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

describe("exec options", () => {
  it("refuses Kamal's incompatible combinations before loading anything", async () => {
    const detach = await run(["app", "exec", "--detach", "-i", "bash"], { configs });
    expect(detach.code).toBe(1);
    expect(detach.stderr).toBe("  ERROR (ArgumentError): Detach is not compatible with interactive\n");
    expect(detach.loads).toEqual([]);
    expect((await run(["app", "exec"], { configs })).stderr).toContain("No command provided. You must specify a command to execute.");
    expect((await run(["server", "exec", "-i", "--raw", "top"], { configs })).stderr).toContain("Raw is not compatible with interactive");
    expect((await run(["accessory", "exec", "db", "-i", "--raw", "sh"], { configs })).stderr).toContain("Raw is not compatible with interactive");
    expect(appExecModule.execApp).not.toHaveBeenCalled();
  });

  it("app exec: -e pairs (repeatable, values may hold colons), --reuse, the command words after the options", async () => {
    const result = await run(["app", "exec", "-e", "A:1", "-e", "URL:http://x:1/", "--reuse", "bin/rails", "runner", "'puts 1'"], { configs });
    expect(result.code, result.stderr).toBe(0);
    const [, request] = lastArgs(appExecModule.execApp) as [unknown, appExecModule.AppExecRequest];
    expect(request).toMatchObject({ command: ["bin/rails", "runner", "'puts 1'"], env: { A: "1", URL: "http://x:1/" }, reuse: true, interactive: false, raw: false, detach: false });
  });

  it("server exec passes the command and --raw through", async () => {
    expect((await run(["server", "exec", "--raw", "cat", "/etc/os-release"], { configs })).code).toBe(0);
    const [, request] = lastArgs(serverExecModule.execOnServers) as [unknown, serverExecModule.ServerExecRequest];
    expect(request).toMatchObject({ command: ["cat", "/etc/os-release"], raw: true, interactive: false });
  });
});

describe("logs, maintenance, stale containers, remove, upgrade, registry", () => {
  it("app logs: -n -s -g --grep-options -T -f --container-id", async () => {
    const result = await run(["app", "logs", "-n", "5", "-s", "10m", "-g", "GET /up", "--grep-options", "-i", "-T", "--container-id", "abc123"], { configs });
    expect(result.code, result.stderr).toBe(0);
    expect(lastArgs(logsModule.appLogs)[1]).toMatchObject({ lines: 5, since: "10m", grep: "GET /up", grepOptions: "-i", skipTimestamps: true, follow: false, containerId: "abc123" });
    await run(["accessory", "logs", "db", "-f"], { configs });
    expect(lastArgs(logsModule.accessoryLogs).slice(1)).toMatchObject(["db", { follow: true, skipTimestamps: false }]);
  });

  it("app maintenance --drain-timeout N --message M; stale_containers -s; remove_container VERSION", async () => {
    await run(["app", "maintenance", "--drain-timeout", "3", "--message", "Back soon"], { configs });
    expect(lastArgs(appModule.maintenanceApp)[1]).toEqual({ drainTimeout: 3, message: "Back soon" });
    await run(["app", "stale_containers", "-s"], { configs });
    expect(lastArgs(appModule.staleContainers)[1]).toEqual({ stop: true });
    await run(["app", "remove_container", "abc"], { configs });
    expect(lastArgs(appModule.removeAppContainer)[1]).toBe("abc");
  });

  it("accessory remove -y and upgrade --rolling; registry -L/-R", async () => {
    await run(["accessory", "remove", "all", "-y"], { configs });
    expect(lastArgs(accessoryModule.removeAccessories).slice(1)).toEqual(["all", { confirmed: true }]);
    await run(["accessory", "upgrade", "db", "--rolling"], { configs });
    expect(lastArgs(accessoryModule.upgradeAccessories).slice(1)).toEqual(["db", { rolling: true, confirmed: false }]);
    await run(["registry", "login", "-L"], { configs });
    expect(lastArgs(registryModule.loginRegistry)[1]).toMatchObject({ skipLocal: true, skipRemote: false });
    await run(["registry", "remove", "-R"], { configs });
    expect(lastArgs(registryModule.removeRegistry)[1]).toMatchObject({ skipLocal: false, skipRemote: true });
  });
});

describe("--plan", () => {
  it("deploy, setup and redeploy print a plan instead of deploying, with -P and --no-cache", async () => {
    await run(["deploy", "--plan", "-P"], { configs });
    expect(lastArgs(planModule.printPlan).slice(1, 3)).toEqual(["deploy", { skipPush: true, noCache: false, skipRelease: false }]);
    expect(lastArgs(planModule.printPlan)[3]).toMatchObject({ resolution: { runCommands: false } });
    vi.clearAllMocks();
    await run(["setup", "--plan", "--no-cache", "--resolve-commands"], { configs });
    expect(lastArgs(planModule.printPlan).slice(1, 3)).toEqual(["setup", { skipPush: false, noCache: true, skipRelease: false }]);
    expect(lastArgs(planModule.printPlan)[3]).toMatchObject({ resolution: { runCommands: true } });
    vi.clearAllMocks();
    await run(["redeploy", "--plan"], { configs });
    expect(lastArgs(planModule.printPlan).slice(1, 3)).toEqual(["redeploy", { skipPush: false, noCache: false, skipRelease: false }]);
    vi.clearAllMocks();
    await run(["deploy", "--plan", "--skip-release", "--atomic"], { configs });
    expect(lastArgs(planModule.printPlan).slice(1, 3)).toEqual(["deploy", { skipPush: false, noCache: false, skipRelease: true, atomic: true }]);
    vi.clearAllMocks();
    await run(["deploy", "--plan", "--no-atomic"], { configs });
    expect(lastArgs(planModule.printPlan).slice(1, 3)).toEqual(["deploy", { skipPush: false, noCache: false, skipRelease: false, atomic: false }]);
  });

  it("--resolve-commands without --plan is a usage error", async () => {
    const result = await run(["deploy", "--resolve-commands"], { configs });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--resolve-commands goes with --plan");
  });
});
