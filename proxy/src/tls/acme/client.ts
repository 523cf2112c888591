// RFC 8555 client: directory, nonces, account, orders, authorizations, challenges, finalize, download.
// Orchestration (which challenge, retries across challenge types) lives in issue.ts.

import { setTimeout as sleep } from "node:timers/promises";
import { TlsError } from "../errors.js";
import type { HttpClient, HttpResponse } from "./http.js";
import { base64url, signJws, type AccountKey } from "./jws.js";

export interface AcmeDirectory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  meta?: { termsOfService?: string; externalAccountRequired?: boolean };
}

export interface AcmeProblem {
  type?: string;
  detail?: string;
  status?: number;
  subproblems?: AcmeProblem[];
}

export interface AcmeChallenge {
  type: string;
  url: string;
  token: string;
  status: "pending" | "processing" | "valid" | "invalid";
  error?: AcmeProblem;
}

export interface AcmeAuthorization {
  status: "pending" | "valid" | "invalid" | "deactivated" | "expired" | "revoked";
  identifier: { type: string; value: string };
  challenges: AcmeChallenge[];
}

export interface AcmeOrder {
  status: "pending" | "ready" | "processing" | "valid" | "invalid";
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: AcmeProblem;
}

/** A problem document from the CA; the message carries its type and detail (RFC 7807). */
export class AcmeProblemError extends TlsError {
  constructor(
    readonly action: string,
    readonly problem: AcmeProblem,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`ACME ${action} failed: ${describeProblem(problem)}`, "TLS::AcmeError");
  }
}

export function describeProblem(problem: AcmeProblem): string {
  const type = (problem.type ?? "unknown").replace("urn:ietf:params:acme:error:", "");
  const subproblems = (problem.subproblems ?? []).map((sub) => describeProblem(sub));
  const main = problem.detail ? `${problem.detail} (${type})` : type;
  return subproblems.length > 0 ? `${main}; ${subproblems.join("; ")}` : main;
}

const BAD_NONCE = "urn:ietf:params:acme:error:badNonce";
const MAX_NONCE_RETRIES = 3;
const POLL_START_MS = 200;
const POLL_MAX_MS = 3000;

export class AcmeClient {
  private directoryPromise: Promise<AcmeDirectory> | undefined;
  private readonly nonces: string[] = [];
  private accountUrl: string | undefined;

  constructor(
    private readonly directoryUrl: string,
    private readonly key: AccountKey,
    private readonly http: HttpClient,
    private readonly pollTimeoutMs = 120_000,
  ) {}

  directory(): Promise<AcmeDirectory> {
    this.directoryPromise ??= this.loadDirectory().catch((error: unknown) => {
      this.directoryPromise = undefined;
      throw error;
    });
    return this.directoryPromise;
  }

  /** newAccount is idempotent for a key: it returns the existing account's URL (our kid). */
  async register(email: string | undefined): Promise<string> {
    const directory = await this.directory();
    if (directory.meta?.externalAccountRequired) {
      throw new TlsError(`ACME directory ${this.directoryUrl} requires external account binding, which is not supported yet`);
    }
    const payload: Record<string, unknown> = { termsOfServiceAgreed: true };
    if (email) payload.contact = [`mailto:${email}`];
    const response = await this.post("account registration", directory.newAccount, payload, { useJwk: true });
    const location = header(response, "location");
    if (!location) throw new TlsError(`ACME account registration at ${this.directoryUrl} returned no account URL`);
    this.accountUrl = location;
    return location;
  }

  async newOrder(hosts: string[]): Promise<{ url: string; order: AcmeOrder }> {
    const directory = await this.directory();
    const response = await this.post(`new order for ${hosts.join(", ")}`, directory.newOrder, {
      identifiers: hosts.map((value) => ({ type: "dns", value })),
    });
    const url = header(response, "location");
    if (!url) throw new TlsError(`ACME new order for ${hosts.join(", ")} returned no order URL`);
    return { url, order: json<AcmeOrder>(response) };
  }

  async authorization(url: string): Promise<AcmeAuthorization> {
    return json<AcmeAuthorization>(await this.post("authorization fetch", url, undefined));
  }

  async order(url: string): Promise<AcmeOrder> {
    return json<AcmeOrder>(await this.post("order fetch", url, undefined));
  }

  /** Tells the CA the challenge is ready to be validated. */
  async respond(challenge: AcmeChallenge): Promise<void> {
    await this.post(`${challenge.type} challenge response`, challenge.url, {});
  }

  async finalize(order: AcmeOrder, csrDer: Buffer): Promise<void> {
    await this.post("order finalize", order.finalize, { csr: base64url(csrDer) });
  }

  async downloadCertificate(url: string): Promise<string> {
    const response = await this.post("certificate download", url, undefined, { accept: "application/pem-certificate-chain" });
    return response.body.toString("utf8");
  }

  /** Polls an authorization until it leaves pending/processing. */
  async waitForAuthorization(url: string): Promise<AcmeAuthorization> {
    return this.poll(url, (body: AcmeAuthorization) => body.status !== "pending", "authorization");
  }

  /** Polls an order until it is ready/valid/invalid (after challenges) or valid/invalid (after finalize). */
  async waitForOrder(url: string, settled: (order: AcmeOrder) => boolean): Promise<AcmeOrder> {
    return this.poll(url, settled, "order");
  }

  private async poll<T>(url: string, settled: (body: T) => boolean, what: string): Promise<T> {
    const deadline = Date.now() + this.pollTimeoutMs;
    let delay = POLL_START_MS;
    while (true) {
      const response = await this.post(`${what} poll`, url, undefined);
      const body = json<T>(response);
      if (settled(body)) return body;
      if (Date.now() > deadline) throw new TlsError(`ACME ${what} ${url} did not settle within ${this.pollTimeoutMs} ms`);
      const retryAfter = retryAfterMs(response);
      await sleep(Math.min(retryAfter ?? delay, POLL_MAX_MS * 3));
      delay = Math.min(delay * 1.5, POLL_MAX_MS);
    }
  }

  private async loadDirectory(): Promise<AcmeDirectory> {
    const response = await this.http.request(this.directoryUrl, { method: "GET" });
    if (response.status !== 200) {
      throw new TlsError(`ACME directory ${this.directoryUrl} answered HTTP ${response.status}`);
    }
    const directory = json<AcmeDirectory>(response);
    if (!directory.newNonce || !directory.newAccount || !directory.newOrder) {
      throw new TlsError(`ACME directory ${this.directoryUrl} lacks newNonce/newAccount/newOrder`);
    }
    return directory;
  }

  private async nonce(): Promise<string> {
    const pooled = this.nonces.pop();
    if (pooled) return pooled;
    const directory = await this.directory();
    const response = await this.http.request(directory.newNonce, { method: "HEAD" });
    const nonce = header(response, "replay-nonce");
    if (!nonce) throw new TlsError(`ACME ${directory.newNonce} returned no Replay-Nonce`);
    return nonce;
  }

  private async post(
    action: string,
    url: string,
    payload: unknown,
    options: { useJwk?: boolean; accept?: string } = {},
  ): Promise<HttpResponse> {
    if (!options.useJwk && !this.accountUrl) throw new Error(`ACME ${action} before account registration`);
    for (let attempt = 0; ; attempt++) {
      const jws = signJws(this.key, { url, nonce: await this.nonce(), kid: options.useJwk ? undefined : this.accountUrl }, payload);
      const response = await this.http.request(url, {
        method: "POST",
        headers: { "content-type": "application/jose+json", ...(options.accept ? { accept: options.accept } : {}) },
        body: JSON.stringify(jws),
      });
      const nonce = header(response, "replay-nonce");
      if (nonce) this.nonces.push(nonce);
      if (response.status < 400) return response;
      const problem = parseProblem(response);
      if (problem.type === BAD_NONCE && attempt < MAX_NONCE_RETRIES) continue;
      throw new AcmeProblemError(action, problem, response.status, retryAfterMs(response));
    }
  }
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function json<T>(response: HttpResponse): T {
  try {
    return JSON.parse(response.body.toString("utf8")) as T;
  } catch {
    throw new TlsError(`ACME server sent a response that is not JSON (HTTP ${response.status})`);
  }
}

function parseProblem(response: HttpResponse): AcmeProblem {
  try {
    const parsed = JSON.parse(response.body.toString("utf8")) as AcmeProblem;
    return typeof parsed === "object" && parsed !== null ? parsed : { detail: `HTTP ${response.status}` };
  } catch {
    return { detail: `HTTP ${response.status}: ${response.body.toString("utf8").slice(0, 200)}` };
  }
}

function retryAfterMs(response: HttpResponse): number | undefined {
  const value = header(response, "retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
