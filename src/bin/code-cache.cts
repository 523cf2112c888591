// Runs the bundled CLI (dist/bundle/cli.js, CommonJS) with a V8 code cache, as v8-compile-cache does:
// Node 20 has no compile cache of its own, and compiling the ~2 MB bundle costs more than Node's
// whole start. The cache is V8's bytecode of the functions the last run compiled, stored per user
// under $XDG_CACHE_HOME/berth (or ~/.cache/berth, 0700), one file per bundle build, Node version
// and architecture. It is only an accelerator: a missing, unreadable, foreign, stale or corrupt
// cache (V8 rejects what does not match its version, flags and the source) means a plain compile,
// and failing to write one is ignored.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS module imports with require */
import fs = require("node:fs");
import Module = require("node:module");
import os = require("node:os");
import path = require("node:path");
import vm = require("node:vm");
/* eslint-enable @typescript-eslint/no-require-imports */

interface CachedScript {
  /** The bundle's exports. */
  exports: unknown;
  /**
   * Writes the cache if there was none or V8 rejected it; call once the command has run, and only
   * if it succeeded (a failure's cache would miss most of the command's functions).
   */
  save: () => void;
}

/** FNV-1a, 32 bits: a short, cheap name for a path (node:crypto would cost more than it saves). */
function pathHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * The cache file for this bundle build at this path and this command, or undefined if there is no
 * home to keep it in. The path is part of the key: V8 restores the script's name from its cache,
 * so a copy of the same build elsewhere would report the other path in its stack traces. So is the
 * command: a cache holds the functions of the run that wrote it (written once, not at every run),
 * so `berth init`'s would leave most of `berth config`'s to compile.
 */
function cacheFile(bundleHash: string, filename: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const command = args[0] !== undefined && /^[a-z][a-z-]{0,30}$/.test(args[0]) ? args[0] : "_";
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
  if (!path.isAbsolute(base)) return undefined;
  return path.join(base, "berth", `${bundleHash}-${pathHash(filename)}-${command}-${process.version}-${process.arch}.v8cache`);
}

/** The cache's bytes if the file is ours and nobody else may write it (it becomes code we run). */
function readCache(file: string): Buffer | undefined {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const stat = fs.fstatSync(fd);
      const ours = process.getuid === undefined || stat.uid === process.getuid();
      return stat.isFile() && ours && (stat.mode & 0o022) === 0 ? fs.readFileSync(fd) : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Other builds' caches older than this are removed when a cache is written (~1 MB each). */
const STALE_MS = 24 * 60 * 60 * 1000;

function writeCache(file: string, data: Buffer): void {
  try {
    const directory = path.dirname(file);
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    // Written aside and renamed: a concurrent berth never reads half a cache.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, data, { mode: 0o600 });
    fs.renameSync(temporary, file);
    // Rebuilds and upgrades leave old caches behind; a day's grace keeps two builds in use
    // side by side (a benchmark's baseline, another Node) from deleting each other's.
    for (const name of fs.readdirSync(directory)) {
      const other = path.join(directory, name);
      if (other !== file && /\.v8cache(\.\d+\.tmp)?$/.test(name) && Date.now() - fs.statSync(other).mtimeMs > STALE_MS) fs.rmSync(other, { force: true });
    }
  } catch {
    // No cache this time (or old ones left): the next run tries again.
  }
}

/**
 * Node's import(), for the file's `__berthImport` (src/util/import-file.ts): code V8 restores from
 * a code cache loses vm.Script's dynamic-import callback on Node 20 (its import() then fails with
 * ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), while this module is compiled by Node's own loader.
 */
function nodeImport(specifier: string): Promise<unknown> {
  return import(specifier);
}

/** Compiles and runs a CommonJS file as require() would (plus `__berthImport`), through the code cache at `cache`. */
function requireCached(filename: string, cache: string | undefined): CachedScript {
  const source = fs.readFileSync(filename, "utf8");
  const cachedData = cache === undefined ? undefined : readCache(cache);
  const wrapped = `(function (exports, require, module, __filename, __dirname, __berthImport) { ${source}\n});`;
  const script = new vm.Script(wrapped, { filename, cachedData });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    Module.createRequire(filename),
    module,
    filename,
    path.dirname(filename),
    nodeImport,
  );
  const save = (): void => {
    if (cache !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) writeCache(cache, script.createCachedData());
  };
  return { exports: module.exports, save };
}

export = { cacheFile, requireCached };
