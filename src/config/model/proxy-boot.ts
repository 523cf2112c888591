// Where the proxy's files live on each host (Kamal's Configuration::Proxy::Boot).
import {
  DEFAULT_PROXY_HTTPS_PORT,
  DEFAULT_PROXY_HTTP_PORT,
  DEFAULT_PROXY_LOG_MAX_SIZE,
  DEFAULT_PROXY_REPOSITORY,
  DEFAULT_PROXY_VERSION,
  PROXY_APPS_CONTAINER_DIRECTORY,
  PROXY_CONTAINER_NAME,
} from "../proxy-defaults.js";

/** Kamal's Configuration::Proxy::Boot: the proxy's files on each host (relative to the SSH user's home). */
export class ProxyBoot {
  constructor(
    private readonly runDirectory: string,
    /** `<service>[-<destination>]`. */
    private readonly serviceAndDestination: string,
  ) {}

  readonly containerName = PROXY_CONTAINER_NAME;
  readonly imageDefault = DEFAULT_PROXY_REPOSITORY;
  readonly minimumVersion = DEFAULT_PROXY_VERSION;

  /** `--publish 80:80 --publish 443:443 --log-opt max-size=10m`, used when no `proxy.run` is set. */
  get defaultBootOptions(): string[] {
    return [
      "--publish",
      `${DEFAULT_PROXY_HTTP_PORT}:${DEFAULT_PROXY_HTTP_PORT}`,
      "--publish",
      `${DEFAULT_PROXY_HTTPS_PORT}:${DEFAULT_PROXY_HTTPS_PORT}`,
      "--log-opt",
      `max-size=${DEFAULT_PROXY_LOG_MAX_SIZE}`,
    ];
  }

  get hostDirectory(): string {
    return `${this.runDirectory}/proxy`;
  }
  get optionsFile(): string {
    return `${this.hostDirectory}/options`;
  }
  get imageFile(): string {
    return `${this.hostDirectory}/image`;
  }
  get imageVersionFile(): string {
    return `${this.hostDirectory}/image_version`;
  }
  get runCommandFile(): string {
    return `${this.hostDirectory}/run_command`;
  }
  get appsDirectory(): string {
    return `${this.hostDirectory}/apps-config`;
  }
  get appsContainerDirectory(): string {
    return PROXY_APPS_CONTAINER_DIRECTORY;
  }
  get appDirectory(): string {
    return `${this.appsDirectory}/${this.serviceAndDestination}`;
  }
  get appContainerDirectory(): string {
    return `${PROXY_APPS_CONTAINER_DIRECTORY}/${this.serviceAndDestination}`;
  }
  get errorPagesDirectory(): string {
    return `${this.appDirectory}/error_pages`;
  }
  get errorPagesContainerDirectory(): string {
    return `${this.appContainerDirectory}/error_pages`;
  }
  get tlsDirectory(): string {
    return `${this.appDirectory}/tls`;
  }
  get tlsContainerDirectory(): string {
    return `${this.appContainerDirectory}/tls`;
  }
}
