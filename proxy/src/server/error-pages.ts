// Error pages: a directory of `<status>.html` templates (Go template syntax; `{{ .Message }}`
// is the one field kamal-proxy passes) with built-in pages as the fallback.
import fs from "node:fs";
import path from "node:path";
import { statusText } from "../http/head.js";

export type ErrorPages = ReadonlyMap<number, string>;

export function loadErrorPages(directory: string): ErrorPages {
  const pages = new Map<number, string>();
  let entries: string[];
  try {
    entries = fs.readdirSync(directory);
  } catch (error) {
    throw new Error(`unable to load error pages from ${directory}: ${(error as Error).message}`);
  }
  for (const entry of entries) {
    const match = /^(\d{3})\.html$/.exec(entry);
    if (!match) continue;
    const template = fs.readFileSync(path.join(directory, entry), "utf8");
    if (/\{\{(?!-?\s*\.Message\s*-?\}\})/.test(template)) {
      throw new Error(`unable to load error pages: ${entry} uses a template action other than {{ .Message }}`);
    }
    pages.set(Number(match[1]), template);
  }
  return pages;
}

const BUILT_IN = (status: number, message: string): string =>
  `<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>${status} ${statusText(status)}</title></head>\n` +
  `<body><h1>${status} ${statusText(status)}</h1>${message === "" ? "" : `\n<p>${message}</p>`}</body>\n</html>\n`;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function renderErrorPage(pages: ErrorPages | null, status: number, message: string): string {
  const template = pages?.get(status);
  const escaped = escapeHtml(message);
  if (template === undefined) return BUILT_IN(status, escaped);
  return template.replace(/\{\{-?\s*\.Message\s*-?\}\}/g, escaped);
}
