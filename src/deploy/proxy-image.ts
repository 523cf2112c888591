// Which proxy image a host runs, and Berth's own proxy image: by default (no image named in
// `proxy.run`) it is `<registry>/<app image namespace>/berth-proxy:<tag>`, built here from the
// package's proxy/ directory and pushed to the app's registry the first time the hosts can't pull
// it (with a local registry, `localhost:PORT`, it is only built: Berth serves it from here).
// Naming an image in `proxy.run` (e.g. `repository: basecamp/kamal-proxy`) runs that instead.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { proxy as proxyCommands } from "../commands/index.js";
import {
  BERTH_PROXY_BASE_IMAGE,
  BERTH_PROXY_BASE_IMAGE_ENV,
  BERTH_PROXY_TAG,
  ProxyRun,
  berthProxyRepository,
  type Configuration,
} from "../config/index.js";
import { BerthError } from "../util/errors.js";
import { packageRoot } from "../util/package-root.js";
import { loginLocally } from "./login.js";
import type { Run } from "./run.js";

/** The package's proxy/ directory: two levels above src/deploy and dist/deploy. */
export const PROXY_PACKAGE_DIRECTORY = join(packageRoot(), "proxy");

/** `[registry/]namespace/berth-proxy` */
export function berthProxyRepositoryFor(config: Configuration): string {
  return [config.registry.server, berthProxyRepository(config.image)].filter((part) => part !== undefined && part !== "").join("/");
}

export function berthProxyImage(config: Configuration): string {
  return `${berthProxyRepositoryFor(config)}:${BERTH_PROXY_TAG}`;
}

/**
 * True when the host's proxy image is Berth's: `proxy.run` names no image (or there is no
 * `proxy.run`), or names exactly Berth's own (as a config shared with Kamal does, for Kamal to
 * boot Berth's proxy too): Berth then pushes it to the registry when the hosts can't pull it.
 */
export function runsBerthProxy(config: Configuration, host: string): boolean {
  const run = config.proxyRun(host);
  if (run === null) return true;
  if (run.raw.registry === undefined && run.raw.repository === undefined && run.raw.version === undefined) return true;
  return run.image === berthProxyImage(config);
}

/**
 * The configuration as the proxy commands should see it on a host: unchanged when `proxy.run`
 * names an image, else with Berth's image as the default (for `proxy.run` and for the legacy
 * `.kamal/proxy/image` files alike, which still win when `proxy boot_config set` wrote them).
 */
export function proxyConfigView(config: Configuration, host: string): Configuration {
  if (!runsBerthProxy(config, host)) return config;
  const configured = config.proxyRun(host);
  const berthRun =
    configured === null
      ? null
      : new ProxyRun({ ...configured.raw, ...registryAndRepository(config), version: BERTH_PROXY_TAG }, config.proxyBoot);
  const boot = Object.create(config.proxyBoot, {
    imageDefault: { value: berthProxyRepositoryFor(config) },
    minimumVersion: { value: BERTH_PROXY_TAG },
  }) as Configuration["proxyBoot"];
  return Object.create(config, {
    proxyRun: { value: () => berthRun },
    proxyBoot: { value: boot },
  }) as Configuration;
}

function registryAndRepository(config: Configuration): { registry?: string; repository: string } {
  const server = config.registry.server;
  return { ...(server === undefined ? {} : { registry: server }), repository: berthProxyRepository(config.image) };
}

/** Output of a failed `docker run` that means "the image isn't in the registry". */
export function isMissingImageError(text: string): boolean {
  return /manifest unknown|manifest for .* not found|not found: manifest|pull access denied|repository does not exist|No such image/i.test(text);
}

/**
 * Builds Berth's proxy image here and pushes it to the app's registry (unless that is served from
 * here), once per run (hosts that need it at the same time share it).
 */
export function buildAndPushProxyImage(run: Run): Promise<string> {
  run.services.once.proxyImage ??= buildAndPush(run);
  return run.services.once.proxyImage;
}

async function buildAndPush(run: Run): Promise<string> {
  const image = berthProxyImage(run.config);
  const distEntry = join(PROXY_PACKAGE_DIRECTORY, "dist/bin/kamal-proxy.js");
  if (!existsSync(distEntry)) {
    throw new BerthError(`Can't build Berth's proxy image: ${distEntry} is missing (run npm run build, or set proxy.run.repository to an image the hosts can pull)`);
  }
  const base = run.env[BERTH_PROXY_BASE_IMAGE_ENV] ?? BERTH_PROXY_BASE_IMAGE;
  const local = run.config.registry.local;
  run.say(`Building the Berth proxy image ${image} (from ${base})...`);
  if (!local) await loginLocally(run);
  const stage = stageProxyContext();
  try {
    await run.local(proxyCommands.buildImage({ image, base, dockerfile: join(stage, "Dockerfile"), context: stage }));
    // A local registry's images are served from this machine's Docker (image-delivery.ts): nothing to push.
    if (!local) await run.local(proxyCommands.pushImage(image));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return image;
}

/** A build context with the proxy's package.json, Dockerfile and compiled JavaScript (it has no dependencies). */
function stageProxyContext(): string {
  const stage = mkdtempSync(join(tmpdir(), "berth-proxy-image-"));
  copyFileSync(join(PROXY_PACKAGE_DIRECTORY, "package.json"), join(stage, "package.json"));
  copyFileSync(join(PROXY_PACKAGE_DIRECTORY, "Dockerfile"), join(stage, "Dockerfile"));
  const dist = join(PROXY_PACKAGE_DIRECTORY, "dist");
  for (const file of listFiles(dist)) {
    if (!file.endsWith(".js")) continue;
    const target = join(stage, "dist", relative(dist, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  return stage;
}

function listFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}
