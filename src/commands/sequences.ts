// Kamal sequences the orchestration may send as one batch (see batch.ts), each with why it is
// safe: the steps run on the same host, in Kamal's order, with Kamal's failure handling, and the
// orchestration needs no output of one step to build the next.
//
// Batchable:
// - lock: `mkdir -p .kamal` + lock acquire on the primary host (other hosts only need the mkdir).
//   A held lock still fails the acquire step with "cannot create directory".
// - pull: audit + `docker image rm --force` (failure allowed) + `docker pull` + label check, per host.
// - proxy boot: `docker network create kamal` (failure allowed: "already exists") + proxy version
//   (failure allowed: no container yet) + `mkdir -p` apps-config + start-or-run. One difference:
//   Kamal refuses to start a proxy older than the minimum version before start-or-run; batched,
//   the version is checked from the step's output afterwards (same error), so a stopped old proxy
//   may have been started when the error is raised.
// - app boot prepare: audit + `mkdir -p` env directory + the env-file upload (the one stdin step).
// - stale containers and cleanup after a boot: old version stop (failure allowed) + asset and
//   error-page clean-up.
// - prune: the three prune pipelines (each already tolerates nothing to do).
//
// Not batchable (the next command depends on the output of the previous): the clashing-container
// check before `docker rename`, the current-version lookup before `docker run` (its result is the
// old version to stop), the container id lookup before `kamal-proxy deploy`, health polling.
import type { Configuration } from "../config/index.js";
import type { Cmd } from "./cmd.js";
import * as auditor from "./auditor.js";
import { batch } from "./batch.js";
import type { Batch } from "./batch.js";
import * as builderHosts from "./builder/hosts.js";
import * as docker from "./docker.js";
import * as lock from "./lock.js";
import type { LockDetails } from "./lock.js";
import * as prune from "./prune.js";
import * as proxy from "./proxy/container.js";
import type { TagContext } from "./tags.js";

/** `mkdir -p .kamal` then the lock acquire, on the primary host. */
export function lockAcquire(config: Configuration, details: LockDetails, nonce: string): Batch {
  return batch(
    [
      { command: lock.ensureRunDirectory(config), label: "ensure run directory" },
      { command: lock.acquire(config, details), label: "lock acquire" },
    ],
    { nonce },
  );
}

/** Audit, remove the local copy, pull, check the `service` label: one host's image pull. */
export function pullImage(config: Configuration, context: TagContext, nonce: string): Batch {
  return batch(
    [
      { command: auditor.record(config, context, `Pulled image with version ${config.version}`), label: "audit" },
      { command: builderHosts.clean(config), allowFailure: true, label: "remove old image" },
      { command: builderHosts.pull(config), label: "pull" },
      { command: builderHosts.validateImage(config), label: "label check" },
    ],
    { nonce },
  );
}

/** Network, version check, apps-config directory and start-or-run of the proxy on one host. */
export function proxyBoot(config: Configuration, host: string, nonce: string): Batch {
  return batch(
    [
      { command: docker.createNetwork(), allowFailure: true, label: "network create" },
      { command: proxy.version(), allowFailure: true, label: "proxy version" },
      { command: proxy.ensureAppsConfigDirectory(config), label: "apps-config directory" },
      { command: proxy.startOrRun(config, host), label: "proxy start or run" },
    ],
    { nonce },
  );
}

/** The three prune pipelines (containers first, so their images become unused). */
export function pruneAll(config: Configuration, nonce: string): Batch {
  return batch(
    [
      { command: prune.appContainers(config), label: "prune containers" },
      { command: prune.danglingImages(config), label: "prune dangling images" },
      { command: prune.taggedImages(config), label: "prune tagged images" },
    ],
    { nonce },
  );
}

/** Any commands that tolerate each other's failure (e.g. stopping an old version then cleaning up). */
export function tolerant(commands: readonly Cmd[], nonce: string): Batch {
  return batch(
    commands.map((command) => ({ command, allowFailure: true })),
    { nonce },
  );
}
