// `berth doctor`'s probes, as data. Every one only reads: the host probe is one batch (one round
// trip), the Docker facts are Engine API requests over the SSH connection (or docker CLI reads
// where the API can't be reached), the registry login is the daemon's `POST /auth`, which checks
// the credentials with the registry from the host and stores nothing (`docker login` would write
// them to the SSH user's ~/.docker/config.json).
import type { BatchStep } from "./batch.js";
import { cmd, Redacted, singleQuote, type Cmd } from "../core/cmd.js";
import { endpointProbe, inspectContainer, type DockerApiCall } from "./docker-api.js";
import { probe, type Probe } from "./operation.js";
import { docker } from "./shared.js";

/** Docker's data root unless its daemon says otherwise. */
export const DEFAULT_DOCKER_ROOT = "/var/lib/docker";

/** Labels of the host probe's steps, in order (see parseHostProbe). */
export const HOST_PROBE_LABELS = ["user", "docker cli", "docker server", "docker endpoint", "listening", "disk", "addresses", "clock"] as const;
export type HostProbeLabel = (typeof HOST_PROBE_LABELS)[number];

/** `df -Pk <path>`: the filesystem holding the path, in 1 KiB blocks, one line per filesystem. */
export function diskFree(path: string): Cmd {
  return cmd("df", "-Pk", path);
}

/**
 * Everything doctor reads on a host in one round trip, each step allowed to fail: who the SSH
 * user is, whether the docker CLI exists and its daemon answers (its error names a stopped daemon
 * or a refused socket), which daemon the CLI talks to, the listening TCP sockets, free disk under
 * Docker's default root, the host's addresses, and the clock last (it is compared with the moment
 * the answer arrives, half a round trip later).
 */
export function hostProbe(): BatchStep[] {
  const steps: Record<HostProbeLabel, Cmd> = {
    user: cmd("id", "-un"),
    "docker cli": cmd("command", "-v", "docker"),
    "docker server": docker("version", "--format", "'{{.Server.Version}}'"),
    "docker endpoint": endpointProbe(),
    // Local address:port (hex) of every socket in state 0A, LISTEN.
    listening: cmd("awk", `'$4 == "0A" { print $2 }'`, "/proc/net/tcp", "/proc/net/tcp6", "2>/dev/null"),
    disk: cmd(diskFree(DEFAULT_DOCKER_ROOT), "2>/dev/null", "||", diskFree("/")),
    addresses: cmd("hostname", "-I", "2>/dev/null", "||", "true"),
    clock: cmd("date", "-u", "+%s.%N"),
  };
  return HOST_PROBE_LABELS.map((label) => ({ command: steps[label], label, allowFailure: true }));
}

/** `GET /info`: version, data root, insecure registries. */
export function dockerInfo(): DockerApiCall {
  return { method: "GET", path: "/info" };
}

/** `GET /networks/NAME` (404: none). */
export function inspectNetwork(name: string): DockerApiCall {
  return { method: "GET", path: `/networks/${encodeURIComponent(name)}` };
}

/** `GET /containers/kamal-proxy/json` (404: none). */
export function inspectProxy(name: string): DockerApiCall {
  return inspectContainer(name);
}

/**
 * `POST /auth`: the daemon logs in to the registry with these credentials, from the host, and
 * answers 200 or the registry's refusal. Nothing is stored. `server` undefined is Docker Hub.
 */
export function registryAuth(server: string | undefined, username: Redacted, password: Redacted): DockerApiCall {
  const body = { username: username.value, password: password.value, serveraddress: server ?? "https://index.docker.io/v1/" };
  return { method: "POST", path: "/auth", body: new Redacted(JSON.stringify(body)) };
}

/** The docker CLI's reads of the same facts, where the API can't be reached: one JSON document each. */
export function dockerReadsByCli(network: string, proxyContainer: string): BatchStep[] {
  return [
    { command: docker("info", "--format", "'{{json .}}'"), label: "info", allowFailure: true },
    { command: docker("network", "inspect", network), label: "network", allowFailure: true },
    { command: docker("container", "inspect", proxyContainer), label: "proxy", allowFailure: true },
  ];
}

// This machine: reads only (probes, as the builder's are) ------------------------------------

/** Docker here: the daemon's facts, or the error saying why it doesn't answer. */
export function localDockerInfo(): Probe {
  return probe(docker("info", "--format", "'{{json .}}'"));
}

/** The daemon a remote builder (`builder.remote`, e.g. `ssh://builder@1.2.3.4`) reaches. */
export function remoteBuilderVersion(remote: string): Probe {
  return probe(docker("--host", remote, "version", "--format", "'{{.Server.Version}}'"));
}

export function commandExists(name: string): Probe {
  return probe(cmd("command", "-v", name));
}

/** Repository root and HEAD (fails outside a repository, or before the first commit), the branch, then uncommitted changes. */
export function gitState(): Probe {
  return probe(cmd("git", "rev-parse", "--show-toplevel", "HEAD", "&&", "git", "rev-parse", "--abbrev-ref", "HEAD", "&&", "echo", "---", "&&", "git", "status", "--porcelain"));
}

/** Succeeds when the file is committed (a build from a clone of HEAD needs it there). */
export function gitTracks(path: string): Probe {
  return probe(cmd("git", "ls-files", "--error-unmatch", "--", singleQuote(path)));
}
