// `docker push` by this machine's Docker Engine API, where the docker CLI here talks to a daemon on
// a unix socket: the push's progress stream shows a registry that stopped answering in the middle
// of an upload, which `docker push` waits for forever. The push then fails after REGISTRY_STALL_MS
// of silence, naming the registry. Elsewhere (a TCP or ssh:// DOCKER_HOST, a docker context,
// BERTH_DOCKER_API=off, a test's or a plan's stand-in transport) it is the command, as Kamal runs it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dockerApi, render, type Cmd } from "../commands/index.js";
import { socketFromProbe } from "../commands/docker-api.js";
import type { BatchStep } from "../commands/batch.js";
import { shellSplit } from "../secrets/shellwords.js";
import { CommandFailedError } from "../transport/index.js";
import { DockerApiClient } from "../transport/docker-api.js";
import { runApiStep } from "./docker-api.js";
import type { LocalOptions, Run } from "./run.js";

const clients = new WeakMap<Run, Promise<DockerApiClient | undefined>>();

/** Runs a local push command (`docker push REF`) by the API where it can, else as the command. */
export async function pushLocally(run: Run, command: Cmd, options: LocalOptions): Promise<void> {
  const reference = pushedReference(command);
  const client = reference === undefined || run.config.registry.local ? undefined : await localApi(run);
  if (client === undefined || reference === undefined) {
    await run.local(command, options);
    return;
  }
  const registry = run.config.registry;
  const auth = dockerApi.registryAuth(registry.username().value, registry.password().value, registry.server);
  const step: BatchStep = { command, api: [dockerApi.pushImage(reference, auth)] };
  const result = await runApiStep(run, "localhost", step, client, options.level ?? "info", "(Docker API, on this machine)");
  if (result.code !== 0) throw new CommandFailedError("localhost", render(command), result.code, result.stdout, result.stderr);
}

/** The image of a plain `docker push REF`, else undefined. */
function pushedReference(command: Cmd): string | undefined {
  const words = shellSplit(render(command, { redact: false }));
  return words.length === 3 && words[0] === "docker" && words[1] === "push" ? words[2] : undefined;
}

/** This machine's daemon, when the docker CLI here would use it through a unix socket and it answers. */
function localApi(run: Run): Promise<DockerApiClient | undefined> {
  let client = clients.get(run);
  if (client === undefined) {
    client = (async () => {
      if (!run.localIsReal || /^(off|false|0|no)$/i.test(run.env.BERTH_DOCKER_API ?? "")) return undefined;
      const socket = socketFromProbe([run.env.DOCKER_HOST ?? "", run.env.DOCKER_CONTEXT ?? "", currentContextLine(run.env)].join("\n"));
      if (socket === undefined) return undefined;
      const opened = new DockerApiClient(socket);
      run.onExit(() => opened.close());
      return (await opened.ping()) ? opened : undefined;
    })();
    clients.set(run, client);
  }
  return client;
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
