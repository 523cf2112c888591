// Custom error pages: uploaded per version under the proxy's apps-config directory.
import type { Configuration } from "../../config/index.js";
import { cmd, combine, withStdin } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { makeDirectory } from "../shared.js";

/** Where this version's pages go: `.kamal/proxy/apps-config/<svc>/error_pages/<version>`. */
export function errorPagesVersionDirectory(config: Configuration, version: string = config.version): string {
  return `${config.proxyBoot.errorPagesDirectory}/${version}`;
}

/** `mkdir -p .kamal/proxy/apps-config/<svc>/error_pages` */
export function createErrorPagesDirectory(config: Configuration): Cmd {
  return makeDirectory(config.proxyBoot.errorPagesDirectory);
}

/** `mkdir -p <version dir> && tar -x -C <version dir>`, the pages' tar archive on standard input. */
export function extractErrorPages(config: Configuration, archive: Buffer, version: string = config.version): Cmd {
  const directory = errorPagesVersionDirectory(config, version);
  return withStdin(combine(makeDirectory(directory), cmd("tar", "-x", "-C", directory)), archive);
}

/** Removes the pages of every other version. */
export function cleanUpErrorPages(config: Configuration, version: string = config.version): Cmd {
  return cmd("find", config.proxyBoot.errorPagesDirectory, "-mindepth", "1", "-maxdepth", "1", "!", "-name", version, "-exec", "rm", "-rf", "{} +");
}
