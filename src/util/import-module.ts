// import() of an ES module by URL (the proxy package's CLI, loaded by the deploy), wherever Berth
// runs from: its compiled modules, or the CLI bundle as the launcher runs it, compiled through a V8
// code cache (src/bin/code-cache.cts). There Node 20 refuses import() in every function that came
// from the cache, i.e. in every run but the one that wrote it: the import then goes through
// esm-import.js beside the bundle (src/bin/esm-import.cjs), which Node's own loader compiles.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export async function importModule(url: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING") throw error;
    const helper = new URL("./esm-import.js", import.meta.url);
    const viaLoader = createRequire(helper)(fileURLToPath(helper)) as (url: string) => Promise<unknown>;
    return viaLoader(url);
  }
}
