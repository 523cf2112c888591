// A service as saved in the state file and as listed to the CLI, and a saved one rebuilt.
import type { NameResolver } from "./name-resolver.js";
import type { ServiceDescription } from "./router-contract.js";
import { RolloutController } from "./rollout.js";
import { buildLoadBalancer, Service } from "./service.js";
import type { ServiceRecord } from "./state.js";

export function serviceRecord(service: Service): ServiceRecord {
  return {
    name: service.name,
    options: service.options,
    targetOptions: service.targetOptions,
    activeTargets: service.active?.targetNames() ?? [],
    activeReaders: service.active?.readerNames() ?? [],
    rolloutTargets: service.rollout?.targetNames() ?? [],
    rolloutReaders: service.rollout?.readerNames() ?? [],
    pause: { state: service.pause.state, stopMessage: service.pause.stopMessage, failAfterMs: service.pause.failAfterMs },
    rollout:
      service.rolloutController === null
        ? null
        : { percentage: service.rolloutController.percentage, allowlist: [...service.rolloutController.allowlist] },
  };
}

/** The saved service with its balancers built but not started. */
export function serviceFromRecord(record: ServiceRecord, resolver: NameResolver): Service {
  const service = new Service(record.name, record.options, record.targetOptions);
  service.active = buildLoadBalancer(record.activeTargets, record.activeReaders, record.options, record.targetOptions, resolver);
  if (record.rolloutTargets.length > 0) {
    service.rollout = buildLoadBalancer(record.rolloutTargets, record.rolloutReaders, record.options, record.targetOptions, resolver);
  }
  if (record.pause.state === "paused") service.pause.pause(record.pause.failAfterMs);
  if (record.pause.state === "stopped") service.pause.stop(record.pause.stopMessage);
  if (record.rollout !== null) service.rolloutController = new RolloutController(record.rollout.percentage, record.rollout.allowlist);
  return service;
}

export function describeService(service: Service): ServiceDescription {
  return {
    service: service.name,
    host: service.options.hosts.length === 0 ? "*" : service.options.hosts.join(","),
    path: service.options.pathPrefixes.join(","),
    target: service.active?.targetNames().join(",") ?? "",
    state: service.pause.state,
    tls: service.options.tlsEnabled,
  };
}
