// The proxy image Kamal boots by default, kept in one place: how Berth picks its own proxy
// image is decided later, and only this module should change when it is.

/** Repository of the proxy image when `proxy.run.repository` is unset. */
export const DEFAULT_PROXY_REPOSITORY = "basecamp/kamal-proxy";
/** Image tag when `proxy.run.version` is unset; also the oldest proxy the deploy flags work with. */
export const DEFAULT_PROXY_VERSION = "v0.9.2";
/** The proxy container's name on every host. */
export const PROXY_CONTAINER_NAME = "kamal-proxy";
/** Where app configuration (error pages, TLS files) is mounted inside the proxy container. */
export const PROXY_APPS_CONTAINER_DIRECTORY = "/home/kamal-proxy/.apps-config";
/** The named volume holding the proxy's own state. */
export const PROXY_CONFIG_CONTAINER_DIRECTORY = "/home/kamal-proxy/.config/kamal-proxy";
export const PROXY_CONFIG_VOLUME = `kamal-proxy-config:${PROXY_CONFIG_CONTAINER_DIRECTORY}`;
/** Where the Berth proxy image puts its control socket (KAMAL_PROXY_SOCKET): on the config volume. */
export const PROXY_CONTROL_SOCKET_NAME = "kamal-proxy.sock";
export const DEFAULT_PROXY_HTTP_PORT = 80;
export const DEFAULT_PROXY_HTTPS_PORT = 443;
export const DEFAULT_PROXY_LOG_MAX_SIZE = "10m";
/** The app's port in its container, which the proxy sends requests to. */
export const DEFAULT_APP_PORT = 80;
export const DEFAULT_HEALTHCHECK_PATH = "/up";
/** Seconds between health checks, and each check's timeout. */
export const DEFAULT_HEALTHCHECK_INTERVAL = 1;
export const DEFAULT_HEALTHCHECK_TIMEOUT = 5;
/** Whether the proxy buffers request and response bodies. */
export const DEFAULT_BUFFERING = true;
/** Request headers kamal-proxy logs unless `proxy.logging.request_headers` is set. */
export const DEFAULT_LOG_REQUEST_HEADERS: readonly string[] = ["Cache-Control", "Last-Modified", "User-Agent"];

// Berth's own proxy ---------------------------------------------------------------------------
// Where `proxy.run` names no image (no registry, repository or version), Berth boots its own
// proxy (a drop-in for kamal-proxy, built from the package's proxy/ and pushed to the app's
// registry when the hosts can't pull it). Kamal's image stays one setting away:
// `proxy.run.repository: basecamp/kamal-proxy` (and `version`).

/** The image name next to the app's image: `<registry>/<image namespace>/berth-proxy`. */
const BERTH_PROXY_IMAGE_NAME = "berth-proxy";
/** The Berth proxy's own version (proxy/package.json); a test keeps the two equal. */
export const BERTH_PROXY_VERSION = "0.1.2";
/**
 * Its tag: the kamal-proxy contract it implements, then its own version, all numeric, so the tag
 * compares as at least v0.9.2 in Kamal's version check (letters would make it a pre-release).
 */
export const BERTH_PROXY_TAG = `${DEFAULT_PROXY_VERSION}.${BERTH_PROXY_VERSION}`;
/** Base image for building it; tests use the test bed's `berth-test/node:20`. */
export const BERTH_PROXY_BASE_IMAGE = "node:20-bookworm-slim";
/** Environment variable that overrides the base image. */
export const BERTH_PROXY_BASE_IMAGE_ENV = "BERTH_PROXY_BASE_IMAGE";
/** The label Kamal's `proxy remove` filters on, given to the image when it is built. */
export const PROXY_IMAGE_TITLE_LABEL = "org.opencontainers.image.title=kamal-proxy";

/** `[namespace/]berth-proxy` for an app image `[namespace/]name`. */
export function berthProxyRepository(appImage: string): string {
  const slash = appImage.lastIndexOf("/");
  return slash === -1 ? BERTH_PROXY_IMAGE_NAME : `${appImage.slice(0, slash)}/${BERTH_PROXY_IMAGE_NAME}`;
}
