// `npm run schema`: writes schema/deploy.schema.json from the zod schema (a unit test checks
// the committed file is current).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../util/package-root.js";
import { jsonSchemaText } from "./json-schema.js";

const target = join(packageRoot(), "schema", "deploy.schema.json");
mkdirSync(join(packageRoot(), "schema"), { recursive: true });
writeFileSync(target, jsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
