// A self-signed EC certificate for the TLS tests (openssl, as a user's own certificate would be made).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface SelfSigned {
  readonly certPath: string;
  readonly keyPath: string;
  /** The certificate's PEM, for clients to trust. */
  readonly cert: string;
}

/** `cert.pem` and `key.pem` in `dir`, for `names` (the first is the CN), valid for two days. */
export function selfSignedCertificate(dir: string, names: readonly string[]): SelfSigned {
  const certPath = path.join(dir, "cert.pem");
  const keyPath = path.join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${names.map((name) => `DNS:${name}`).join(",")}`,
    "-keyout", keyPath, "-out", certPath,
  ], { stdio: "ignore" });
  return { certPath, keyPath, cert: fs.readFileSync(certPath, "utf8") };
}
