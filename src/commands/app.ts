// Commands for app containers (Kamal's Commands::App and its modules). Every function takes the
// resolved configuration and the role, plus explicit values for what Kamal reads from globals
// (host, random suffixes), so each returns the same text for the same input.
export * from "./app/core.js";
export * from "./app/containers.js";
export * from "./app/images.js";
export * from "./app/logging.js";
export * from "./app/execution.js";
export * from "./app/assets.js";
export * from "./app/error-pages.js";
export * as proxy from "./app/proxy.js";
