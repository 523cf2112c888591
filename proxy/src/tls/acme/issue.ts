// One issuance for one host: order → authorization → challenge (falling through the configured types with
// a fresh order each, like autocert) → finalize with a CSR → download the chain.

import type { KeyObject } from "node:crypto";
import { createSecureContext } from "node:tls";
import type { AcmeChallengeType, TlsLogger } from "../index.js";
import type { ChallengeRegistry } from "../challenges.js";
import { TlsError, errorMessage } from "../errors.js";
import { createCsr, createTlsAlpnCertificate, derToPem, generateCertificateKey } from "../x509-build.js";
import { describeProblem, type AcmeAuthorization, type AcmeChallenge, type AcmeClient, type AcmeOrder } from "./client.js";
import { keyAuthorization, type AccountKey } from "./jws.js";

export interface IssueContext {
  client: AcmeClient;
  accountKey: AccountKey;
  challenges: ChallengeRegistry;
  challengeOrder: AcmeChallengeType[];
  logger: TlsLogger;
}

export interface IssuedCertificate {
  chainPem: string;
  key: KeyObject;
}

export async function issueCertificate(host: string, context: IssueContext): Promise<IssuedCertificate> {
  const failures: string[] = [];
  let nextType = 0;
  while (true) {
    const { url: orderUrl, order } = await context.client.newOrder([host]);
    let authorized = true;
    for (const authorizationUrl of order.status === "pending" ? order.authorizations : []) {
      const authorization = await context.client.authorization(authorizationUrl);
      if (authorization.status === "valid") continue;
      if (authorization.status !== "pending") {
        throw new TlsError(`ACME authorization for ${host} is ${authorization.status}`, "TLS::AcmeError");
      }
      let challenge: AcmeChallenge | undefined;
      while (!challenge && nextType < context.challengeOrder.length) {
        const type = context.challengeOrder[nextType++];
        challenge = authorization.challenges.find((candidate) => candidate.type === type);
      }
      if (!challenge) {
        const tried = failures.length > 0 ? `: ${failures.join("; ")}` : "";
        throw new TlsError(
          `ACME could not validate ${host} with ${context.challengeOrder.join(" or ")}${tried}`,
          "TLS::AcmeError",
        );
      }
      const failure = await solve(host, authorizationUrl, challenge, context);
      if (failure) {
        failures.push(`${challenge.type}: ${failure}`);
        context.logger({ event: "tls.acme_challenge_failed", host, challenge: challenge.type, error: failure });
        authorized = false;
        break;
      }
    }
    if (!authorized) continue;
    return finalize(host, orderUrl, context);
  }
}

/** Returns undefined on success, or the CA's reason for rejecting the challenge. */
async function solve(host: string, authorizationUrl: string, challenge: AcmeChallenge, context: IssueContext): Promise<string | undefined> {
  const authorizationKey = keyAuthorization(challenge.token, context.accountKey);
  const cleanup = present(host, challenge, authorizationKey, context.challenges);
  try {
    await context.client.respond(challenge);
    const settled = await context.client.waitForAuthorization(authorizationUrl);
    if (settled.status === "valid") return undefined;
    return challengeError(settled, challenge.type);
  } catch (error) {
    return errorMessage(error);
  } finally {
    cleanup();
  }
}

function present(host: string, challenge: AcmeChallenge, authorizationKey: string, challenges: ChallengeRegistry): () => void {
  if (challenge.type === "http-01") {
    challenges.addHttp(host, challenge.token, authorizationKey);
    return () => challenges.removeHttp(challenge.token);
  }
  const key = generateCertificateKey();
  const certificate = derToPem(createTlsAlpnCertificate(key, host, authorizationKey), "CERTIFICATE");
  const secureContext = createSecureContext({ cert: certificate, key: key.export({ type: "pkcs8", format: "pem" }) });
  challenges.addAlpn(host, secureContext);
  return () => challenges.removeAlpn(host);
}

function challengeError(authorization: AcmeAuthorization, type: string): string {
  const failed = authorization.challenges.find((candidate) => candidate.type === type && candidate.error);
  return failed?.error ? describeProblem(failed.error) : `authorization ${authorization.status}`;
}

async function finalize(host: string, orderUrl: string, context: IssueContext): Promise<IssuedCertificate> {
  const { client } = context;
  let order: AcmeOrder = await client.waitForOrder(orderUrl, (current) => current.status !== "pending");
  // Only an order we finalize ourselves has a certificate for a key we hold.
  if (order.status !== "ready") throw orderError(host, order);
  const key = generateCertificateKey();
  await client.finalize(order, createCsr(key, [host]));
  order = await client.waitForOrder(orderUrl, (current) => current.status === "valid" || current.status === "invalid");
  if (order.status !== "valid" || !order.certificate) throw orderError(host, order);
  const chainPem = await client.downloadCertificate(order.certificate);
  return { chainPem, key };
}

function orderError(host: string, order: AcmeOrder): TlsError {
  const reason = order.error ? describeProblem(order.error) : `order is ${order.status}`;
  return new TlsError(`ACME order for ${host} failed: ${reason}`, "TLS::AcmeError");
}
