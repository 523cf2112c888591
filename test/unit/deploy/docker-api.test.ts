import { afterEach, describe, expect, it } from "vitest";
import { cmd } from "../../../src/core/cmd.js";
import { containerRename, containerStop } from "../../../src/commands/container.js";
import { CommandFailedError } from "../../../src/transport/index.js";
import { FakeDockerDaemon } from "./fake-docker-api.js";
import { BASE_CONFIG, harness, type Harness, type HarnessOptions } from "./fake.js";

const HOST = "10.0.0.1";
const daemons: FakeDockerDaemon[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((daemon) => daemon.close()));
});

/** A run over fake servers whose SSH forwards to a fake daemon; `probe` is what the host's environment answers. */
async function withDaemon(probe = "\n\n", options: HarnessOptions = {}): Promise<Harness & { daemon: FakeDockerDaemon; forwarded: string[] }> {
  const daemon = await FakeDockerDaemon.start("");
  daemons.push(daemon);
  const setup = await harness(BASE_CONFIG, {
    secrets: { REGISTRY_PASSWORD: "pw" },
    ...options,
    responder: (_host, command) => (command.startsWith("printf '%s\\n' \"${DOCKER_HOST-}\"") ? { stdout: probe } : undefined),
  });
  const forwarded: string[] = [];
  setup.servers.forwardUnixSocket = async (_host, remotePath) => {
    forwarded.push(remotePath);
    return daemon.socket;
  };
  return { ...setup, daemon, forwarded };
}

const rename = { command: containerRename("a", "b"), label: "rename" };

describe("run.batch with the host's Docker API open", () => {
  it("sends the steps that carry requests to the API and the others to the shell, in order", async () => {
    const { run, servers, daemon, forwarded } = await withDaemon();
    run.services.dockerApi.openOn(HOST);
    const results = await run.batch(HOST, [cmd("echo", "before"), rename, cmd("echo", "after")]);
    expect(forwarded).toEqual(["/var/run/docker.sock"]);
    expect(daemon.requests).toEqual(["GET /_ping", "POST /containers/a/rename?name=b"]);
    expect(servers.commandsOn(HOST).filter((command) => command.startsWith("echo") || command.startsWith("docker"))).toEqual(["echo before", "echo after"]);
    expect(results.map((result) => [result.index, result.label, result.code])).toEqual([
      [0, undefined, 0],
      [1, "rename", 0],
      [2, undefined, 0],
    ]);
  });

  it("fails like the command would on a refused request, and runs nothing after it; a step allowed to fail goes on", async () => {
    const { run, servers, daemon } = await withDaemon();
    daemon.refusals.push([/POST \/containers\/a\/rename/, 409, 'Conflict. The container name "/b" is already in use']);
    run.services.dockerApi.openOn(HOST);
    const error = await run.batch(HOST, [rename, cmd("echo", "after")]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toContain("docker rename a b");
    expect((error as Error).message).toContain('Error response from daemon: Conflict. The container name "/b" is already in use');
    expect(servers.commandsOn(HOST)).not.toContain("echo after");

    daemon.refusals.push([/POST \/containers\/gone\/stop/, 404, "No such container: gone"]);
    const stop = { command: containerStop("gone"), allowFailure: true };
    const [stopped, after] = await run.batch(HOST, [stop, cmd("echo", "after")]);
    expect(stopped).toMatchObject({ code: 1, stderr: "Error response from daemon: No such container: gone\n" });
    expect(after).toMatchObject({ code: 0 });
  });

  it("keeps the docker commands where the host's docker uses another daemon, with BERTH_DOCKER_API=off, or without forwarding", async () => {
    for (const probe of ["tcp://10.0.0.9:2375\n\n", "\nremote\n", '\n\n"currentContext": "rootless"\n']) {
      const { run, servers, forwarded } = await withDaemon(probe);
      run.services.dockerApi.openOn(HOST);
      await run.batch(HOST, [rename]);
      expect(forwarded).toEqual([]);
      expect(servers.commandsOn(HOST)).toContain("docker rename a b");
    }

    const off = await withDaemon("\n\n", { env: { BERTH_DOCKER_API: "off" } });
    off.run.services.dockerApi.openOn(HOST);
    expect(await off.run.services.dockerApi.carries(HOST, rename.command)).toBe(false);
    await off.run.batch(HOST, [rename]);
    expect(off.daemon.requests).toEqual([]);
    expect(off.servers.commandsOn(HOST)).toEqual(["docker rename a b"]);

    const plain = await harness(BASE_CONFIG, { secrets: { REGISTRY_PASSWORD: "pw" } });
    plain.run.services.dockerApi.openOn(HOST);
    await plain.run.batch(HOST, [rename]);
    expect(plain.servers.commandsOn(HOST)).toEqual(["docker rename a b"]);
  });
});
