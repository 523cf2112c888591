// The part of the TLS module's CertificateStore that the router and listeners use, so the server
// depends on these six members only (tests hand it small fakes).
import type { CertificateStore } from "../tls/index.js";

export type { TlsServiceSettings } from "../tls/index.js";

export type CertificateStoreLike = Pick<CertificateStore, "setService" | "removeService" | "sniCallback" | "httpChallenge" | "alpnProtocols" | "close">;
