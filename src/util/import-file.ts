// import() of an ES module outside Berth's own code (the proxy package's build). In the bundled
// executable it goes through the launcher's import (`__berthImport`, src/bin/code-cache.cts): the
// bundle runs from a V8 code cache, where Node 20 gives import() no loader.
declare const __berthImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importFile(url: string): Promise<unknown> {
  return typeof __berthImport === "function" ? __berthImport(url) : import(url);
}
