// Starts Let's Encrypt's pebble (ACME test CA) and pebble-challtestsrv (its DNS) on 127.0.0.1 with free
// ports, for integration tests against a real ACME peer. Every name resolves to 127.0.0.1, and pebble
// validates HTTP-01 / TLS-ALPN-01 on the ports the test's servers listen on. Stopped by PID.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface PebbleOptions {
  /** Port pebble connects to for HTTP-01 (the test's HTTP server). */
  httpPort: number;
  /** Port pebble connects to for TLS-ALPN-01 (the test's HTTPS server). */
  tlsPort: number;
  /** Extra pebble environment, e.g. { PEBBLE_AUTHZREUSE: "100" }. */
  env?: Record<string, string>;
}

export interface Pebble {
  directoryUrl: string;
  managementUrl: string;
  /** PEM of the self-signed certificate pebble's own HTTPS uses: trust it as the ACME client's CA bundle. */
  caBundlePath: string;
  /** PEM of the root that issued certificates chain to (GET /roots/0 on the management port). */
  issuingRootPem: string;
  /** Recent output of both processes, for assertion messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const workDir = await mkdtemp(join(tmpdir(), "berth-pebble-"));
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)));
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const certificatePath = join(workDir, "pebble-cert.pem");
    const keyPath = join(workDir, "pebble-key.pem");
    await execFileAsync("openssl", [
      "req", "-x509", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-days", "1",
      "-subj", "/CN=pebble", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout", keyPath, "-out", certificatePath,
    ]);
    const [listenPort, managementPort, dnsPort, challtestManagementPort] = await distinctFreePorts(4);
    const configPath = join(workDir, "pebble-config.json");
    await writeFile(
      configPath,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${listenPort}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: certificatePath,
          privateKey: keyPath,
          httpPort: options.httpPort,
          tlsPort: options.tlsPort,
          ocspResponderURL: "",
          externalAccountBindingRequired: false,
        },
      }),
    );
    children.push(
      launch(
        "pebble-challtestsrv",
        [
          "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
          "-dns01", `127.0.0.1:${dnsPort}`, "-http01", "", "-https01", "", "-tlsalpn01", "",
          "-management", `127.0.0.1:${challtestManagementPort}`,
        ],
        {},
        logs,
      ),
    );
    children.push(
      launch(
        "pebble",
        ["-config", configPath, "-dnsserver", `127.0.0.1:${dnsPort}`],
        { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0", ...options.env },
        logs,
      ),
    );
    const ca = await readFile(certificatePath, "utf8");
    const directoryUrl = `https://127.0.0.1:${listenPort}/dir`;
    const managementUrl = `https://127.0.0.1:${managementPort}`;
    await waitFor(() => fetchText(directoryUrl, ca), 15_000, "pebble directory", logs);
    await waitFor(() => fetchText(`http://127.0.0.1:${challtestManagementPort}/`, ca, true), 15_000, "challtestsrv", logs);
    const issuingRootPem = await fetchText(`${managementUrl}/roots/0`, ca);
    return {
      directoryUrl,
      managementUrl,
      caBundlePath: certificatePath,
      issuingRootPem,
      output: () => logs.join("").slice(-8000),
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`pebble did not start: ${error instanceof Error ? error.message : String(error)}\n${logs.join("").slice(-4000)}`);
  }
}

function launch(command: string, args: string[], env: Record<string, string>, logs: string[]): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const record = (chunk: Buffer): void => {
    logs.push(`[${command}] ${chunk.toString("utf8")}`);
    if (logs.length > 400) logs.splice(0, logs.length - 400);
  };
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);
  child.on("error", (error) => logs.push(`[${command}] spawn error: ${error.message}\n`));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid, "SIGTERM");
  const stopped = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
  if (!stopped && child.exitCode === null) {
    process.kill(child.pid, "SIGKILL");
    await exited;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** GET over HTTPS trusting `ca` (or plain HTTP); any HTTP answer counts when `anyStatus`. */
function fetchText(url: string, ca: string, anyStatus = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    const onResponse = (response: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        if (anyStatus || response.statusCode === 200) resolve(Buffer.concat(chunks).toString("utf8"));
        else reject(new Error(`${url} answered ${response.statusCode}`));
      });
    };
    const req =
      parsed.protocol === "https:"
        ? httpsRequest(parsed, { ca, timeout: 2000 }, onResponse)
        : httpRequest(parsed, { timeout: 2000 }, onResponse);
    req.on("timeout", () => req.destroy(new Error(`${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

async function waitFor(probe: () => Promise<unknown>, timeoutMs: number, what: string, logs: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
      await sleep(100);
    }
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms: ${String(lastError)}\n${logs.join("").slice(-2000)}`);
}
