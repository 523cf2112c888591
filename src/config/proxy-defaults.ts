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
export const PROXY_CONFIG_VOLUME = "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy";
export const DEFAULT_PROXY_HTTP_PORT = 80;
export const DEFAULT_PROXY_HTTPS_PORT = 443;
export const DEFAULT_PROXY_LOG_MAX_SIZE = "10m";
/** Request headers kamal-proxy logs unless `proxy.logging.request_headers` is set. */
export const DEFAULT_LOG_REQUEST_HEADERS: readonly string[] = ["Cache-Control", "Last-Modified", "User-Agent"];
