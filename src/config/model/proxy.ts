// The proxy as one app sees it: routing and health options for `kamal-proxy deploy` (Kamal's
// Configuration::Proxy). The container's run options are in proxy-run.ts, its files in proxy-boot.ts.
import { Redacted } from "../../core/cmd.js";
import type { SecretsLookup } from "../../secrets/types.js";
import { BerthError } from "../../util/errors.js";
import {
  DEFAULT_APP_PORT,
  DEFAULT_BUFFERING,
  DEFAULT_HEALTHCHECK_INTERVAL,
  DEFAULT_HEALTHCHECK_PATH,
  DEFAULT_HEALTHCHECK_TIMEOUT,
  DEFAULT_LOG_REQUEST_HEADERS,
} from "../proxy-defaults.js";
import { deepMerge } from "../merge.js";
import type { ProxyBoot } from "./proxy-boot.js";
import { ProxyRun } from "./proxy-run.js";
import { booleanOrUndefined, isHash, numberOrUndefined, optionalText, present, text, textList } from "./values.js";

/** What a proxy needs from the configuration around it. */
export interface ProxyContext {
  readonly deployTimeout: number;
  readonly drainTimeout: number;
  readonly errorPagesPath: string | undefined;
  /** Resolved lazily: only needed when error pages are configured. */
  readonly version: string;
  readonly proxyBoot: ProxyBoot;
}

/** A value of `kamal-proxy deploy`'s option map (Kamal turns it into `--key=value` flags). */
export type DeployOptionValue = string | number | boolean | readonly string[];

export interface Healthcheck {
  readonly path: string;
  readonly interval: number;
  readonly timeout: number;
}

export interface Buffering {
  readonly requests: boolean;
  readonly responses: boolean;
  readonly maxRequestBody: number | undefined;
  readonly maxResponseBody: number | undefined;
  readonly memory: number | undefined;
}

export interface CustomCertificate {
  /** Secret names, looked up only when the files are uploaded. */
  readonly certificatePemSecret: string;
  readonly privateKeyPemSecret: string;
  /** Where the PEM files go on the host and where the proxy container sees them. */
  readonly hostCertificatePath: string;
  readonly hostPrivateKeyPath: string;
  readonly containerCertificatePath: string;
  readonly containerPrivateKeyPath: string;
}

function seconds(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : `${text(value)}s`;
}

/** Kamal's Configuration::Proxy. */
export class ProxyConfig {
  /** The proxy container's run options, when `proxy.run` is set (else the legacy boot files apply). */
  readonly run: ProxyRun | null;

  constructor(
    private readonly context: ProxyContext,
    /** The proxy section as configured (after merging a role's over the root's). */
    readonly raw: Readonly<Record<string, unknown>>,
    private readonly secrets: SecretsLookup | undefined,
    /** Set for roles: custom certificates are kept per role. */
    readonly roleName?: string,
  ) {
    this.run = present(raw.run) && isHash(raw.run) ? new ProxyRun(raw.run, context.proxyBoot) : null;
  }

  /** A role's proxy: its own settings deep-merged over the root proxy's. */
  mergedOver(root: ProxyConfig): ProxyConfig {
    return new ProxyConfig(this.context, deepMerge(root.raw, this.raw), this.secrets, this.roleName);
  }

  get hosts(): string[] {
    if (this.raw.hosts !== undefined && this.raw.hosts !== null) return textList(this.raw.hosts);
    const host = optionalText(this.raw.host);
    return host === undefined ? [] : host.split(",");
  }

  get appPort(): number {
    return numberOrUndefined(this.raw.app_port) ?? DEFAULT_APP_PORT;
  }

  /** True for automatic (Let's Encrypt) and custom certificates alike. */
  get ssl(): boolean {
    const ssl = this.raw.ssl;
    return ssl !== undefined && ssl !== null && ssl !== false;
  }

  get sslRedirect(): boolean | undefined {
    return booleanOrUndefined(this.raw.ssl_redirect);
  }

  get forwardHeaders(): boolean | undefined {
    return booleanOrUndefined(this.raw.forward_headers);
  }

  /** Seconds; undefined leaves kamal-proxy's default (30 s). */
  get responseTimeout(): number | undefined {
    return numberOrUndefined(this.raw.response_timeout);
  }

  get pathPrefixes(): string[] {
    if (this.raw.path_prefixes !== undefined && this.raw.path_prefixes !== null) return textList(this.raw.path_prefixes);
    const prefix = optionalText(this.raw.path_prefix);
    return prefix === undefined ? [] : prefix.split(",");
  }

  get stripPathPrefix(): boolean | undefined {
    return booleanOrUndefined(this.raw.strip_path_prefix);
  }

  /** With kamal-proxy's defaults filled in (only configured values are passed to deploy). */
  get healthcheck(): Healthcheck {
    const config = isHash(this.raw.healthcheck) ? this.raw.healthcheck : {};
    return {
      path: optionalText(config.path) ?? DEFAULT_HEALTHCHECK_PATH,
      interval: numberOrUndefined(config.interval) ?? DEFAULT_HEALTHCHECK_INTERVAL,
      timeout: numberOrUndefined(config.timeout) ?? DEFAULT_HEALTHCHECK_TIMEOUT,
    };
  }

  get buffering(): Buffering {
    const config = isHash(this.raw.buffering) ? this.raw.buffering : {};
    return {
      requests: booleanOrUndefined(config.requests) ?? DEFAULT_BUFFERING,
      responses: booleanOrUndefined(config.responses) ?? DEFAULT_BUFFERING,
      maxRequestBody: numberOrUndefined(config.max_request_body),
      maxResponseBody: numberOrUndefined(config.max_response_body),
      memory: numberOrUndefined(config.memory),
    };
  }

  get logging(): { readonly requestHeaders: readonly string[]; readonly responseHeaders: readonly string[] } {
    const config = isHash(this.raw.logging) ? this.raw.logging : {};
    // As Kamal's `dig(...) || DEFAULT`: only an unset list falls back (an empty one is kept).
    const requestHeaders = config.request_headers;
    return {
      requestHeaders: requestHeaders === undefined || requestHeaders === null ? DEFAULT_LOG_REQUEST_HEADERS : textList(requestHeaders),
      responseHeaders: textList(config.response_headers),
    };
  }

  /** Set when `ssl` names a certificate and key secret. */
  get customCertificate(): CustomCertificate | null {
    const ssl = this.raw.ssl;
    if (!isHash(ssl) || !present(ssl.certificate_pem) || !present(ssl.private_key_pem)) return null;
    const boot = this.context.proxyBoot;
    const join = (directory: string, file: string): string => [directory, this.roleName, file].filter((part) => part !== undefined).join("/");
    return {
      certificatePemSecret: text(ssl.certificate_pem),
      privateKeyPemSecret: text(ssl.private_key_pem),
      hostCertificatePath: join(boot.tlsDirectory, "cert.pem"),
      hostPrivateKeyPath: join(boot.tlsDirectory, "key.pem"),
      containerCertificatePath: join(boot.tlsContainerDirectory, "cert.pem"),
      containerPrivateKeyPath: join(boot.tlsContainerDirectory, "key.pem"),
    };
  }

  certificatePem(): Redacted {
    return this.secret("certificate_pem", this.customCertificate?.certificatePemSecret);
  }

  privateKeyPem(): Redacted {
    return this.secret("private_key_pem", this.customCertificate?.privateKeyPemSecret);
  }

  private secret(key: string, name: string | undefined): Redacted {
    if (name === undefined) throw new BerthError(`proxy/ssl/${key}: no custom certificate is configured`);
    if (!this.secrets) throw new BerthError(`proxy/ssl/${key}: secret ${name} is needed but no secrets were loaded`);
    return new Redacted(this.secrets.get(name));
  }

  /**
   * The option map Kamal turns into `kamal-proxy deploy` flags, in Kamal's order. Unset values
   * are left out; empty lists and `false` are kept (the command builder decides how they print).
   */
  deployOptions(): Record<string, DeployOptionValue> {
    const healthcheck = isHash(this.raw.healthcheck) ? this.raw.healthcheck : {};
    const buffering = isHash(this.raw.buffering) ? this.raw.buffering : {};
    const certificate = this.customCertificate;
    const entries: [string, DeployOptionValue | undefined][] = [
      ["host", this.hosts],
      ["tls", this.ssl ? true : undefined],
      ["tls-certificate-path", certificate?.containerCertificatePath],
      ["tls-private-key-path", certificate?.containerPrivateKeyPath],
      ["deploy-timeout", seconds(this.context.deployTimeout)],
      ["drain-timeout", seconds(this.context.drainTimeout)],
      ["health-check-interval", seconds(healthcheck.interval)],
      ["health-check-timeout", seconds(healthcheck.timeout)],
      ["health-check-path", optionalText(healthcheck.path)],
      ["target-timeout", seconds(this.raw.response_timeout)],
      ["buffer-requests", "requests" in buffering ? booleanOrUndefined(buffering.requests) : true],
      ["buffer-responses", "responses" in buffering ? booleanOrUndefined(buffering.responses) : true],
      ["buffer-memory", numberOrUndefined(buffering.memory)],
      ["max-request-body", numberOrUndefined(buffering.max_request_body)],
      ["max-response-body", numberOrUndefined(buffering.max_response_body)],
      ["path-prefix", this.pathPrefixes],
      ["strip-path-prefix", this.stripPathPrefix],
      ["forward-headers", this.forwardHeaders],
      ["tls-redirect", this.sslRedirect],
      ["log-request-header", this.logging.requestHeaders],
      ["log-response-header", isHash(this.raw.logging) && Array.isArray(this.raw.logging.response_headers) ? this.logging.responseHeaders : undefined],
      ["error-pages", this.errorPagesDirectory()],
    ];
    const options: Record<string, DeployOptionValue> = {};
    for (const [key, value] of entries) if (value !== undefined) options[key] = value;
    return options;
  }

  /** `kamal-proxy stop` options (maintenance mode). */
  stopOptions({ drainTimeout, message }: { drainTimeout?: number; message?: string } = {}): Record<string, string> {
    const options: Record<string, string> = {};
    const drain = seconds(drainTimeout);
    if (drain !== undefined) options["drain-timeout"] = drain;
    if (message !== undefined) options.message = message;
    return options;
  }

  private errorPagesDirectory(): string | undefined {
    if (this.context.errorPagesPath === undefined) return undefined;
    return `${this.context.proxyBoot.errorPagesContainerDirectory}/${this.context.version}`;
  }
}
