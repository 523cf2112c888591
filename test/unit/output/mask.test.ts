import { describe, expect, it } from "vitest";
import { quote } from "../../../src/core/cmd.js";
import { SecretMasker } from "../../../src/output/mask.js";

describe("SecretMasker", () => {
  it("replaces every occurrence of a registered value", () => {
    const masker = new SecretMasker();
    masker.add("s3cr3t-token");
    expect(masker.mask("token=s3cr3t-token and again s3cr3t-token")).toBe("token=[REDACTED] and again [REDACTED]");
  });

  it("leaves text alone when nothing is registered, and ignores values too short to mask", () => {
    const masker = new SecretMasker();
    expect(masker.mask("a line")).toBe("a line");
    masker.add("no");
    expect(masker.mask("no secrets here, no")).toBe("no secrets here, no");
  });

  it("masks the escaped forms a value takes inside printed commands", () => {
    const masker = new SecretMasker();
    const value = 'pa"ss$word`x';
    masker.add(value);
    expect(masker.mask(`--env DB=${quote(value)}`)).toBe('--env DB="[REDACTED]"');
    masker.add("it's-secret");
    expect(masker.mask("echo 'it'\\''s-secret'")).toBe("echo '[REDACTED]'");
    expect(masker.mask(JSON.stringify({ line: value }))).toBe('{"line":"[REDACTED]"}');
  });

  it("masks a longer secret whole even when it contains a shorter one", () => {
    const masker = new SecretMasker();
    masker.add("abcd");
    masker.add("abcdefgh");
    expect(masker.mask("abcdefgh")).toBe("[REDACTED]");
  });

  it("masks each line of a multi-line secret (a PEM printed line by line)", () => {
    const masker = new SecretMasker();
    masker.add("-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----");
    expect(masker.mask("\tMIIEvQIBADANBgkqhkiG9w0B")).toBe("\t[REDACTED]");
  });

  it("treats regular-expression characters in secrets literally", () => {
    const masker = new SecretMasker();
    masker.add("a.b*c(d)");
    expect(masker.mask("xa.b*c(d)y aXbbc(d)")).toBe("x[REDACTED]y aXbbc(d)");
  });
});
