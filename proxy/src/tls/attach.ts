// Hooks a TLS server for what SNICallback alone cannot do:
// - TLS-ALPN-01: the certificate must depend on the client's ALPN offer, which Node reveals only after the
//   certificate is chosen (TLS 1.2) or not at all to SNICallback. While a validation is pending we read the
//   ClientHello ourselves and answer "acme-tls/1" connections on a private TLSSocket.
// - Clients without SNI: Node skips SNICallback, so the server's own context must hold the default cert.

import type { Socket } from "node:net";
import { TLSSocket, type SecureContextOptions, type Server as TlsServer } from "node:tls";
import type { TlsLogger } from "./index.js";
import type { ChallengeRegistry } from "./challenges.js";
import { MAX_CLIENT_HELLO_BYTES, peekClientHello } from "./client-hello.js";
import { normalizeHost } from "./host-match.js";
import { errorMessage } from "./errors.js";

const ACME_TLS_ALPN = "acme-tls/1";
const PEEK_TIMEOUT_MS = 10_000;
const VALIDATION_SOCKET_TIMEOUT_MS = 30_000;

export interface AttachedServer {
  setDefault(pair: { chainPem: string; keyPem: string } | undefined): void;
  detach(): void;
}

type ConnectionListener = (this: TlsServer, socket: Socket) => void;

export function attachToServer(
  server: TlsServer,
  baseContext: SecureContextOptions,
  challenges: ChallengeRegistry,
  logger: TlsLogger,
): AttachedServer {
  const original = server.listeners("connection") as ConnectionListener[];
  const dispatch = (socket: Socket): void => {
    for (const listener of original) listener.call(server, socket);
  };
  const onConnection = (socket: Socket): void => {
    if (!challenges.hasAlpnChallenges) {
      dispatch(socket);
      return;
    }
    readClientHello(socket, (hello) => {
      const host = hello?.servername ? normalizeHost(hello.servername) : undefined;
      const context = host && hello?.alpnProtocols.includes(ACME_TLS_ALPN) ? challenges.alpnContext(host) : undefined;
      if (!context) {
        dispatch(socket);
        return;
      }
      const validation = new TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: [ACME_TLS_ALPN] });
      validation.setTimeout(VALIDATION_SOCKET_TIMEOUT_MS, () => validation.destroy());
      validation.on("secure", () => logger({ event: "tls.alpn_challenge_served", host }));
      validation.on("error", (error) => {
        logger({ event: "tls.alpn_challenge_connection_error", host, error: errorMessage(error) });
        validation.destroy();
      });
      validation.on("end", () => validation.end());
    });
  };
  server.removeAllListeners("connection");
  server.on("connection", onConnection);

  let currentDefault: { chainPem: string; keyPem: string } | undefined;
  return {
    setDefault(pair) {
      if (!pair || pair === currentDefault) return;
      currentDefault = pair;
      server.setSecureContext({ ...baseContext, cert: pair.chainPem, key: pair.keyPem });
    },
    detach() {
      server.off("connection", onConnection);
      for (const listener of original) server.on("connection", listener);
    },
  };
}

/** Buffers the first bytes until the ClientHello is readable, then puts them back for the real TLS layer. */
function readClientHello(
  socket: Socket,
  done: (hello: { servername: string | undefined; alpnProtocols: string[] } | undefined) => void,
): void {
  let buffered = Buffer.alloc(0);
  const finish = (hello: { servername: string | undefined; alpnProtocols: string[] } | undefined): void => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("error", onError);
    socket.off("end", onEnd);
    socket.pause();
    if (buffered.length > 0) socket.unshift(buffered);
    done(hello);
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const peek = peekClientHello(buffered);
    if (peek.status === "ok") finish(peek);
    else if (peek.status === "invalid" || buffered.length > MAX_CLIENT_HELLO_BYTES) finish(undefined);
  };
  const onError = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const onEnd = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(() => finish(undefined), PEEK_TIMEOUT_MS);
  timer.unref();
  socket.on("data", onData);
  socket.once("error", onError);
  socket.once("end", onEnd);
}
