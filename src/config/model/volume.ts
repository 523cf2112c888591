// A bind mount whose host side may be relative to the SSH user's home (`$PWD` on the host).
export class Volume {
  constructor(
    readonly hostPath: string,
    readonly containerPath: string,
    /** Mount options such as `ro` or `z`. */
    readonly options?: string,
  ) {}

  /** The `--volume` value: `$PWD/<relative>:<container>[:options]`. */
  get dockerArg(): string {
    const host = this.hostPath.startsWith("/") ? this.hostPath : `$PWD/${this.hostPath}`;
    return [host, this.containerPath, this.options].filter((part) => part !== undefined && part !== "").join(":");
  }
}
