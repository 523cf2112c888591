// How the image is built (Kamal's Configuration::Builder).
import { isHash, optionalText, present, text, textList, textMap } from "./values.js";
import { DEFAULT_BUILDER_DRIVER, DEFAULT_DOCKERFILE } from "../defaults.js";

export class Builder {
  constructor(
    private readonly config: Readonly<Record<string, unknown>>,
    /** The app image (without registry), for the default cache image. */
    private readonly image: string,
    private readonly registryServer: string | undefined,
  ) {}

  /** The section as written (what `kamal config` prints). */
  toH(): Readonly<Record<string, unknown>> {
    return this.config;
  }

  get arches(): string[] {
    const arch = this.config.arch;
    if (arch === undefined || arch === null) return this.dockerDriver ? [] : ["amd64", "arm64"];
    return Array.isArray(arch) ? textList(arch) : [text(arch)];
  }

  get remote(): string | undefined {
    return optionalText(this.config.remote);
  }

  /** `local: false` sends every build to the remote builder. */
  get localDisabled(): boolean {
    return this.config.local === false;
  }

  /** Arches built on this machine, given its Docker architecture (`amd64`/`arm64`). */
  localArches(localArch: string): string[] {
    if (this.localDisabled) return [];
    return this.remote ? this.arches.filter((arch) => arch === localArch) : this.arches;
  }

  remoteArches(localArch: string): string[] {
    if (!this.remote) return [];
    const local = this.localArches(localArch);
    return this.arches.filter((arch) => !local.includes(arch));
  }

  isRemote(localArch: string): boolean {
    return this.remoteArches(localArch).length > 0;
  }

  isLocal(localArch: string): boolean {
    return !this.localDisabled && (this.arches.length === 0 || this.localArches(localArch).length > 0);
  }

  get driver(): string {
    return optionalText(this.config.driver) ?? DEFAULT_BUILDER_DRIVER;
  }

  get dockerDriver(): boolean {
    return this.driver === "docker";
  }

  get cloud(): boolean {
    return this.driver.startsWith("cloud");
  }

  get cached(): boolean {
    return present(this.config.cache);
  }

  get pack(): { readonly builder: string | undefined; readonly buildpacks: string[] } | null {
    const pack = this.config.pack;
    return isHash(pack) ? { builder: optionalText(pack.builder), buildpacks: textList(pack.buildpacks) } : null;
  }

  /** Build arguments (`--build-arg`, printed redacted). */
  get args(): Readonly<Record<string, string>> {
    return textMap(this.config.args);
  }

  /** Names of secrets given to the build as `--secret id=NAME`. */
  get secrets(): string[] {
    return textList(this.config.secrets);
  }

  get dockerfile(): string {
    return optionalText(this.config.dockerfile) ?? DEFAULT_DOCKERFILE;
  }

  get target(): string | undefined {
    return optionalText(this.config.target);
  }

  /** The build context: `.` unless set (the git clone, when used, is the directory built in). */
  get context(): string {
    return optionalText(this.config.context) ?? ".";
  }

  /** Without a context the build runs in a fresh clone of the committed HEAD. */
  get usesGitClone(): boolean {
    return this.config.context === undefined || this.config.context === null;
  }

  get ssh(): string | undefined {
    return optionalText(this.config.ssh);
  }

  get provenance(): string | undefined {
    return optionalText(this.config.provenance);
  }

  get sbom(): string | undefined {
    return optionalText(this.config.sbom);
  }

  private get cacheConfig(): Readonly<Record<string, unknown>> {
    return isHash(this.config.cache) ? this.config.cache : {};
  }

  get cacheType(): string | undefined {
    return optionalText(this.cacheConfig.type);
  }

  get cacheImage(): string {
    return optionalText(this.cacheConfig.image) ?? `${this.image}-build-cache`;
  }

  private get cacheImageRef(): string {
    return [this.registryServer, this.cacheImage].filter((part) => part !== undefined).join("/");
  }

  /** `--cache-from` value. */
  get cacheFrom(): string | undefined {
    if (!this.cached) return undefined;
    if (this.cacheType === "gha") return "type=gha";
    if (this.cacheType === "registry") return `type=registry,ref=${this.cacheImageRef}`;
    return undefined;
  }

  /** `--cache-to` value. */
  get cacheTo(): string | undefined {
    if (!this.cached) return undefined;
    const options = optionalText(this.cacheConfig.options);
    if (this.cacheType === "gha") return ["type=gha", options].filter((part) => part !== undefined).join(",");
    if (this.cacheType === "registry") return ["type=registry", `ref=${this.cacheImageRef}`, options].filter((part) => part !== undefined).join(",");
    return undefined;
  }
}
