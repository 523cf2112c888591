// `accessory boot|reboot|start|stop|restart|details|remove|upgrade|upload|directories|…` (Kamal's
// cli/accessory.rb), for one accessory or `all`. Everything that changes a host runs under the
// deploy lock. Per host, independent steps travel in one round trip: the registry login, the
// `kamal` network, the "is there a container already" check and the directories; then the audit
// line, env file (0600, on stdin) and `docker run`.
import { accessory as accessoryCommands, auditor, docker as dockerCommands, type Cmd } from "../commands/index.js";
import type { BatchStep, BatchStepResult } from "../commands/batch.js";
import { upload as uploadFile } from "../commands/upload.js";
import { envFile } from "../commands/index.js";
import type { Accessory } from "../config/index.js";
import { BerthError } from "../util/errors.js";
import { directorySteps, prepareFiles, uploadFiles } from "./accessory-files.js";
import { confirm } from "./confirm.js";
import { localRegistryImage, prepareImage, serveImagesTo } from "./image-delivery.js";
import { withLock } from "./lock.js";
import type { Run } from "./run.js";
import { accessoriesNamed, accessoryHosts, allAccessoryHosts, loginCommand } from "./scope.js";

// Steps ------------------------------------------------------------------------------------

/** Registry login (the accessory's registry, else the app's) and the `kamal` network. */
function prepareSteps(run: Run, accessory: Accessory): BatchStep[] {
  const login = loginCommand(accessory.registry ?? run.config.registry);
  return [
    ...(login === null ? [] : [{ command: login, label: "registry login" }]),
    { command: dockerCommands.createNetwork(), allowFailure: true, label: "network create" },
  ];
}

/** Kamal ignores only "already exists" when creating the network. */
function checkNetwork(host: string, steps: readonly BatchStep[], results: readonly BatchStepResult[]): void {
  const index = steps.findIndex((step) => step.label === "network create");
  const result = results.find((item) => item.index === index);
  if (result === undefined || !result.ran || result.code === 0) return;
  const output = `${result.stderr}\n${result.stdout}`;
  if (!dockerCommands.isNetworkExistsError(output)) {
    throw new BerthError(`Could not create the kamal network on ${host}: ${output.trim()}`);
  }
}

/** An accessory image under a `localhost:PORT/` registry is served from this machine: the hosts' forwards opened, the image checked here. */
async function serveAccessoryImage(run: Run, accessory: Accessory, hosts: readonly string[]): Promise<void> {
  if (localRegistryImage(accessory.image) === undefined) return;
  await serveImagesTo(run, hosts);
  await prepareImage(run, accessory.image);
}

async function audit(run: Run, line: string): Promise<Cmd> {
  return auditor.record(run.config, await run.tags(), line);
}

// boot ------------------------------------------------------------------------------------

/** `accessory boot NAME|all`; `setup` boots `all`. Hosts that already have a container are skipped. */
export async function bootAccessories(run: Run, name: string): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) await bootAccessory(run, accessory, { prepare: true });
  });
}

async function bootAccessory(run: Run, accessory: Accessory, { prepare, within }: { prepare: boolean; within?: readonly string[] }): Promise<void> {
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
async function deployToProxy(run: Run, host: string, accessory: Accessory, containerId: string): Promise<void> {
  const target = containerId !== "" ? containerId : await run.capture(host, accessoryCommands.containerId(accessory));
  if (target === "") throw new BerthError(`Failed to get the container of ${accessory.name} on ${host}, did it boot?`);
  await run.exec(host, accessoryCommands.deploy(accessory, target.slice(0, 12)));
}

// upload, directories ------------------------------------------------------------------------

export async function uploadAccessoryFiles(run: Run, name: string): Promise<void> {
  await withLock(run, async () => {
    for (const accessory of accessoriesNamed(run, name)) {
      const files = await prepareFiles(run, accessory);
      await run.on(accessoryHosts(run, accessory), (host) => uploadFiles(run, host, files));
    }
  });
}

export async function createAccessoryDirectories(run: Run, name: string): Promise<void> {
  await withLock(run, async () => {
    for (const accessory of accessoriesNamed(run, name)) {
      const steps = directorySteps(accessory);
      if (steps.length > 0) await run.on(accessoryHosts(run, accessory), (host) => run.batch(host, steps));
    }
  });
}

// reboot, start, stop, restart ----------------------------------------------------------------

/** Steps that stop the container and take it out of the proxy. */
async function stopSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Stopped ${accessory.name} accessory`), label: "audit" },
    { command: accessoryCommands.stop(accessory), allowFailure: true, label: "stop" },
    // Kamal removes the proxy route after every stop (its guard on the target is always true).
    ...(accessory.runningProxy ? [{ command: accessoryCommands.remove(accessory), allowFailure: true, label: "proxy remove" }] : []),
  ];
}

async function removeContainerSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Remove ${accessory.name} accessory container`), label: "audit" },
    { command: accessoryCommands.removeContainer(accessory), label: "remove container" },
  ];
}

async function pullSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Pull ${accessory.name} accessory image`), label: "audit" },
    { command: accessoryCommands.pullImage(accessory), label: "pull image" },
  ];
}

/** `accessory reboot`: pull, stop, remove the container, boot again; one round trip before the boot. */
export async function rebootAccessories(run: Run, name: string, within?: readonly string[]): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const steps = [...prepareSteps(run, accessory), ...(await pullSteps(run, accessory)), ...(await stopSteps(run, accessory)), ...(await removeContainerSteps(run, accessory))];
      await serveAccessoryImage(run, accessory, narrowed(accessoryHosts(run, accessory), within));
      await run.on(narrowed(accessoryHosts(run, accessory), within), async (host) => checkNetwork(host, steps, await run.batch(host, steps)));
      await bootAccessory(run, accessory, { prepare: false, ...(within === undefined ? {} : { within }) });
    }
  });
}

/** Hosts limited to `within` when given (Kamal's `with_specific_hosts`, for rolling upgrades). */
function narrowed(hosts: readonly string[], within: readonly string[] | undefined): string[] {
  return within === undefined ? [...hosts] : hosts.filter((host) => within.includes(host));
}

export async function startAccessories(run: Run, name: string): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const line = await audit(run, `Started ${accessory.name} accessory`);
      await run.on(accessoryHosts(run, accessory), async (host) => {
        const steps: BatchStep[] = [
          { command: line, label: "audit" },
          { command: accessoryCommands.start(accessory), label: "start" },
          ...(accessory.runningProxy ? [{ command: accessoryCommands.containerId(accessory), label: "container id" }] : []),
        ];
        const results = await run.batch(host, steps);
        if (accessory.runningProxy) await deployToProxy(run, host, accessory, results.at(-1)?.stdout.trim() ?? "");
      });
    }
  });
}

export async function stopAccessories(run: Run, name: string): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const steps = await stopSteps(run, accessory);
      await run.on(accessoryHosts(run, accessory), (host) => run.batch(host, steps));
    }
  });
}

export async function restartAccessories(run: Run, name: string): Promise<void> {
  await withLock(run, async () => {
    await stopAccessories(run, name);
    await startAccessories(run, name);
  });
}

// details ------------------------------------------------------------------------------------

/** `docker ps` of each accessory per host, under `Accessory <name> Host: <host>`. */
export async function showAccessoryDetails(run: Run, name: string): Promise<void> {
  for (const accessory of accessoriesNamed(run, name)) {
    const outputs = await run.on(accessoryHosts(run, accessory), async (host) => ({
      host,
      text: await run.capture(host, accessoryCommands.info(accessory)),
    }));
    for (const { host, text } of outputs) run.output.putsByHost(host, text, { type: `Accessory ${accessory.name}` });
  }
}

// pull_image, remove ----------------------------------------------------------------------------

export async function pullAccessoryImages(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, async (accessory) => {
    await serveAccessoryImage(run, accessory, accessoryHosts(run, accessory));
    return pullSteps(run, accessory);
  });
}

export async function removeAccessoryContainers(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, (accessory) => removeContainerSteps(run, accessory));
}

export async function removeAccessoryImages(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, (accessory) => removeImageSteps(run, accessory));
}

export async function removeAccessoryServiceDirectories(run: Run, name: string): Promise<void> {
  await accessoryStepsUnderLock(run, name, async (accessory) => [
    { command: accessoryCommands.removeServiceDirectory(accessory), label: "remove service directory" },
  ]);
}

async function removeImageSteps(run: Run, accessory: Accessory): Promise<BatchStep[]> {
  return [
    { command: await audit(run, `Removed ${accessory.name} accessory image`), label: "audit" },
    { command: accessoryCommands.removeImage(accessory), label: "remove image" },
  ];
}

async function accessoryStepsUnderLock(run: Run, name: string, steps: (accessory: Accessory) => Promise<BatchStep[]>): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const batch = await steps(accessory);
      await run.on(accessoryHosts(run, accessory), (host) => run.batch(host, batch));
    }
  });
}

/**
 * `accessory remove NAME|all [-y]`: stop, remove the container, the image and the service
 * directory (uploaded files and data directories), in one round trip per host. Callers that
 * already asked (`berth remove`) leave out `confirmed`.
 */
export async function removeAccessories(run: Run, name: string, { confirmed = true }: { confirmed?: boolean } = {}): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  const question = `This will remove all containers, images and data directories for ${name}. Are you sure?`;
  if (!(await confirm(run, question, confirmed))) return;
  await withLock(run, async () => {
    for (const accessory of accessories) await removeAccessory(run, accessory);
  });
}

/**
 * Everything of one accessory on its hosts (also used by `berth remove`). Beyond Kamal, the env
 * file (it holds secrets) and the named volumes of `volumes` go too, so nothing is left behind;
 * a volume another container still uses stays (its removal fails harmlessly).
 */
export async function removeAccessory(run: Run, accessory: Accessory): Promise<void> {
  const steps: BatchStep[] = [
    ...(await stopSteps(run, accessory)),
    ...(await removeContainerSteps(run, accessory)),
    ...(await removeImageSteps(run, accessory)),
    { command: accessoryCommands.removeServiceDirectory(accessory), label: "remove service directory" },
    { command: accessoryCommands.removeEnvFile(accessory), label: "remove env file" },
    ...namedVolumes(accessory).map((volume) => ({ command: accessoryCommands.removeVolume(volume), allowFailure: true, label: "remove volume" })),
  ];
  await withLock(run, () => run.on(accessoryHosts(run, accessory), (host) => run.batch(host, steps)));
}

/** Docker volumes by name in `volumes` (`name:/path`), not host paths. */
export function namedVolumes(accessory: Accessory): string[] {
  const declared = Array.isArray(accessory.raw.volumes) ? accessory.raw.volumes.map(String) : [];
  return declared.map((volume) => volume.split(":")[0] ?? "").filter((name) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name));
}

// upgrade ------------------------------------------------------------------------------------

/** `accessory upgrade NAME|all [--rolling] [-y]`: reboots them so they join the `kamal` network (Kamal 1 → 2). */
export async function upgradeAccessories(run: Run, name: string, { rolling, confirmed }: { rolling: boolean; confirmed: boolean }): Promise<void> {
  accessoriesNamed(run, name);
  if (!(await confirm(run, "This will restart all accessories", confirmed))) return;
  await withLock(run, async () => {
    const hosts = allAccessoryHosts(run);
    const groups = rolling ? hosts.map((host) => [host]) : [hosts];
    for (const group of groups) {
      const list = group.join(",");
      run.say(`Upgrading ${name} accessories on ${list}...`);
      await rebootAccessories(run, name, group);
      run.say(`Upgraded ${name} accessories on ${list}...`);
    }
  });
}

