import { execFileSync } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCsr, createTlsAlpnCertificate, derToPem, generateCertificateKey } from "../../../src/tls/x509-build.js";

const dir = mkdtempSync(join(tmpdir(), "berth-x509-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

describe("createCsr", () => {
  it("produces a self-verifying PKCS#10 request with every host as a SAN", () => {
    const key = generateCertificateKey();
    const path = join(dir, "req.pem");
    writeFileSync(path, derToPem(createCsr(key, ["a.example.com", "b.example.com"]), "CERTIFICATE REQUEST"));
    const text = openssl(["req", "-in", path, "-noout", "-verify", "-text"]);
    expect(text).toContain("Subject: CN = a.example.com");
    expect(text).toMatch(/DNS:a\.example\.com, DNS:b\.example\.com/);
    expect(text).toContain("ecdsa-with-SHA256");
  });

  it("leaves the subject empty when the first host is too long for a CN", () => {
    const key = generateCertificateKey();
    const long = `${"x".repeat(60)}.example.com`;
    const path = join(dir, "long.pem");
    writeFileSync(path, derToPem(createCsr(key, [long]), "CERTIFICATE REQUEST"));
    const text = openssl(["req", "-in", path, "-noout", "-verify", "-text"]);
    expect(text).not.toContain("CN =");
    expect(text).toContain(`DNS:${long}`);
  });
});

describe("createTlsAlpnCertificate", () => {
  it("is self-signed for the host and carries the critical acmeIdentifier with SHA-256(keyAuthorization)", () => {
    const key = generateCertificateKey();
    const pem = derToPem(createTlsAlpnCertificate(key, "a.example.com", "token.thumbprint"), "CERTIFICATE");
    const certificate = new X509Certificate(pem);
    expect(certificate.subjectAltName).toBe("DNS:a.example.com");
    expect(certificate.checkPrivateKey(key)).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    const path = join(dir, "alpn.pem");
    writeFileSync(path, pem);
    expect(openssl(["x509", "-in", path, "-noout", "-text"])).toMatch(/1\.3\.6\.1\.5\.5\.7\.1\.31: critical/);
    // extnValue = OCTET STRING wrapping the DER OCTET STRING (04 20 …) of the digest.
    const digest = createHash("sha256").update("token.thumbprint").digest("hex").toUpperCase();
    const parsed = openssl(["asn1parse", "-in", path]);
    expect(parsed).toMatch(new RegExp(`:1\\.3\\.6\\.1\\.5\\.5\\.7\\.1\\.31\\n.*BOOLEAN\\s+:255\\n.*OCTET STRING\\s+\\[HEX DUMP\\]:0420${digest}`));
  });
});
