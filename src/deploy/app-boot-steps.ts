// The pieces of `app boot` (app-boot.ts) that build or run steps on one host: the host's
// preparation before any container of the version starts (error pages, TLS files, assets), and
// per role the start steps, the container's start and the stops of old containers.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { app as appCommands, auditor, envFile } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import { upload } from "../commands/upload.js";
import type { Role } from "../config/index.js";
import { BerthError } from "../util/errors.js";
import { besideCarried } from "./beside.js";
import type { RoleState } from "./host-state.js";
import type { Run } from "./run.js";

// Preparation ------------------------------------------------------------------------------

/** The error pages (`<error_pages_path>/*.html`) as a tar archive, or undefined when none are configured. */
export function errorPagesArchive(run: Run): Buffer | undefined {
  const path = run.config.errorPagesPath;
  if (path === undefined) return undefined;
  const directory = isAbsolute(path) ? path : join(run.cwd, path);
  if (!existsSync(directory)) throw new BerthError(`error_pages_path: ${path} does not exist`);
  const pages = readdirSync(directory).filter((file) => file.endsWith(".html"));
  if (pages.length === 0) return undefined;
  return execFileSync("tar", ["-c", "-C", directory, ...pages], { maxBuffer: 64 * 1024 * 1024 });
}

export async function prepareHost(run: Run, host: string, version: string, archive: Buffer | undefined, states: Map<string, RoleState> | undefined): Promise<void> {
  const config = run.config;
  if (archive !== undefined) {
    await run.exec(host, appCommands.extractErrorPages(config, archive, version));
  }
  for (const role of run.selection.rolesOn(host)) {
    const certificate = role.proxy?.customCertificate;
    if (certificate) {
      run.output.info(`Writing SSL certificates for ${role.name} on ${host}`);
      await run.exec(host, appCommands.proxy.createSslDirectory(config, role));
      await run.upload(host, role.proxy!.certificatePem(), certificate.hostCertificatePath, { mode: 0o644 });
      await run.upload(host, role.proxy!.privateKeyPem(), certificate.hostPrivateKeyPath, { mode: 0o600 });
      await run.exec(host, appCommands.proxy.setCertificatePermissions(config));
    }
    if (role.assets) {
      const old = states?.get(role.name)?.current;
      await run.batch(host, [appCommands.extractAssets(config, role), appCommands.syncAssetVolumes(config, role, old === version ? undefined : old)]);
    }
  }
}

// One role's steps -------------------------------------------------------------------------

/**
 * Runs the renames, then the start steps (the last one `docker run`); returns the new container's
 * id. Where the run goes by the Docker API it doesn't read the env file (the create passes its
 * entries), so the audit and env file go beside it; a failure of either stops what started (the caller).
 */
export async function startContainer(run: Run, host: string, renames: readonly BatchStep[], steps: readonly BatchStep[]): Promise<string> {
  const dockerRun = steps.at(-1)!;
  // By the shell: one round trip for all of it.
  if ((await run.services.carrierFor(host, dockerRun.command)) === undefined) return (await run.batch(host, [...renames, ...steps])).at(-1)?.stdout.trim() ?? "";
  if (renames.length > 0) await run.batch(host, renames);
  return (await besideCarried(run, host, steps.slice(0, -1), [dockerRun])).at(-1)?.stdout.trim() ?? "";
}

/** Audit, env file (mode 0600, body on stdin) and `docker run` (its output is the container id). */
export function startSteps(run: Run, host: string, role: Role, version: string, tags: Awaited<ReturnType<Run["tags"]>>): BatchStep[] {
  const config = run.config;
  const env = envFile.roleEnvFile(config, role, host);
  // The env file's content goes to the run too: where the Docker API takes it, the create passes
  // the file's entries (the file is on the server all the same, as Kamal keeps it).
  const hostname = appCommands.hostname(host, randomBytes(6).toString("hex"));
  return [
    { command: auditor.record(config, tags, `Booted app version ${version}`, { role: role.name }), label: "audit" },
    { command: appCommands.ensureEnvDirectory(role), label: "env directory" },
    { command: upload(role.envFilePath, env), label: "env file" },
    { command: appCommands.run(config, role, { host, hostname, version, envFile: env }), label: "docker run" },
  ];
}

/** `docker stop` by name: the container is known (Kamal looks its id up first: one docker call more). */
export function stopStep(run: Run, role: Role, version: string, label: string): BatchStep {
  return { command: appCommands.stopByName(run.config, role, version), allowFailure: true, label };
}

export function stopOldSteps(run: Run, role: Role, oldVersion: string): BatchStep[] {
  const config = run.config;
  return [
    stopStep(run, role, oldVersion, "stop old version"),
    ...(role.assets ? [{ command: appCommands.cleanUpAssets(config, role), allowFailure: true, label: "clean up assets" }] : []),
    ...(config.errorPagesPath !== undefined ? [{ command: appCommands.cleanUpErrorPages(config), allowFailure: true, label: "clean up error pages" }] : []),
  ];
}
