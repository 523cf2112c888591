// The ACME cache on the proxy's volume, in autocert's DirCache layout so kamal-proxy and Berth share it:
//   <cacheDir>/<sha256(directoryUrl)>/acme_account+key   PEM account key ("EC PRIVATE KEY")
//   <cacheDir>/<sha256(directoryUrl)>/<host>             PEM private key, then the certificate chain
// Writes are atomic (temp file + rename), files 0600, directories 0700.

import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TlsError, errorMessage } from "../errors.js";
import { extractPrivateKeyPem, splitCertificates } from "../pem.js";

export const ACCOUNT_KEY_FILE = "acme_account+key";

export async function readCacheFile(scopeDir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(scopeDir, name), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TlsError(`ACME cache file ${join(scopeDir, name)} cannot be read: ${errorMessage(error)}`);
  }
}

export async function writeCacheFile(scopeDir: string, name: string, contents: string): Promise<void> {
  const path = join(scopeDir, name);
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(scopeDir, { recursive: true, mode: 0o700 });
    await writeFile(temporary, contents, { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new TlsError(`ACME cache file ${path} cannot be written: ${errorMessage(error)}`);
  }
}

/** Splits an autocert `<host>` entry into its key and chain; undefined if either part is missing. */
export function parseCertificateEntry(contents: string): { keyPem: string; chainPem: string } | undefined {
  const keyPem = extractPrivateKeyPem(contents);
  const certificates = splitCertificates(contents);
  if (!keyPem || certificates.length === 0) return undefined;
  return { keyPem, chainPem: `${certificates.join("\n")}\n` };
}

export function formatCertificateEntry(keyPem: string, chainPem: string): string {
  return `${keyPem.trimEnd()}\n${splitCertificates(chainPem).join("\n")}\n`;
}
