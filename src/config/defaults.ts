// Kamal's defaults for what deploy.yml leaves out, stated once: the schema documents each as its
// `default` (in `berth docs` and the JSON Schema) and the model (src/config/model) uses the same
// constant. The proxy's are in proxy-defaults.ts.

export const DEFAULT_PRIMARY_ROLE = "web";
export const DEFAULT_HOOKS_PATH = ".kamal/hooks";
export const DEFAULT_SECRETS_PATH = ".kamal/secrets";
/** Old containers (and their images) a prune keeps. */
export const DEFAULT_RETAIN_CONTAINERS = 5;
/** Seconds a container without proxy or health check must keep running to count as booted. */
export const DEFAULT_READINESS_DELAY = 7;
/** Seconds a new container has to become healthy. */
export const DEFAULT_DEPLOY_TIMEOUT = 30;
/** Seconds in-flight requests get before an old container is stopped. */
export const DEFAULT_DRAIN_TIMEOUT = 30;

/** `docker run --restart` unless `options.restart` is given. */
export const DEFAULT_RESTART_POLICY = "unless-stopped";

export const DEFAULT_BUILDER_DRIVER = "docker-container";
export const DEFAULT_DOCKERFILE = "Dockerfile";

export const DEFAULT_SSH_USER = "root";
export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_SSH_LOG_LEVEL = "fatal";

export const DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS = 30;
export const DEFAULT_SSHKIT_POOL_IDLE_TIMEOUT = 900;
export const DEFAULT_SSHKIT_DNS_RETRIES = 3;

export const DEFAULT_ACCESSORY_NETWORK = "kamal";
/** Mode of an accessory's uploaded file unless `mode` is given. */
export const DEFAULT_ACCESSORY_FILE_MODE = "755";
