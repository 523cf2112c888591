// Custom certificates (`--tls-certificate-path`/`--tls-private-key-path`): load and validate a PEM pair,
// then poll the files so a rotated pair is served without a redeploy (kamal-proxy needs one).

import { readFile } from "node:fs/promises";
import { unwatchFile, watchFile, type Stats } from "node:fs";
import { TlsError, errorMessage } from "./errors.js";
import { buildCertificatePair, type CertificatePair } from "./pem.js";

export async function loadCertificateFiles(certificatePath: string, privateKeyPath: string): Promise<CertificatePair> {
  const [chainPem, keyPem] = await Promise.all([
    readPem(certificatePath, "certificate"),
    readPem(privateKeyPath, "private key"),
  ]);
  return buildCertificatePair(chainPem, keyPem, { certificate: certificatePath, key: privateKeyPath });
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new TlsError(`TLS ${what} file ${path} cannot be read: ${errorMessage(error)}`);
  }
}

/**
 * Calls `onChange` (debounced) when either file's mtime, size or inode changes. Returns the stop function.
 * Polling rather than fs.watch: it survives rename-into-place and bind mounts, and costs two stats per tick.
 */
export function watchCertificateFiles(paths: string[], intervalMs: number, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const listener = (current: Stats, previous: Stats): void => {
    const changed =
      current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino;
    if (!changed) return;
    // Writers often replace cert and key one after the other: wait for both before reloading.
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, Math.min(250, intervalMs));
    timer.unref();
  };
  for (const path of paths) watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => {
    if (timer) clearTimeout(timer);
    for (const path of paths) unwatchFile(path, listener);
  };
}
