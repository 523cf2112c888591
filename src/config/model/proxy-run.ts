// How the proxy container is started when `proxy.run` is set (Kamal's Configuration::Proxy::Run).
import { isIP } from "node:net";
import {
  DEFAULT_PROXY_HTTPS_PORT,
  DEFAULT_PROXY_HTTP_PORT,
  DEFAULT_PROXY_LOG_MAX_SIZE,
  DEFAULT_PROXY_REPOSITORY,
  DEFAULT_PROXY_VERSION,
  PROXY_APPS_CONTAINER_DIRECTORY,
  PROXY_CONTAINER_NAME,
} from "../proxy-defaults.js";
import type { ProxyBoot } from "./proxy-boot.js";
import { Volume } from "./volume.js";
import { booleanOrUndefined, dockerOptions, isHash, numberOrUndefined, optionalText, present, text, textList } from "./values.js";
import type { DockerOptions } from "./values.js";

/** Kamal's Configuration::Proxy::Run: how the proxy container is started when `proxy.run` is set. */
export class ProxyRun {
  constructor(
    readonly raw: Readonly<Record<string, unknown>>,
    private readonly boot: ProxyBoot,
  ) {}

  get publish(): boolean {
    return booleanOrUndefined(this.raw.publish) ?? true;
  }

  get httpPort(): number {
    return numberOrUndefined(this.raw.http_port) ?? DEFAULT_PROXY_HTTP_PORT;
  }

  get httpsPort(): number {
    return numberOrUndefined(this.raw.https_port) ?? DEFAULT_PROXY_HTTPS_PORT;
  }

  get bindIps(): string[] | undefined {
    return this.raw.bind_ips === undefined || this.raw.bind_ips === null ? undefined : textList(this.raw.bind_ips);
  }

  /** `--publish` values: `[ip:]http:80` and `[ip:]https:443` per bind IP (IPv6 bracketed). */
  get publishPorts(): string[] {
    if (!this.publish) return [];
    return (this.bindIps ?? [undefined]).flatMap((ip) => {
      const bind = ip === undefined ? [] : [isIP(ip) === 6 && !ip.startsWith("[") ? `[${ip}]` : ip];
      return [
        [...bind, this.httpPort, DEFAULT_PROXY_HTTP_PORT].join(":"),
        [...bind, this.httpsPort, DEFAULT_PROXY_HTTPS_PORT].join(":"),
      ];
    });
  }

  get logMaxSize(): string | undefined {
    if ("log_max_size" in this.raw) return present(this.raw.log_max_size) ? text(this.raw.log_max_size) : undefined;
    return DEFAULT_PROXY_LOG_MAX_SIZE;
  }

  get metricsPort(): number | undefined {
    return numberOrUndefined(this.raw.metrics_port);
  }

  get debug(): boolean {
    return this.raw.debug === true;
  }

  get registry(): string | undefined {
    return optionalText(this.raw.registry);
  }

  get repository(): string {
    return optionalText(this.raw.repository) ?? DEFAULT_PROXY_REPOSITORY;
  }

  get version(): string {
    return optionalText(this.raw.version) ?? DEFAULT_PROXY_VERSION;
  }

  get image(): string {
    return `${[this.registry, this.repository].filter((part) => part !== undefined).join("/")}:${this.version}`;
  }

  get containerName(): string {
    return PROXY_CONTAINER_NAME;
  }

  /** Extra `docker run` options. */
  get options(): DockerOptions {
    return dockerOptions(this.raw.options);
  }

  /** Options of `kamal-proxy run` inside the container. */
  runCommandOptions(): Record<string, string | number | true> {
    const options: Record<string, string | number | true> = {};
    if (this.debug) options.debug = true;
    if (this.metricsPort !== undefined) options["metrics-port"] = this.metricsPort;
    return options;
  }

  get appsVolume(): string {
    return new Volume(this.boot.appsDirectory, PROXY_APPS_CONTAINER_DIRECTORY).dockerArg;
  }

  /** Kamal compares run settings as hashes: same keys and values, any order. */
  equals(other: ProxyRun): boolean {
    return stableJson(this.raw) === stableJson(other.raw);
  }
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (isHash(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
