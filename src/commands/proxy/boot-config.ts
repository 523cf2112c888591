// `kamal proxy boot_config set|get|reset`: the legacy per-host proxy settings kept in files under
// `.kamal/proxy/` (superseded by `proxy.run`, still honoured when it is absent).
import { isIP } from "node:net";
import type { Configuration } from "../../config/index.js";
import { DEFAULT_PROXY_HTTPS_PORT, DEFAULT_PROXY_HTTP_PORT, DEFAULT_PROXY_LOG_MAX_SIZE } from "../../config/index.js";
import { optionize } from "../../core/cmd.js";
import type { Cmd } from "../../core/cmd.js";
import { BerthError } from "../../util/errors.js";
import { ensureProxyDirectory, resetBootOptions, resetImage, resetImageVersion, resetRunCommand } from "./container.js";

/** `boot_config set` options, with Kamal's defaults when left out. */
export interface BootConfigSettings {
  readonly publish?: boolean;
  readonly httpPort?: number;
  readonly httpsPort?: number;
  /** `--publish-host-ip`: bind the published ports to these addresses only. */
  readonly publishHostIps?: readonly string[];
  readonly logMaxSize?: string;
  readonly registry?: string;
  /** The image namespace (`basecamp` by default); the image name stays `kamal-proxy`. */
  readonly repository?: string;
  readonly imageVersion?: string;
  readonly metricsPort?: number;
  readonly debug?: boolean;
  /** `option=value` items, each passed as `--option=value`. */
  readonly dockerOptions?: readonly string[];
}

/** One step of `boot_config set` on a host: upload a file, or run a command (failures ignored). */
export type BootConfigStep =
  | { readonly kind: "upload"; readonly path: string; readonly content: string }
  | { readonly kind: "command"; readonly command: Cmd; readonly allowFailure: boolean };

function publishArgs(httpPort: number, httpsPort: number, bindIps: readonly string[] | undefined): string[] {
  return (bindIps ?? [undefined]).flatMap((ip) => {
    if (ip !== undefined && isIP(ip.replace(/^\[|\]$/g, "")) === 0) {
      throw new BerthError(`proxy boot_config: --publish-host-ip ${ip} is not an IP address`);
    }
    const bind = ip === undefined ? [] : [isIP(ip) === 6 ? `[${ip}]` : ip];
    return ["--publish", [...bind, httpPort, DEFAULT_PROXY_HTTP_PORT].join(":"), "--publish", [...bind, httpsPort, DEFAULT_PROXY_HTTPS_PORT].join(":")];
  });
}

/** The text of `.kamal/proxy/options`. */
export function bootOptions(settings: BootConfigSettings): string[] {
  const { publish = true, httpPort = DEFAULT_PROXY_HTTP_PORT, httpsPort = DEFAULT_PROXY_HTTPS_PORT, logMaxSize = DEFAULT_PROXY_LOG_MAX_SIZE } = settings;
  return [
    ...(publish ? publishArgs(httpPort, httpsPort, settings.publishHostIps) : []),
    ...(logMaxSize === "" ? [] : ["--log-opt", `max-size=${logMaxSize}`]),
    ...(settings.metricsPort === undefined ? [] : [`--expose=${settings.metricsPort}`]),
    ...(settings.dockerOptions ?? []).map((option) => `--${option}`),
  ];
}

/** Every step of `boot_config set` for one host, in Kamal's order; defaults remove their file instead. */
export function bootConfigSet(config: Configuration, settings: BootConfigSettings): BootConfigStep[] {
  const boot = config.proxyBoot;
  const options = bootOptions(settings).join(" ");
  const image = [settings.registry, settings.repository === undefined || settings.repository === "" ? "basecamp" : settings.repository, "kamal-proxy"]
    .filter((part) => part !== undefined && part !== "")
    .join("/");
  const runOptions = { ...(settings.debug ? { debug: true } : {}), ...(settings.metricsPort === undefined ? {} : { "metrics-port": settings.metricsPort }) };
  const runCommand = Object.keys(runOptions).length > 0 ? `kamal-proxy run ${optionize(runOptions).join(" ")}` : undefined;

  const fileOrReset = (path: string, content: string | undefined, reset: Cmd): BootConfigStep =>
    content === undefined ? { kind: "command", command: reset, allowFailure: true } : { kind: "upload", path, content };

  return [
    { kind: "command", command: ensureProxyDirectory(config), allowFailure: false },
    fileOrReset(boot.optionsFile, options === boot.defaultBootOptions.join(" ") ? undefined : options, resetBootOptions(config)),
    fileOrReset(boot.imageFile, image === boot.imageDefault ? undefined : image, resetImage(config)),
    fileOrReset(boot.imageVersionFile, settings.imageVersion === "" ? undefined : settings.imageVersion, resetImageVersion(config)),
    fileOrReset(boot.runCommandFile, runCommand, resetRunCommand(config)),
  ];
}

/** `boot_config reset`: remove all four files (missing ones are fine). */
export function bootConfigReset(config: Configuration): Cmd[] {
  return [resetBootOptions(config), resetImage(config), resetImageVersion(config), resetRunCommand(config)];
}
