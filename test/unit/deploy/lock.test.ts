import { describe, expect, it } from "vitest";
import { acquireManualLock, releaseManualLock, showLockStatus, withLock } from "../../../src/deploy/lock.js";
import { BASE_CONFIG, harness } from "./fake.js";

const HELD = "Locked by: Someone at 2026-01-01T00:00:00Z\nVersion: 111\nMessage: Automatic deploy lock";
const MANUAL = "Locked by: Someone at 2026-01-01T00:00:00Z\nVersion: 111\nMessage: fixing the database";

function lockHeld(details: string) {
  return (_host: string, command: string) => {
    if (command.startsWith("mkdir .kamal/lock-app")) return { code: 1, stderr: "mkdir: cannot create directory '.kamal/lock-app': File exists" };
    if (command.startsWith("stat .kamal/lock-app")) return { stdout: `${details}\n` };
    return undefined;
  };
}

describe("withLock", () => {
  it("takes the lock on the primary host in one round trip, runs the work, then releases it", async () => {
    const { run, servers } = await harness(BASE_CONFIG);
    const seen: string[] = [];
    const result = await withLock(run, async () => {
      seen.push(`holding=${run.holdingLock}`);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(["holding=true"]);
    expect(run.holdingLock).toBe(false);
    const commands = servers.commandsOn("10.0.0.1");
    expect(commands[0]).toBe("mkdir -p .kamal");
    expect(commands[1]).toMatch(/^mkdir \.kamal\/lock-app && echo "[A-Za-z0-9+/=\n]+" > \.kamal\/lock-app\/details$/);
    const details = Buffer.from(/echo "([^"]+)"/.exec(commands[1]!)![1]!.replace(/\n/g, ""), "base64").toString();
    expect(details).toBe("Locked by: Deployer at 2026-01-02T03:04:05Z\nVersion: 999\nMessage: Automatic deploy lock");
    expect(commands.at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    expect(servers.recorded.filter((entry) => entry.host === "10.0.0.1" && entry.roundTrip <= 1)).toHaveLength(2);
    expect(servers.commandsOn("10.0.0.2")).toEqual([]);
  });

  it("releases the lock when the work fails, and rethrows", async () => {
    const { run, servers } = await harness(BASE_CONFIG);
    await expect(withLock(run, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(servers.commandsOn("10.0.0.1").at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    expect(run.holdingLock).toBe(false);
  });

  it("releases the lock from the cleanup registry when the process is interrupted mid-work", async () => {
    const { run, servers, cleanup } = await harness(BASE_CONFIG);
    let interrupted!: () => void;
    const working = withLock(run, () => new Promise<void>((resolve) => (interrupted = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await cleanup.run(); // what Ctrl-C does
    expect(servers.commandsOn("10.0.0.1")).toContain("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    expect(servers.closed).toBe(true);
    interrupted();
    await working;
  });

  it("fails with Kamal's message and the holder's details when the lock is held", async () => {
    const { run, servers, stdout } = await harness(BASE_CONFIG, { responder: lockHeld(HELD) });
    let ran = false;
    // Who holds it since when, and the command that clears a lock no deploy holds any more (one killed with SIGKILL, say).
    await expect(withLock(run, async () => void (ran = true))).rejects.toThrow(
      "Deploy lock found on 10.0.0.1, held by Someone since 2026-01-01T00:00:00Z (version 111: Automatic deploy lock). " +
        "If no deploy is running any more (one was killed, say), release it with `berth lock release`; see 'berth lock help' for more information",
    );
    expect(ran).toBe(false);
    expect(stdout.text).toContain("Deploy lock already in place!");
    expect(stdout.text).toContain("Message: Automatic deploy lock");
    // Someone else's lock is never released.
    expect(servers.commandsOn("10.0.0.1").some((command) => command.startsWith("rm "))).toBe(false);
  });

  it("with --lock-wait polls until a deploy's lock is gone", async () => {
    let attempts = 0;
    const { run } = await harness(BASE_CONFIG, {
      globals: { lockWait: true, lockWaitInterval: 0.01, lockWaitTimeout: 5 },
      responder: (host, command) => {
        if (command.startsWith("mkdir .kamal/lock-app") && ++attempts < 3) return lockHeld(HELD)(host, command);
        return lockHeld(HELD)(host, command.startsWith("stat") ? command : "");
      },
    });
    await withLock(run, async () => undefined);
    expect(attempts).toBe(3);
  });

  it("with --lock-wait refuses to wait on a manual lock", async () => {
    const { run } = await harness(BASE_CONFIG, { globals: { lockWait: true, lockWaitInterval: 0.01 }, responder: lockHeld(MANUAL) });
    await expect(withLock(run, async () => undefined)).rejects.toThrow(/held manually by Someone \(fixing the database\)/);
  });

  it("with --lock-wait gives up after the timeout", async () => {
    const { run } = await harness(BASE_CONFIG, { globals: { lockWait: true, lockWaitInterval: 0.02, lockWaitTimeout: 0.05 }, responder: lockHeld(HELD) });
    await expect(withLock(run, async () => undefined)).rejects.toThrow(/still held after waiting 0.05 seconds/);
  });

  it("under KAMAL_LOCK=true (a hook of a deploy) treats the lock as held and never touches it", async () => {
    const { run, servers } = await harness(BASE_CONFIG, { env: { KAMAL_LOCK: "true" } });
    await withLock(run, async () => undefined);
    expect(servers.recorded).toEqual([]);
    expect(run.holdingLock).toBe(true);
  });
});

describe("lock commands", () => {
  it("status prints the details or says there is none", async () => {
    const held = await harness(BASE_CONFIG, { responder: lockHeld(MANUAL), command: ["lock", "status"] });
    await showLockStatus(held.run);
    expect(held.stdout.text).toContain("Message: fixing the database");
    const none = await harness(BASE_CONFIG, { responder: () => ({ code: 1, stderr: "stat: cannot stat" }), command: ["lock", "status"] });
    await showLockStatus(none.run);
    expect(none.stdout.text).toContain("There is no deploy lock");
  });

  it("acquire writes the message; release removes the lock or says there was none", async () => {
    const { run, servers, stdout } = await harness(BASE_CONFIG, { command: ["lock", "acquire"] });
    await acquireManualLock(run, "maintenance window");
    const acquire = servers.commandsOn("10.0.0.1")[1]!;
    expect(Buffer.from(/echo "([^"]+)"/.exec(acquire)![1]!.replace(/\n/g, ""), "base64").toString()).toContain("Message: maintenance window");
    expect(stdout.text).toContain("Acquired the deploy lock");
    await releaseManualLock(run);
    expect(stdout.text).toContain("Released the deploy lock");

    const none = await harness(BASE_CONFIG, { responder: () => ({ code: 1, stderr: "rm: cannot remove '.kamal/lock-app/details': No such file or directory" }) });
    await releaseManualLock(none.run);
    expect(none.stdout.text).toContain("There is no deploy lock");
  });

  it("acquire refuses when a lock is held", async () => {
    const { run } = await harness(BASE_CONFIG, { responder: lockHeld(MANUAL) });
    await expect(acquireManualLock(run, "x")).rejects.toThrow("Deploy lock found");
  });
});
