// What the data path needs from the running server.
import type { ServiceMap } from "../server/service-map.js";
import type { ConnectionTimeouts } from "./client-connection.js";
import type { JsonLogger } from "./access-log.js";
import type { Metrics } from "./metrics.js";

export interface ProxyContext {
  /** The router (main thread) or its mirror (worker threads): only the routing table is read. */
  readonly router: { readonly map: ServiceMap };
  readonly logger: JsonLogger;
  /** The ACME HTTP-01 answer for a token, if one is pending; null when TLS is not set up. */
  readonly httpChallenge: ((host: string, token: string, callback: (answer: string | undefined) => void) => void) | null;
  /** Public HTTPS port, for redirects (omitted from the URL when 443). */
  httpsPort: number;
  readonly metrics: Metrics | null;
  readonly timeouts: ConnectionTimeouts;
}
