// `npm run schema`: writes schema/deploy.schema.json from the zod schema (a unit test checks
// the committed file is current).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { jsonSchemaText } from "./json-schema.js";

// src/config/schema/ and dist/config/schema/ are both three levels below the package root.
const target = fileURLToPath(new URL("../../../schema/deploy.schema.json", import.meta.url));
mkdirSync(fileURLToPath(new URL("../../../schema/", import.meta.url)), { recursive: true });
writeFileSync(target, jsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
