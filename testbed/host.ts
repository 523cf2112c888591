// One test host: its state directory (root's home, /run, /var/lib/docker, sshd config, host key)
// and its daemons, started inside the host's namespaces by scripts/host-boot.sh.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { packageRoot } from "../src/util/package-root.js";
import { mustRun, runProcess, waitFor, type ProcessResult } from "./process.js";
import { REGISTRY, hostBridgeGateway, hostCgroupParent, hostIp, hostName } from "./constants.js";

// From the package root, not this module: `berth demo` runs this code from the CLI's bundle.
const BOOT_SCRIPT = join(packageRoot(), "testbed/scripts/host-boot.sh");
const CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const READY_TIMEOUT_MS = 60_000;

export interface BootedHost {
  index: number;
  name: string;
  ip: string;
  stateDir: string;
  /** "ssh-ed25519 AAAA…" as it appears in known_hosts. */
  hostPublicKey: string;
  /** PID (in the machine's namespace) of the host's PID-namespace init; killing it ends the host. */
  initPid: number;
  child: ChildProcess;
  exited: Promise<void>;
}

export async function prepareHostState(workDir: string, index: number, clientPublicKey: string): Promise<string> {
  const stateDir = join(workDir, hostName(index));
  for (const sub of ["root/.ssh", "run", "docker"]) mkdirSync(join(stateDir, sub), { recursive: true });
  chmodSync(join(stateDir, "root"), 0o700);
  chmodSync(join(stateDir, "root/.ssh"), 0o700);
  writeFileSync(join(stateDir, "root/.ssh/authorized_keys"), clientPublicKey, { mode: 0o600 });
  const hostKey = join(stateDir, "ssh_host_ed25519_key");
  await mustRun("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", hostName(index), "-f", hostKey]);
  writeFileSync(join(stateDir, "sshd_config"), sshdConfig(hostIp(index), hostKey));
  return stateDir;
}

function sshdConfig(ip: string, hostKey: string): string {
  return [
    `ListenAddress ${ip}`,
    `HostKey ${hostKey}`,
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "PidFile /run/sshd.pid",
    "MaxSessions 100",
    "MaxStartups 100",
    "PrintMotd no",
    "Subsystem sftp /usr/lib/openssh/sftp-server",
    "",
  ].join("\n");
}

/** `detached`: the host runs in a session of its own and outlives this process (a kept bed). */
export async function bootHost(index: number, stateDir: string, { detached = false } = {}): Promise<BootedHost> {
  const name = hostName(index);
  const log = openSync(join(stateDir, "boot.log"), "a");
  const child = spawn(
    "nsenter",
    [
      `--net=/var/run/netns/${name}`,
      "unshare", "--mount", "--uts", "--pid", "--fork", "--mount-proc", "--propagation", "private", "--kill-child",
      "tini", "--",
      "bash", BOOT_SCRIPT, name, stateDir, REGISTRY, hostBridgeGateway(index), hostCgroupParent(index),
    ],
    { cwd: "/", env: { PATH: CLEAN_PATH, HOME: "/root", LANG: "C.UTF-8" }, stdio: ["ignore", log, log], detached },
  );
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.unref(); // the bed's stop() ends it; an unfinished test must not hang on it
  writeFileSync(join(stateDir, "unshare.pid"), `${child.pid}\n`);
  const failIfExited = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`test bed: ${name} stopped while booting; ${join(stateDir, "boot.log")}:\n${tail(join(stateDir, "boot.log"))}`);
    }
  };
  const initPid = await waitFor(`${name}'s PID namespace`, 10_000, async () => {
    failIfExited();
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim();
    return children ? Number(children.split(" ")[0]) : undefined;
  });
  writeFileSync(join(stateDir, "init.pid"), `${initPid}\n`);
  const ready = async (what: string, probe: () => Promise<boolean>): Promise<void> => {
    await waitFor(`${name}'s ${what}`, READY_TIMEOUT_MS, async () => {
      failIfExited();
      return (await probe()) ? true : undefined;
    });
  };
  await Promise.all([
    ready("dockerd", () => dockerPing(join(stateDir, "run/docker.sock"))),
    ready("sshd", () => sshBanner(hostIp(index))),
  ]);
  const hostPublicKey = readFileSync(join(stateDir, "ssh_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  return { index, name, ip: hostIp(index), stateDir, hostPublicKey, initPid, child, exited };
}

/** Runs a shell command as root inside every namespace of the host (not over SSH). */
export function execInHost(initPid: number, command: string, input?: string | Buffer): Promise<ProcessResult> {
  return runProcess(
    "nsenter",
    ["-t", String(initPid), "-m", "-u", "-n", "-p", "--wd=/root", "--", "/bin/sh", "-c", command],
    { env: { PATH: CLEAN_PATH, HOME: "/root", LANG: "C.UTF-8" }, ...(input === undefined ? {} : { input }) },
  );
}

export function dockerPing(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export function sshBanner(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port: 22, timeout: 1000 });
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString("latin1").startsWith("SSH-2.0"));
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "(no log)";
  }
}
