// Asset bridging: the image's assets are copied out and merged with the previous version's, so
// requests for old fingerprinted files keep working while both versions serve traffic.
import type { Configuration, Role } from "../../config/index.js";
import { chain, cmd, combine } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { dirname, docker, makeDirectory } from "../shared.js";

function requireAssets(role: Role): string {
  const path = role.assetPath;
  if (path === undefined) throw new TypeError(`role ${role.name} has no asset_path`);
  return path;
}

/** Copies `<asset_path>/.` out of the image into `assets/extracted/<role>-<version>` through a throwaway container. */
export function extractAssets(config: Configuration, role: Role): Cmd {
  const assetPath = requireAssets(role);
  const container = `${role.containerPrefix}-assets`;
  const extracted = role.assetExtractedDirectory(config.version);
  return combine(
    makeDirectory(extracted),
    cmd("docker", "container", "rm", container, "2> /dev/null", "|| true"),
    docker("container", "create", "--name", container, config.absoluteImage),
    docker("container", "cp", "-L", `${container}:${assetPath}/.`, extracted),
    docker("container", "rm", container),
  );
}

function copyContents(source: string, destination: string, continueOnError = false): Cmd {
  return cmd("cp", "-rnT", source, destination, continueOnError ? "|| true" : null);
}

/** Fills the new version's asset volume, and cross-fills it with the old version's (`cp -rnT` never overwrites). */
export function syncAssetVolumes(config: Configuration, role: Role, oldVersion?: string): Cmd {
  requireAssets(role);
  const newExtracted = role.assetExtractedDirectory(config.version);
  const newVolume = role.assetVolumeDirectory(config.version);
  const commands = [makeDirectory(newVolume), copyContents(newExtracted, newVolume)];
  if (oldVersion !== undefined && oldVersion !== "") {
    commands.push(copyContents(newExtracted, role.assetVolumeDirectory(oldVersion), true));
    commands.push(copyContents(role.assetExtractedDirectory(oldVersion), newVolume, true));
  }
  return chain(...commands);
}

function removeOlderSiblings(role: Role, path: string): Cmd {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return cmd("find", dirname(path), "-maxdepth 1", "-name", `'${role.name}-*'`, "!", "-name", base, '-exec rm -rf "{}" +');
}

/** Removes every other version's extracted assets and asset volume of the role. */
export function cleanUpAssets(config: Configuration, role: Role): Cmd {
  return chain(
    removeOlderSiblings(role, role.assetExtractedDirectory(config.version)),
    removeOlderSiblings(role, role.assetVolumeDirectory(config.version)),
  );
}
