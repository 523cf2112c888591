// Booting one accessory on its hosts. Per host, independent steps travel in one round trip: the
// registry login, the `kamal` network, the "is there a container already" check and the
// directories; then the audit line, env file (0600, on stdin) and `docker run`.
import { accessory as accessoryCommands } from "../commands/index.js";
import type { BatchStep } from "../commands/batch.js";
import { upload as uploadFile } from "../commands/upload.js";
import { envFile } from "../commands/index.js";
import type { Accessory } from "../config/index.js";
import { BerthError } from "../util/errors.js";
import { directorySteps, prepareFiles, uploadFiles } from "./accessory-files.js";
import { audit, checkNetwork, narrowed, prepareSteps, serveAccessoryImage } from "./accessory-steps.js";
import type { Run } from "./run.js";
import { accessoryHosts } from "./scope.js";

/** Boots `accessory` on its hosts (those in `within` when given); hosts that already have a container are skipped. */
export async function bootAccessory(run: Run, accessory: Accessory, { prepare, within }: { prepare: boolean; within?: readonly string[] }): Promise<void> {
  const hosts = narrowed(accessoryHosts(run, accessory), within);
  if (hosts.length === 0) return;
  await serveAccessoryImage(run, accessory, hosts);
  const files = await prepareFiles(run, accessory);

  // One round trip per host: login, network, existing container, directories.
  const existing = new Set<string>();
  await run.on(hosts, async (host) => {
    const steps: BatchStep[] = [
      ...(prepare ? prepareSteps(run, accessory) : []),
      { command: accessoryCommands.info(accessory, { all: true, quiet: true }), label: "existing container" },
      ...directorySteps(accessory),
    ];
    const results = await run.batch(host, steps);
    checkNetwork(host, steps, results);
    const check = results[steps.findIndex((step) => step.label === "existing container")];
    if (check !== undefined && check.stdout.trim() !== "") existing.add(host);
  });
  if (existing.size > 0) {
    run.say(`Skipping booting \`${accessory.name}\` on ${[...existing].sort().join(", ")}, a container already exists`, "yellow");
  }

  // Kamal uploads the files to every host, including the skipped ones.
  await run.on(hosts, (host) => uploadFiles(run, host, files));
  const bootHosts = hosts.filter((host) => !existing.has(host));
  const auditLine = await audit(run, `Booted ${accessory.name} accessory`);
  await run.on(bootHosts, async (host) => {
    await uploadCertificates(run, host, accessory);
    const envUpload = uploadFile(accessory.envFilePath, envFile.accessoryEnvFile(run.config, accessory));
    const results = await run.batch(host, [
      { command: auditLine, label: "audit" },
      { command: accessoryCommands.ensureEnvDirectory(accessory), label: "env directory" },
      { command: envUpload, label: "env file" },
      { command: accessoryCommands.run(run.config, accessory, { host }), label: "docker run" },
    ]);
    if (accessory.runningProxy) await deployToProxy(run, host, accessory, results.at(-1)?.stdout.trim() ?? "");
  });
}

async function uploadCertificates(run: Run, host: string, accessory: Accessory): Promise<void> {
  const certificate = accessory.proxy?.customCertificate;
  if (!accessory.proxy || !certificate) return;
  await run.exec(host, accessoryCommands.createSslDirectory(accessory));
  await run.upload(host, accessory.proxy.certificatePem(), certificate.hostCertificatePath, { mode: 0o644 });
  await run.upload(host, accessory.proxy.privateKeyPem(), certificate.hostPrivateKeyPath, { mode: 0o644 });
}

/** `kamal-proxy deploy <svc> --target=<id>:<port>`; the id is `docker run`'s output, or looked up. */
export async function deployToProxy(run: Run, host: string, accessory: Accessory, containerId: string): Promise<void> {
  const target = containerId !== "" ? containerId : await run.capture(host, accessoryCommands.containerId(accessory));
  if (target === "") throw new BerthError(`Failed to get the container of ${accessory.name} on ${host}, did it boot?`);
  await run.exec(host, accessoryCommands.deploy(accessory, target.slice(0, 12)));
}
