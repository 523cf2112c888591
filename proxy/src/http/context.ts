// What the data path needs from the running server.
import type { Router } from "../server/router.js";
import type { CertificateStoreLike } from "../server/tls-contract.js";
import type { JsonLogger } from "./access-log.js";
import type { Metrics } from "./metrics.js";

export interface ProxyContext {
  readonly router: Router;
  readonly logger: JsonLogger;
  readonly certificates: CertificateStoreLike | null;
  /** Public HTTPS port, for redirects (omitted from the URL when 443). */
  httpsPort: number;
  readonly metrics: Metrics | null;
}
