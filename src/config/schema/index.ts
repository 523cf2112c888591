export { deploySchema } from "./root.js";
export type { DeployConfig } from "./root.js";
