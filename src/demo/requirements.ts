// What `berth demo` needs from the machine before it starts anything: root (network namespaces,
// daemons) and the Debian packages its test servers are made of. Checked first, so a missing piece
// is one clear message naming the packages to install rather than a failure halfway through.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { BerthError } from "../util/errors.js";

/** A command the demo runs, and the Debian package it comes from. */
interface Requirement {
  readonly command: string;
  readonly debianPackage: string;
}

const REQUIREMENTS: readonly Requirement[] = [
  { command: "dockerd", debianPackage: "docker.io" },
  { command: "docker", debianPackage: "docker.io" },
  { command: "docker-registry", debianPackage: "docker-registry" },
  { command: "sshd", debianPackage: "openssh-server" },
  { command: "ssh", debianPackage: "openssh-client" },
  { command: "busybox", debianPackage: "busybox-static" },
  { command: "ip", debianPackage: "iproute2" },
  { command: "iptables", debianPackage: "iptables" },
  { command: "tini", debianPackage: "tini" },
  { command: "git", debianPackage: "git" },
  { command: "nsenter", debianPackage: "util-linux" },
  { command: "flock", debianPackage: "util-linux" },
  { command: "redis-check-rdb", debianPackage: "redis-tools" },
];

/** sbin directories hold sshd and dockerd; a sudo or cron PATH may not list them. */
const EXTRA_DIRECTORIES = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** Throws a BerthError naming what is missing: root, and (with `packages`) the commands. */
export function checkDemoRequirements(
  env: Readonly<Record<string, string | undefined>>,
  uid: number | undefined,
  { checkPackages = true }: { checkPackages?: boolean } = {},
): void {
  if (uid !== 0) {
    throw new BerthError(
      "berth demo needs root: its test servers are network namespaces with their own sshd and dockerd (run it as root, e.g. with sudo)",
    );
  }
  if (!checkPackages) return;
  const path = [...(env.PATH ?? "").split(delimiter), ...EXTRA_DIRECTORIES].filter((dir) => dir !== "");
  const missing = REQUIREMENTS.filter((requirement) => !path.some((dir) => isExecutable(join(dir, requirement.command))));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((requirement) => requirement.debianPackage))];
  throw new BerthError(
    `berth demo needs ${missing.map((requirement) => requirement.command).join(", ")}, which this machine lacks; ` +
      `on Debian 12: apt-get install ${packages.join(" ")} (or run .ci/run --setup-only in Berth's repository)`,
  );
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
