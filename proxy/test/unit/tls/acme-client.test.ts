// AcmeClient protocol details with a scripted HTTP client (pebble covers the happy path end to end).

import { describe, expect, it } from "vitest";
import { AcmeClient, AcmeProblemError } from "../../../src/tls/acme/client.js";
import type { HttpClient, HttpResponse } from "../../../src/tls/acme/http.js";
import { generateAccountKey } from "../../../src/tls/acme/jws.js";

interface Call {
  method: string;
  url: string;
  nonce?: string;
}

function scripted(responses: Record<string, HttpResponse[]>): { http: HttpClient; calls: Call[] } {
  const calls: Call[] = [];
  const http: HttpClient = {
    async request(url, { method, body }) {
      const nonce = body ? (JSON.parse(Buffer.from(JSON.parse(body).protected, "base64url").toString()) as { nonce: string }).nonce : undefined;
      calls.push({ method, url, nonce });
      const queue = responses[`${method} ${url}`];
      const next = queue?.shift();
      if (!next) throw new Error(`unexpected ${method} ${url}`);
      return next;
    },
    close() {},
  };
  return { http, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  body: Buffer.from(JSON.stringify(body)),
});
const directory = json(200, { newNonce: "https://ca/nonce", newAccount: "https://ca/acct", newOrder: "https://ca/order" });

describe("AcmeClient", () => {
  it("retries a badNonce rejection with the fresh nonce the CA sent along", async () => {
    const { http, calls } = scripted({
      "GET https://ca/dir": [directory],
      "HEAD https://ca/nonce": [{ status: 200, headers: { "replay-nonce": "first" }, body: Buffer.alloc(0) }],
      "POST https://ca/acct": [
        json(400, { type: "urn:ietf:params:acme:error:badNonce", detail: "stale" }, { "replay-nonce": "second" }),
        json(201, { status: "valid" }, { location: "https://ca/acct/1", "replay-nonce": "third" }),
      ],
    });
    const client = new AcmeClient("https://ca/dir", generateAccountKey(), http);
    await expect(client.register(undefined)).resolves.toBe("https://ca/acct/1");
    expect(calls.filter((call) => call.method === "POST").map((call) => call.nonce)).toEqual(["first", "second"]);
  });

  it("turns a problem document into an error carrying the detail, type and subproblems", async () => {
    const { http } = scripted({
      "GET https://ca/dir": [directory],
      "HEAD https://ca/nonce": [{ status: 200, headers: { "replay-nonce": "n" }, body: Buffer.alloc(0) }],
      "POST https://ca/acct": [json(201, {}, { location: "https://ca/acct/1", "replay-nonce": "n2" })],
      "POST https://ca/order": [
        json(400, {
          type: "urn:ietf:params:acme:error:rejectedIdentifier",
          detail: "Error creating new order",
          subproblems: [{ type: "urn:ietf:params:acme:error:rejectedIdentifier", detail: "bad.test is blocked" }],
        }, { "retry-after": "120" }),
      ],
    });
    const client = new AcmeClient("https://ca/dir", generateAccountKey(), http);
    await client.register("ops@example.com");
    const failure = await client.newOrder(["bad.test"]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AcmeProblemError);
    expect((failure as AcmeProblemError).message).toBe(
      "ACME new order for bad.test failed: Error creating new order (rejectedIdentifier); bad.test is blocked (rejectedIdentifier)",
    );
    expect((failure as AcmeProblemError).retryAfterMs).toBe(120_000);
  });

  it("refuses a directory that requires external account binding with a clear message", async () => {
    const { http } = scripted({
      "GET https://ca/dir": [json(200, { newNonce: "https://ca/nonce", newAccount: "https://ca/acct", newOrder: "https://ca/order", meta: { externalAccountRequired: true } })],
    });
    const client = new AcmeClient("https://ca/dir", generateAccountKey(), http);
    await expect(client.register(undefined)).rejects.toThrow(
      "ACME directory https://ca/dir requires external account binding, which is not supported yet",
    );
  });
});
