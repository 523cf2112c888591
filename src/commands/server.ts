// Host housekeeping: the `.kamal` run directory and the per-app directories under it.
import type { Configuration } from "../config/index.js";
import { cmd, pipe } from "../core/cmd.js";
import type { Cmd } from "../core/cmd.js";
import { makeDirectory, removeDirectory } from "./shared.js";

/** `mkdir -p .kamal` */
export function ensureRunDirectory(config: Configuration): Cmd {
  return makeDirectory(config.runDirectory);
}

/** `rm -r .kamal/apps/<svc>[-dest]` */
export function removeAppDirectory(config: Configuration): Cmd {
  return removeDirectory(config.appDirectory);
}

/** `ls .kamal/apps | wc -l`: other apps on the host keep `proxy remove` from removing the proxy. */
export function appDirectoryCount(config: Configuration): Cmd {
  return pipe(cmd("ls", config.appsDirectory), cmd("wc", "-l"));
}

/** `ls -A .kamal/apps 2>/dev/null | wc -l`: the apps left on the host after a removal (0 without the directory). */
export function remainingAppCount(config: Configuration): Cmd {
  return cmd("ls", "-A", config.appsDirectory, "2>/dev/null", "|", "wc", "-l");
}

/** `ls .kamal/apps`: the apps (`<svc>[-dest]`) deployed on the host. */
export function listApps(config: Configuration): Cmd {
  return cmd("ls", config.appsDirectory);
}
