// Copied beside the CLI bundle as esm-import.js by scripts/bundle.mjs: import() from a file that
// Node's own CommonJS loader compiles. The bundle itself runs from Berth's V8 code cache
// (code-cache.cts), and Node 20 refuses import() in functions restored from a code cache
// (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so src/util/import-module.ts comes here instead.
"use strict";

module.exports = (url) => import(url);
