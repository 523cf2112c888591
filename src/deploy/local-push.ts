// `docker push` by this machine's Docker Engine API, where the docker CLI here talks to a daemon on
// a unix socket: the push's progress stream shows a registry that stopped answering in the middle
// of an upload, which `docker push` waits for forever (see transfer.ts). Elsewhere (a TCP or
// ssh:// DOCKER_HOST, a docker context, BERTH_DOCKER_API=off, Kamal's local registry, a test's or
// a plan's stand-in for local commands) the push is the command, as Kamal runs it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { registryAuth, socketFromProbe } from "../commands/docker-api.js";
import type { ImagePush } from "../commands/image-transfer.js";
import type { Operation } from "../commands/operation.js";
import { render } from "../core/cmd.js";
import { CommandFailedError, LOCAL_HOST } from "../transport/index.js";
import { DockerApiClient } from "../transport/docker-api.js";
import { showAsCommand } from "./display.js";
import type { LocalOptions, Run } from "./run.js";
import { carryTransfer } from "./transfer.js";

/** Runs a local build step; an image push goes by this machine's Docker API where it can. */
export async function runLocalStep(run: Run, step: Operation, options: LocalOptions): Promise<void> {
  const client = step.kind === "image-push" && !run.config.registry.local ? await localDockerApi(run) : undefined;
  if (client === undefined || step.kind !== "image-push") {
    await run.local(step, options);
    return;
  }
  const registry = run.config.registry;
  const push: ImagePush = { ...step, auth: registryAuth(registry.username().value, registry.password().value, registry.server) };
  const context = { env: run.env, ...(options.signal === undefined ? {} : { signal: options.signal }) };
  const result = await showAsCommand(run.output, { host: LOCAL_HOST, command: push, wrapped: "(Docker API, on this machine)", level: options.level ?? "info" }, async (print) => {
    const outcome = await carryTransfer(client, push, context);
    if (outcome.stderr !== "") print("stderr", outcome.stderr);
    return outcome;
  });
  if (result.code !== 0) throw new CommandFailedError(LOCAL_HOST, render(push), result.code, result.stdout, result.stderr);
}

/** This machine's daemon, once per run, when the docker CLI here would use it through a unix socket and it answers. */
function localDockerApi(run: Run): Promise<DockerApiClient | undefined> {
  run.services.once.localDockerApi ??= (async () => {
    if (!run.localIsReal || /^(off|false|0|no)$/i.test(run.env.BERTH_DOCKER_API ?? "")) return undefined;
    const socket = socketFromProbe([run.env.DOCKER_HOST ?? "", run.env.DOCKER_CONTEXT ?? "", currentContextLine(run.env)].join("\n"));
    if (socket === undefined) return undefined;
    const client = new DockerApiClient(socket);
    run.onExit(() => client.close());
    return (await client.ping()) ? client : undefined;
  })();
  return run.services.once.localDockerApi;
}

/** The `"currentContext": "…"` of the docker CLI's config here, as endpointProbe's grep prints it. */
function currentContextLine(env: Readonly<Record<string, string | undefined>>): string {
  const directory = env.DOCKER_CONFIG ?? (env.HOME === undefined ? undefined : join(env.HOME, ".docker"));
  if (directory === undefined) return "";
  try {
    const current = (JSON.parse(readFileSync(join(directory, "config.json"), "utf8")) as { currentContext?: unknown }).currentContext;
    return typeof current === "string" ? `"currentContext": "${current}"` : "";
  } catch {
    return "";
  }
}
