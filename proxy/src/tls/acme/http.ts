// HTTPS for the ACME client on node:https: a keep-alive agent per directory, an optional extra CA bundle
// (pebble, private CAs) added to Node's roots, and a hard per-request timeout.

import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { rootCertificates } from "node:tls";
import { TlsError } from "../errors.js";

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpClient {
  request(url: string, options: { method: "GET" | "HEAD" | "POST"; headers?: Record<string, string>; body?: string }): Promise<HttpResponse>;
  close(): void;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

export function createHttpClient(options: { extraCaPem?: string; timeoutMs: number; userAgent: string }): HttpClient {
  const ca = options.extraCaPem ? [...rootCertificates, options.extraCaPem] : undefined;
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(ca ? { ca } : {}) });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  return {
    request(url, { method, headers = {}, body }) {
      const parsed = new URL(url);
      const secure = parsed.protocol === "https:";
      const send = secure ? httpsRequest : httpRequest;
      return new Promise<HttpResponse>((resolve, reject) => {
        const request = send(
          parsed,
          {
            method,
            agent: secure ? httpsAgent : httpAgent,
            headers: { "user-agent": options.userAgent, ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            let size = 0;
            response.on("data", (chunk: Buffer) => {
              size += chunk.length;
              if (size > MAX_RESPONSE_BYTES) {
                request.destroy(new TlsError(`ACME response from ${url} exceeds ${MAX_RESPONSE_BYTES} bytes`));
                return;
              }
              chunks.push(chunk);
            });
            response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
            response.on("error", reject);
          },
        );
        request.setTimeout(options.timeoutMs, () =>
          request.destroy(new TlsError(`ACME request ${method} ${url} timed out after ${options.timeoutMs} ms`)),
        );
        request.on("error", (error) =>
          reject(error instanceof TlsError ? error : new TlsError(`ACME request ${method} ${url} failed: ${error.message}`)),
        );
        request.end(body);
      });
    },
    close() {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}
