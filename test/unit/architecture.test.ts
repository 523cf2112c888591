// The layers point one way and no module imports itself back through others (issue #10).
// Imports are read from the sources (static, type-only and dynamic alike), so a type-only cycle counts too.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1] as string);
  return specifiers.map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) graph.set(file, localImports(file).filter((target) => target.startsWith(SRC)));
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(relative(SRC, member));
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

function importsAcross(graph: Map<string, string[]>, from: string, to: string): string[] {
  return [...graph.entries()].flatMap(([file, targets]) =>
    relative(SRC, file).startsWith(`${from}/`)
      ? targets.filter((target) => relative(SRC, target).startsWith(`${to}/`)).map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`)
      : [],
  );
}

describe("src/ architecture", () => {
  const graph = importGraph();

  it("reads every module's imports", () => {
    expect(graph.size).toBeGreaterThan(100);
    for (const targets of graph.values()) for (const target of targets) expect(graph.has(target), target).toBe(true);
  });

  it("has no import cycles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it.each([
    ["deploy", "cli"],
    ["config", "commands"],
    ["secrets", "commands"],
    ["output", "commands"],
    ["core", "deploy"],
    ["commands", "deploy"],
    ["transport", "deploy"],
  ])("nothing in src/%s imports from src/%s", (from, to) => {
    expect(importsAcross(graph, from, to)).toEqual([]);
  });

  it("keeps no per-run state in module-level tables and parses no rendered command back", () => {
    const offenders = [...graph.keys()].flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const found: string[] = [];
      if (/WeakMap<\s*Run\b/.test(text)) found.push(`${relative(SRC, file)}: WeakMap keyed by a run`);
      const path = relative(SRC, file);
      if ((path.startsWith("deploy/") || path.startsWith("commands/") || path.startsWith("transport/")) && /\bshellSplit\b|parseBatchScript/.test(text)) found.push(`${path}: splits a rendered command`);
      return found;
    });
    expect(offenders).toEqual([]);
  });
});
