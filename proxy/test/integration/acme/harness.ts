// Shared pieces for the ACME integration tests: one pebble per file, an HTTP server on pebble's httpPort
// that answers HTTP-01 through the current store, and helpers to handshake and read the served leaf.

import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { connect, type PeerCertificate } from "node:tls";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificateStore, type CertificateStore, type CertificateStoreOptions } from "../../../src/tls/index.js";
import { freePort, startPebble, type Pebble } from "../../helpers/pebble.js";

export interface Harness {
  pebble: Pebble;
  httpPort: number;
  tlsPort: number;
  /** Paths GET on the HTTP-01 port, with the Host header, in order. */
  httpRequests: string[];
  /** When false, the HTTP-01 port answers 404 to everything (forces the fallback to TLS-ALPN-01). */
  answerHttp01: boolean;
  /** Holds every HTTP-01 answer this long, to make an issuance slow. */
  http01DelayMs: number;
  store: CertificateStore | undefined;
  tempDir: string;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const httpPort = await freePort();
  let tlsPort = await freePort();
  while (tlsPort === httpPort) tlsPort = await freePort();
  const pebble = await startPebble({ httpPort, tlsPort });
  const tempDir = await mkdtemp(join(tmpdir(), "berth-acme-"));
  const harness: Harness = {
    pebble,
    httpPort,
    tlsPort,
    httpRequests: [],
    answerHttp01: true,
    http01DelayMs: 0,
    store: undefined,
    tempDir,
    stop: async () => {
      await close(http);
      await pebble.stop();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
  const http: HttpServer = createHttpServer((request, response) => {
    const host = request.headers.host ?? "";
    harness.httpRequests.push(`${host} ${request.url ?? ""}`);
    const match = /^\/\.well-known\/acme-challenge\/([^/?]+)$/.exec(request.url ?? "");
    const body = match && harness.answerHttp01 ? harness.store?.httpChallenge(host, match[1]!) : undefined;
    const answer = (): void => {
      response.writeHead(body ? 200 : 404, { "content-type": "text/plain" }).end(body ?? "not found");
    };
    if (match && harness.http01DelayMs > 0) setTimeout(answer, harness.http01DelayMs);
    else answer();
  });
  await listen(http, httpPort);
  return harness;
}

export interface StoreUnderTest {
  store: CertificateStore;
  events: Record<string, unknown>[];
  server: HttpsServer | Http2SecureServer;
  close(): Promise<void>;
}

/** A store plus an HTTPS (or HTTP/2) server on the harness's TLS port using it. */
export async function openStore(
  harness: Harness,
  options: Partial<CertificateStoreOptions> & { attach?: boolean; http2?: boolean } = {},
): Promise<StoreUnderTest> {
  const events: Record<string, unknown>[] = [];
  const store = createCertificateStore({
    stateDir: harness.tempDir,
    logger: (event) => events.push(event),
    ...options,
  });
  harness.store = store;
  const server = options.http2
    ? createSecureServer({ SNICallback: store.sniCallback, allowHTTP1: true }, (_request, response) => response.end("ok"))
    : createHttpsServer({ SNICallback: store.sniCallback, ALPNProtocols: store.alpnProtocols }, (_request, response) =>
        response.end("ok"),
      );
  if (options.attach ?? true) store.attach(server);
  await listen(server, harness.tlsPort);
  return {
    store,
    events,
    server,
    close: async () => {
      store.close();
      await close(server);
      if (harness.store === store) harness.store = undefined;
    },
  };
}

export function acmeSettings(harness: Harness, cacheDir = join(harness.tempDir, "certs")) {
  return { directoryUrl: harness.pebble.directoryUrl, cacheDir, caBundlePath: harness.pebble.caBundlePath };
}

export interface Handshake {
  authorized: boolean;
  authorizationError: string | undefined;
  certificate: PeerCertificate;
  alpnProtocol: string | false;
}

/** Completes a TLS handshake with SNI `servername`, verifying against `ca` (pebble's issuing root). */
export function handshake(port: number, servername: string | undefined, ca: string, timeoutMs = 20_000): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername, ca, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`handshake for ${servername ?? "(no SNI)"} timed out`)));
    socket.once("secureConnect", () => {
      const result: Handshake = {
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        certificate: socket.getPeerCertificate(),
        alpnProtocol: socket.alpnProtocol ?? false,
      };
      socket.end();
      resolve(result);
    });
    socket.once("error", reject);
  });
}

export function eventsNamed(events: Record<string, unknown>[], name: string): Record<string, unknown>[] {
  return events.filter((event) => event.event === name);
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function listen(server: HttpServer | HttpsServer | Http2SecureServer, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

function close(server: HttpServer | HttpsServer | Http2SecureServer): Promise<void> {
  const closable = server as HttpServer;
  closable.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}
