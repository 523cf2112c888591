// `npm run docs`: writes the generated references (see reference.ts) into docs/.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../util/package-root.js";
import { COMMAND_REFERENCE, CONFIGURATION_REFERENCE, commandReference, configurationReference } from "./reference.js";

for (const [file, text] of [
  [CONFIGURATION_REFERENCE, configurationReference()],
  [COMMAND_REFERENCE, commandReference()],
] as const) {
  writeFileSync(join(packageRoot(), file), text);
  process.stdout.write(`wrote ${file}\n`);
}
