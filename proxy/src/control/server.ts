// Server side of the control channel: decodes each call and runs it on the router.
import fs from "node:fs";
import http from "node:http";
import { ProxyError, type Router } from "../server/router.js";
import {
  defaultServiceOptions,
  defaultTargetOptions,
  DEFAULT_DEPLOY_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_PAUSE_TIMEOUT_MS,
  type DeployArgs,
} from "../server/options.js";
import { VERSION } from "../version.js";
import { PROTOCOL_VERSION } from "./protocol.js";

type Body = Record<string, unknown>;

const str = (body: Body, key: string): string => (typeof body[key] === "string" ? (body[key] as string) : "");
const num = (body: Body, key: string, fallback: number): number =>
  typeof body[key] === "number" && Number.isFinite(body[key]) ? (body[key] as number) : fallback;
const list = (body: Body, key: string): string[] =>
  Array.isArray(body[key]) ? (body[key] as unknown[]).filter((item): item is string => typeof item === "string") : [];

export function deployArgsFromJson(body: Body): DeployArgs {
  const serviceOptions = { ...defaultServiceOptions(), ...(body.serviceOptions as object | undefined) };
  const defaults = defaultTargetOptions();
  const targetInput = (body.targetOptions as Partial<DeployArgs["targetOptions"]> | undefined) ?? {};
  const targetOptions = {
    ...defaults,
    ...targetInput,
    healthCheck: { ...defaults.healthCheck, ...(targetInput.healthCheck ?? {}) },
  };
  return {
    service: str(body, "service"),
    targets: list(body, "targets"),
    readers: list(body, "readers"),
    deployTimeoutMs: num(body, "deployTimeoutMs", DEFAULT_DEPLOY_TIMEOUT_MS),
    drainTimeoutMs: num(body, "drainTimeoutMs", DEFAULT_DRAIN_TIMEOUT_MS),
    force: body.force === true,
    serviceOptions,
    targetOptions,
  };
}

async function handle(router: Router, command: string, body: Body): Promise<Body> {
  const service = str(body, "service");
  switch (command) {
    case "deploy":
      await router.deploy(deployArgsFromJson(body));
      return {};
    case "remove":
      router.remove(service);
      return {};
    case "pause":
      await router.pause(service, num(body, "drainTimeoutMs", DEFAULT_DRAIN_TIMEOUT_MS), num(body, "pauseTimeoutMs", DEFAULT_PAUSE_TIMEOUT_MS));
      return {};
    case "stop":
      await router.stop(service, num(body, "drainTimeoutMs", DEFAULT_DRAIN_TIMEOUT_MS), str(body, "message"));
      return {};
    case "resume":
      router.resume(service);
      return {};
    case "list":
      return { services: router.list() };
    case "rollout-deploy":
      await router.rolloutDeploy({
        service,
        targets: list(body, "targets"),
        readers: list(body, "readers"),
        deployTimeoutMs: num(body, "deployTimeoutMs", DEFAULT_DEPLOY_TIMEOUT_MS),
        drainTimeoutMs: num(body, "drainTimeoutMs", DEFAULT_DRAIN_TIMEOUT_MS),
      });
      return {};
    case "rollout-set":
      router.rolloutSet(service, num(body, "percent", 0), list(body, "allowlist"));
      return {};
    case "rollout-stop":
      router.rolloutStop(service);
      return {};
    case "version":
      return { version: VERSION, protocol: PROTOCOL_VERSION };
    default:
      throw new ProxyError(`unknown command ${JSON.stringify(command)}`);
  }
}

export class ControlServer {
  private readonly server: http.Server;

  constructor(
    private readonly router: Router,
    private readonly log: (event: Record<string, unknown>) => void,
  ) {
    this.server = http.createServer((request, response) => void this.serve(request, response));
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
  }

  listen(socketPath: string): Promise<void> {
    try {
      fs.rmSync(socketPath, { force: true }); // a stale socket from a previous run
    } catch {
      // not ours to remove; listen reports it
    }
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(socketPath, () => {
        this.server.removeListener("error", reject);
        resolve();
      });
    });
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const command = (request.url ?? "/").slice(1);
    let status = 200;
    let answer: Body;
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = (text === "" ? {} : JSON.parse(text)) as Body;
      answer = { ok: true, ...(await handle(this.router, command, body)) };
    } catch (error) {
      status = error instanceof ProxyError ? 400 : 500;
      answer = { error: (error as Error).message };
      this.log({ msg: "Command failed", level: status === 400 ? "INFO" : "ERROR", command, error: (error as Error).message });
    }
    const payload = JSON.stringify(answer);
    response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) });
    response.end(payload);
  }
}
