// RemoteShell's protocol against a local /bin/sh standing in for the remote end of the SSH
// session (the integration tests run it over real sshd): commands one after another, each with
// its own exit status, output, standard input and failures kept to itself.
import { afterEach, describe, expect, it } from "vitest";
import { MarkedStream, RemoteShell, shellJob } from "../../../src/transport/remote-shell.js";

let shell: RemoteShell | undefined;
afterEach(() => {
  shell?.close();
  shell = undefined;
});

function localShell(): RemoteShell {
  shell = new RemoteShell("/bin/sh", [], { PATH: process.env.PATH ?? "/usr/bin:/bin" });
  return shell;
}

describe("RemoteShell", () => {
  it("runs commands one after another in one process, each with its own status and streams", async () => {
    const sh = localShell();
    const first = await sh.run("echo one; echo err >&2; exit 3", undefined, {});
    expect(first).toMatchObject({ code: 3, stdout: "one\n", stderr: "err\n", statusFromCommand: true });
    const second = await sh.run("printf 'no newline'", undefined, {});
    expect(second).toMatchObject({ code: 0, stdout: "no newline", stderr: "" });
    // One shell process: `$$` in a subshell is the shell's own PID.
    const a = await sh.run("echo $$", undefined, {});
    const b = await sh.run("echo $$", undefined, {});
    expect(a.stdout).toMatch(/^\d+\n$/);
    expect(b.stdout).toBe(a.stdout);
    expect(sh.idle).toBe(true);
  });

  it("keeps a command's state, syntax errors and exit to itself", async () => {
    const sh = localShell();
    expect((await sh.run("cd /; berth_x=1; exit 0", undefined, {})).code).toBe(0);
    expect((await sh.run('pwd; echo "[$berth_x]"', undefined, {})).stdout).not.toContain("[1]");
    const broken = await sh.run("if then fi (", undefined, {});
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/syntax|unexpected/i);
    expect((await sh.run("echo still here", undefined, {})).stdout).toBe("still here\n");
  });

  it("gives each command exactly its standard input, and none otherwise", async () => {
    const sh = localShell();
    const bytes = Buffer.from([0, 1, 2, 255, 10, 39, 34, 92]);
    const counted = await sh.run("od -An -tx1 | tr -s ' \\n' ' '", bytes, {});
    expect(counted.stdout.trim()).toBe("00 01 02 ff 0a 27 22 5c");
    // Without input a reader sees end of file at once instead of the shell's own script.
    expect((await sh.run("cat; echo done", undefined, {})).stdout).toBe("done\n");
  });

  it("streams output as it arrives, marker lines never included, raw bytes kept on request", async () => {
    const sh = localShell();
    const chunks: string[] = [];
    const result = await sh.run("printf 'a\\n'; sleep 0.05; printf 'b'", undefined, { onStdout: (chunk) => chunks.push(chunk), keepStdoutBytes: true });
    expect(chunks.join("")).toBe("a\nb");
    expect(result.stdoutBytes?.toString()).toBe("a\nb");
    expect(chunks.join("")).not.toContain("__berth_shell_");
  });

  it("ends a command at its time limit like a process that exited 124, and is then ended", async () => {
    const sh = localShell();
    const result = await sh.run("sleep 5", undefined, { timeoutMs: 100 });
    expect(result).toMatchObject({ code: 124, timedOut: true });
    expect(sh.ended).toBe(true);
  });

  it("ends itself after its idle time without a command, not while one runs", async () => {
    shell = new RemoteShell("/bin/sh", [], { PATH: process.env.PATH ?? "/usr/bin:/bin" }, 100);
    expect((await shell.run("sleep 0.2; echo slow", undefined, {})).stdout).toBe("slow\n");
    expect(shell.idle).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(shell.ended).toBe(true);
  });

  it("reports the process's own exit when it dies mid-command, with what was written", async () => {
    const sh = localShell();
    const result = await sh.run("echo partial; kill -9 $$", undefined, {});
    expect(result.stdout).toContain("partial");
    expect(result.statusFromCommand).toBeUndefined();
    expect(sh.ended).toBe(true);
  });
});

describe("MarkedStream", () => {
  const marker = "__berth_shell_0123456789abcdef__";
  it("finds the marker across chunk boundaries and holds back only what could start it", () => {
    const stream = new MarkedStream(marker);
    const whole = Buffer.from(`out\nmore\n${marker} 7\n`);
    const passed: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 3) passed.push(...stream.push(whole.subarray(i, i + 3)));
    expect(Buffer.concat(passed).toString()).toBe("out\nmore");
    expect(stream.status).toBe("7");
  });

  it("shapes one command for the shell: subshell, its input, the marker on both streams", () => {
    expect(shellJob("echo 'hi'", marker, undefined)).toBe(
      `( eval 'echo '\\''hi'\\''' ) </dev/null; berth_shell_rc=$?; printf '\\n%s %s\\n' '${marker}' "$berth_shell_rc"; printf '\\n%s %s\\n' '${marker}' "$berth_shell_rc" >&2\n`,
    );
    expect(shellJob("cat", marker, Buffer.from("x"))).toMatch(/^printf '%s' 'eA==' \| base64 -d \| \( eval cat \); /);
  });
});
