// SshTransport's own logic against a stand-in `ssh` on PATH that records its arguments: one
// connection per host, bounded starts, DNS retries, close, and the run's ssh config file.
// The real OpenSSH behaviour is covered by test/integration/transport against the test bed.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Redacted, cmd } from "../../../src/core/cmd.js";
import { CommandFailedError, SshConnectionError } from "../../../src/transport/errors.js";
import { SshTransport, type SshTransportOptions } from "../../../src/transport/ssh-transport.js";

const FAKE_SSH = `#!/bin/bash
printf '%s\\n' "$*" >> "$FAKE_DIR/argv"
case " $* " in
  *" -G "*)
    echo "user \${FAKE_G_USER}"; echo "hostname \${@: -1}"; echo "port 22"; echo "stricthostkeychecking \${FAKE_G_STRICT:-ask}"
    exit 0 ;;
  *" -O check "*)
    if [ -n "$FAKE_MASTER_DEAD" ]; then echo "Control socket connect(x): No such file or directory" >&2; exit 255; fi
    echo "Master running (pid=1)" >&2; exit 0 ;;
  *" -O exit "*)
    echo "Exit request sent." >&2; exit 0 ;;
  *" -N -f "*)
    fails=$(cat "$FAKE_DIR/dns-fails" 2>/dev/null || echo 0)
    if [ "$fails" -gt 0 ]; then
      echo $((fails - 1)) > "$FAKE_DIR/dns-fails"
      echo "ssh: Could not resolve hostname \${@: -1}: Temporary failure in name resolution" >&2; exit 255
    fi
    echo "start $(date +%s%N)" >> "$FAKE_DIR/masters"
    sleep "\${FAKE_MASTER_SLEEP:-0}"
    echo "end $(date +%s%N)" >> "$FAKE_DIR/masters"
    exit 0 ;;
  *)
    echo "ran: \${@: -1}"
    [ -n "$FAKE_CMD_STDERR" ] && echo "$FAKE_CMD_STDERR" >&2
    exit "\${FAKE_CMD_EXIT:-0}" ;;
esac
`;

let fakeDir: string;
let transport: SshTransport | undefined;

beforeEach(() => {
  fakeDir = mkdtempSync(join(tmpdir(), "berth-fake-ssh-"));
  writeFileSync(join(fakeDir, "ssh"), FAKE_SSH);
  chmodSync(join(fakeDir, "ssh"), 0o755);
});
afterEach(async () => {
  await transport?.close();
  transport = undefined;
  rmSync(fakeDir, { recursive: true, force: true });
});

function makeTransport(env: Record<string, string> = {}, options: SshTransportOptions = {}): SshTransport {
  transport = new SshTransport({
    batchMode: true,
    // The stand-in answers each ssh process on its own; remote shells are covered by
    // remote-shell.test.ts (against /bin/sh) and the integration tests (against sshd).
    persistentShells: false,
    ...options,
    env: { ...process.env, PATH: `${fakeDir}:${process.env.PATH}`, FAKE_DIR: fakeDir, FAKE_G_USER: userInfo().username, ...env },
  });
  return transport;
}

const argvLines = (): string[] => readFileSync(join(fakeDir, "argv"), "utf8").trim().split("\n");
const masterStarts = (): number => (existsSync(join(fakeDir, "masters")) ? readFileSync(join(fakeDir, "masters"), "utf8").match(/^start/gm)!.length : 0);

describe("SshTransport (stand-in ssh)", () => {
  it("opens one connection per host and shares it between parallel commands", async () => {
    const ssh = makeTransport({ FAKE_MASTER_SLEEP: "0.1" });
    const hosts = ["h1", "h2", "h3"];
    const results = await Promise.all(hosts.flatMap((host) => [1, 2, 3, 4, 5].map((n) => ssh.run(host, cmd("echo", n)))));
    expect(results.map((result) => result.stdout)).toContain("ran: echo 3\n");
    expect(masterStarts()).toBe(3);
    expect(ssh.stats()).toMatchObject({ connectionsOpened: 3, commandsRun: 15, hosts: { h2: { connectionsOpened: 1, commandsRun: 5 } } });
    const commands = argvLines().filter((line) => line.endsWith(" -T -- h2 echo 1"));
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatch(/-o ControlMaster=auto -o ControlPath=\S+\/berth-ssh-\w+\/\d -o ControlPersist=60 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o ConnectTimeout=15/);
  });

  it("reports connections and commands to observers, the command redacted", async () => {
    const ssh = makeTransport();
    const seen: string[] = [];
    const stop = ssh.observe({
      connectionOpened: (event) => seen.push(`open ${event.host}`),
      commandStarted: (event) => seen.push(`start ${event.host} ${event.command}`),
      commandOutput: (event) => seen.push(`${event.stream} ${event.chunk.trim()}`),
      commandFinished: (event) => seen.push(`finish ${event.exitStatus}`),
    });
    await ssh.run("h1", cmd("docker", "login", "-p", new Redacted("hunter2")));
    stop();
    await ssh.run("h1", cmd("true"));
    expect(seen).toEqual(["start h1 docker login -p [REDACTED]", "open h1", expect.stringMatching(/^stdout ran: sh -c /), "finish 0"]);
    expect(argvLines().join("\n")).not.toContain("hunter2");
  });

  it("gives the command line for an interactive command over the shared connection", async () => {
    const ssh = makeTransport();
    const { command, args } = await ssh.interactiveCommand("h1", cmd("docker", "exec", "-it", "app", "bash"));
    expect(command).toBe("ssh");
    expect(args.slice(-4)).toEqual(["-t", "--", "h1", "docker exec -it app bash"]);
    await expect(ssh.interactiveCommand("h1", cmd("echo", new Redacted("x")))).rejects.toThrow(/cannot carry secrets/);
  });

  it("bounds concurrent connection starts by sshkit.max_concurrent_starts", async () => {
    const ssh = makeTransport({ FAKE_MASTER_SLEEP: "0.2" }, { sshkit: { maxConcurrentStarts: 2 } });
    await Promise.all(["a", "b", "c", "d", "e"].map((host) => ssh.connect(host)));
    const events = readFileSync(join(fakeDir, "masters"), "utf8").trim().split("\n").map((line) => {
      const [kind, time] = line.split(" ");
      return { delta: kind === "start" ? 1 : -1, time: BigInt(time!) };
    });
    events.sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.delta - y.delta));
    let open = 0;
    let peak = 0;
    for (const event of events) peak = Math.max(peak, (open += event.delta));
    expect(peak).toBe(2);
  });

  it("retries failed name lookups (sshkit.dns_retries), then names the host and the attempts", async () => {
    writeFileSync(join(fakeDir, "dns-fails"), "2");
    const ssh = makeTransport({}, { sshkit: { dnsRetries: 3 } });
    await ssh.connect("web-1");
    expect(masterStarts()).toBe(1);
    expect(argvLines().filter((line) => line.includes(" -N -f "))).toHaveLength(3);

    writeFileSync(join(fakeDir, "dns-fails"), "9");
    await ssh.connect("web-2"); // a failure is kept for the host's next command
    const error = await ssh.run("web-2", cmd("true")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect((error as SshConnectionError).reason).toBe("dns");
    expect((error as Error).message).toMatch(/Cannot connect to web-2: the name web-2 does not resolve \(tried 4 times\)/);
  });

  it("closes every shared connection and its private directory", async () => {
    const ssh = makeTransport();
    await ssh.run("h1", cmd("true"));
    await ssh.run("h2", cmd("true"));
    const controlDir = /ControlPath=(\S+)\/\d/.exec(argvLines()[0]!)![1]!;
    expect(existsSync(controlDir)).toBe(true);
    await ssh.close();
    expect(argvLines().filter((line) => / -O exit -- h[12]$/.test(line))).toHaveLength(2);
    expect(existsSync(controlDir)).toBe(false);
  });

  it("connects straight away through the run's config file: the user's ssh config, then Kamal's root and accept-new as defaults", async () => {
    const ssh = makeTransport();
    await ssh.run("h1", cmd("true"));
    // No `ssh -G` before connecting: the master is the first ssh process.
    expect(argvLines()[0]).toMatch(/ -N -f -- h1$/);
    expect(argvLines().some((line) => line.includes(" -G "))).toBe(false);
    const configFile = /-F (\S+)/.exec(argvLines()[0]!)![1]!;
    expect(readFileSync(configFile, "utf8")).toBe('Include "~/.ssh/config"\nInclude "/etc/ssh/ssh_config"\nHost *\n  User root\n  StrictHostKeyChecking accept-new\n');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    // Nothing on the command line overrides what the user's config says.
    const line = argvLines().at(-1)!;
    expect(line).toMatch(/ -T -- h1 true$/);
    expect(line).not.toContain("-l ");
    expect(line).not.toContain("StrictHostKeyChecking");
  });

  it("says so when there is no ssh client at all", async () => {
    transport = new SshTransport({ env: { PATH: join(fakeDir, "empty") } });
    await expect(transport.run("h1", cmd("true"))).rejects.toThrow(/no `ssh` on PATH/);
  });

  it("tells a command's own exit status 255 from a lost connection", async () => {
    const ssh = makeTransport({ FAKE_CMD_EXIT: "255", FAKE_CMD_STDERR: "boom" });
    const own = await ssh.run("h1", cmd("false")).catch((caught: unknown) => caught);
    expect(own).toBeInstanceOf(CommandFailedError);
    expect((own as CommandFailedError).exitStatus).toBe(255);
    await ssh.close();

    const lost = makeTransport({ FAKE_CMD_EXIT: "255", FAKE_CMD_STDERR: "Connection to h1 closed by remote host.", FAKE_MASTER_DEAD: "1" });
    const error = await lost.run("h1", cmd("sleep", "1")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect((error as SshConnectionError).reason).toBe("connection-lost");
  });
});
