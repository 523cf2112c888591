// The command builders, one namespace per area: `app.run(config, role, …)`, `proxy.startOrRun(…)`,
// `lock.acquire(…)`… Each returns a `Cmd` (src/core/cmd.ts) and runs nothing.
export * from "../core/cmd.js";
export * as app from "./app.js";
export * as accessory from "./accessory.js";
export * as auditor from "./auditor.js";
export * as batching from "./batch.js";
export * as builder from "./builder.js";
export * as docker from "./docker.js";
export * as doctor from "./doctor.js";
export * as envFile from "./env-file.js";
export * as forensics from "./forensics.js";
export * as hook from "./hook.js";
export * as lock from "./lock.js";
export * as prune from "./prune.js";
export * as proxy from "./proxy.js";
export * as registry from "./registry.js";
export * as release from "./release.js";
export * as server from "./server.js";
export * as ssh from "./ssh.js";
export * as upgrade from "./upgrade.js";
export { Tags, iso8601 } from "./tags.js";
export type { TagContext, TagDetails } from "./tags.js";
