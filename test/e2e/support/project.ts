// End-to-end helpers: a tiny app in a temporary git repository (busybox httpd serving /up,
// /version = $KAMAL_VERSION and /release = a file committed in the repo), its deploy.yml for the
// test bed, and `berth` run in-process with captured output.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../src/cli/main.js";
import type { Testbed, TestHost } from "../../../testbed/index.js";
import { MemoryStream } from "../../unit/output/streams.js";

export const SECRET = "s3cr3t-token-4f9a1c";
export const REGISTRY_PASSWORD = "registry-password-77";

// The container's init: writes the pages, serves them with httpd, and exits at once on SIGTERM
// (as PID 1 a shell ignores TERM without a trap, and docker stop would wait 10 s).
const START = `#!/bin/sh
mkdir -p /www
echo "$KAMAL_VERSION" > /www/version
cp /app/release.txt /www/release
[ -f /app/broken ] || echo ok > /www/up
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
`;

const WORKER = `#!/bin/sh
trap 'exit 0' TERM INT
while true; do sleep 1; done &
wait
`;

const DOCKERFILE = `FROM berth-test/busybox:1
COPY . /app/
CMD ["sh", "/app/start.sh"]
`;

export interface ProjectSettings {
  readonly bed: Testbed;
  /** Roles → hosts; `web` is proxied, others are not. */
  readonly roles: Readonly<Record<string, readonly TestHost[]>>;
  /** Extra top-level YAML. */
  readonly extra?: string;
  /** The image and registry lines (default: berth-test/app in the bed's registry, with credentials). */
  readonly imageAndRegistry?: string;
}

export interface Project {
  readonly dir: string;
  readonly dockerConfig: string;
  /** Commits a new release text (and other files); returns the new HEAD (the version). */
  release(text: string, files?: Readonly<Record<string, string | null>>): string;
  head(): string;
  writeHook(name: string, body: string): void;
  removeHook(name: string): void;
}

export function createProject(settings: ProjectSettings): Project {
  const dir = mkdtempSync(join(tmpdir(), "berth-e2e-app-"));
  const dockerConfig = mkdtempSync(join(tmpdir(), "berth-e2e-docker-"));
  mkdirSync(join(dir, "config"));
  mkdirSync(join(dir, ".kamal/hooks"), { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  writeFileSync(join(dir, "start.sh"), START);
  writeFileSync(join(dir, "worker.sh"), WORKER);
  writeFileSync(join(dir, "release.txt"), "v1\n");
  writeFileSync(join(dir, ".kamal/secrets"), `REGISTRY_PASSWORD=${REGISTRY_PASSWORD}\nSECRET_TOKEN=${SECRET}\n`);
  writeFileSync(join(dir, "config/deploy.yml"), deployYml(settings));
  writeFileSync(join(dir, ".gitignore"), ".kamal/secrets\n");
  writeFileSync(join(dir, ".dockerignore"), ".git\n.kamal\n");
  const git = (...args: string[]): string =>
    execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "E2E", GIT_AUTHOR_EMAIL: "e2e@example.com", GIT_COMMITTER_NAME: "E2E", GIT_COMMITTER_EMAIL: "e2e@example.com" } }).trim();
  git("init", "-q", "-b", "main");
  git("config", "user.name", "E2E Deployer");
  git("config", "user.email", "e2e@example.com");
  git("add", "-A");
  git("commit", "-q", "-m", "v1");
  return {
    dir,
    dockerConfig,
    head: () => git("rev-parse", "HEAD"),
    release(text, files = {}) {
      writeFileSync(join(dir, "release.txt"), `${text}\n`);
      for (const [file, content] of Object.entries(files)) {
        if (content === null) git("rm", "-q", file);
        else writeFileSync(join(dir, file), content);
      }
      git("add", "-A");
      git("commit", "-q", "-m", text);
      return git("rev-parse", "HEAD");
    },
    writeHook(name, body) {
      writeFileSync(join(dir, ".kamal/hooks", name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, ".kamal/hooks", name), 0o755);
    },
    removeHook(name) {
      execFileSync("rm", ["-f", join(dir, ".kamal/hooks", name)]);
    },
  };
}

function deployYml({ bed, roles, extra = "", imageAndRegistry }: ProjectSettings): string {
  const servers = Object.entries(roles)
    .map(([role, hosts]) => {
      const list = hosts.map((host) => `      - ${host.ip}`).join("\n");
      return role === "web" ? `  web:\n    hosts:\n${list}` : `  ${role}:\n    hosts:\n${list}\n    cmd: sh /app/worker.sh\n    env:\n      clear:\n        ROLE_NAME: ${role}`;
    })
    .join("\n");
  const registry = imageAndRegistry ?? `image: berth-test/app
registry:
  server: ${bed.registry}
  username: e2e
  password:
    - REGISTRY_PASSWORD`;
  return `service: app
${registry}
servers:
${servers}
env:
  clear:
    APP_MODE: e2e
  secret:
    - SECRET_TOKEN
proxy:
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
    timeout: 2
builder:
  arch: amd64
ssh:
  config: ${bed.sshConfigPath}
deploy_timeout: 10
drain_timeout: 2
readiness_delay: 0
${extra}`;
}

export interface BerthResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly output: string;
}

/** `berth <args>` in the project, in this process, with captured output. */
export async function berth(project: Project, args: readonly string[], env: Record<string, string> = {}): Promise<BerthResult> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await runCli(args, {
    stdout: stdout as never,
    stderr,
    cwd: project.dir,
    env: {
      ...process.env,
      BERTH_PROXY_BASE_IMAGE: "berth-test/node:20",
      DOCKER_CONFIG: project.dockerConfig,
      CI: "true",
      VERSION: "",
      ...env,
    },
  });
  return { code, stdout: stdout.text, stderr: stderr.text, output: stdout.text + stderr.text };
}

/** GET http://<host>/<path> through the host's proxy on port 80; the body, trimmed. */
export async function httpGet(host: TestHost, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${host.ip}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.text()).trim() };
}

export async function sh(host: TestHost, command: string): Promise<string> {
  const result = await host.exec(command);
  if (result.code !== 0) throw new Error(`${command} on ${host.name} failed (${result.code}): ${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}
