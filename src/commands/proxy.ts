// Commands for the proxy: the container on each host (run, start, stop, logs, boot files) and
// the calls apps and accessories make into it (`service.*`).
export * from "./proxy/container.js";
export * from "./proxy/boot-config.js";
export * from "./proxy/image.js";
export * as service from "./proxy/exec.js";
