import { afterEach, describe, expect, it } from "vitest";
import { cmd } from "../../../src/commands/cmd.js";
import { checkImageLabel, pullImage, registryAuth, renameContainer, stopContainer } from "../../../src/commands/docker-api.js";
import { dockerApiOf, openDockerApi } from "../../../src/deploy/docker-api.js";
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

const rename = { command: cmd("docker", "rename", "a", "b"), label: "rename", api: [renameContainer("a", "b")] };

describe("run.batch with the host's Docker API open", () => {
  it("sends the steps that carry requests to the API and the others to the shell, in order", async () => {
    const { run, servers, daemon, forwarded } = await withDaemon();
    openDockerApi(run, HOST);
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
    openDockerApi(run, HOST);
    const error = await run.batch(HOST, [rename, cmd("echo", "after")]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toContain("docker rename a b");
    expect((error as Error).message).toContain('Error response from daemon: Conflict. The container name "/b" is already in use');
    expect(servers.commandsOn(HOST)).not.toContain("echo after");

    daemon.refusals.push([/POST \/containers\/gone\/stop/, 404, "No such container: gone"]);
    const stop = { command: cmd("docker", "stop", "gone"), allowFailure: true, api: [stopContainer("gone")] };
    const [stopped, after] = await run.batch(HOST, [stop, cmd("echo", "after")]);
    expect(stopped).toMatchObject({ code: 1, stderr: "Error response from daemon: No such container: gone\n" });
    expect(after).toMatchObject({ code: 0 });
  });

  it("keeps the docker commands where the host's docker uses another daemon, with BERTH_DOCKER_API=off, or without forwarding", async () => {
    for (const probe of ["tcp://10.0.0.9:2375\n\n", "\nremote\n", '\n\n"currentContext": "rootless"\n']) {
      const { run, servers, forwarded } = await withDaemon(probe);
      openDockerApi(run, HOST);
      await run.batch(HOST, [rename]);
      expect(forwarded).toEqual([]);
      expect(servers.commandsOn(HOST)).toContain("docker rename a b");
    }

    const off = await withDaemon("\n\n", { env: { BERTH_DOCKER_API: "off" } });
    openDockerApi(off.run, HOST);
    expect(await dockerApiOf(off.run, HOST)).toBeUndefined();
    await off.run.batch(HOST, [rename]);
    expect(off.daemon.requests).toEqual([]);
    expect(off.servers.commandsOn(HOST)).toEqual(["docker rename a b"]);

    const plain = await harness(BASE_CONFIG, { secrets: { REGISTRY_PASSWORD: "pw" } });
    openDockerApi(plain.run, HOST);
    await plain.run.batch(HOST, [rename]);
    expect(plain.servers.commandsOn(HOST)).toEqual(["docker rename a b"]);
  });
});

describe("the pull by the host's Docker API", () => {
  const image = "registry.example:5000/team/app:999";
  const pull = { command: cmd("docker", "pull", image), label: "pull", api: [pullImage(image, registryAuth("deployer", "pw", "registry.example:5000"))] };
  const label = { command: cmd("docker", "inspect", "..."), label: "label check", api: [checkImageLabel(image, "service", "app")] };

  it("pulls with the registry's credentials in the request, and checks the label by inspecting the image", async () => {
    const { run, servers, daemon } = await withDaemon();
    openDockerApi(run, HOST);
    const [pulled, checked] = await run.batch(HOST, [pull, label]);
    expect(daemon.requests).toEqual(["GET /_ping", "POST /images/create?fromImage=registry.example%3A5000%2Fteam%2Fapp&tag=999", `GET /images/${image}/json`]);
    expect(daemon.registryAuths).toEqual([{ username: "deployer", password: "pw", serveraddress: "registry.example:5000" }]);
    expect(servers.commandsOn(HOST).filter((command) => command.startsWith("docker"))).toEqual([]);
    expect(pulled).toMatchObject({ code: 0 });
    expect(checked).toMatchObject({ code: 0, stdout: "app\n" });
  });

  it("fails like `docker pull` when the stream reports an error, and on an image without the label", async () => {
    const { run, daemon } = await withDaemon();
    openDockerApi(run, HOST);
    daemon.transfers = "error";
    const failed = await run.batch(HOST, [pull]).catch((caught: unknown) => caught);
    expect(failed).toBeInstanceOf(CommandFailedError);
    expect((failed as Error).message).toContain(`docker pull ${image} exit status: 1`);
    expect((failed as Error).message).toContain("connection refused");

    const unlabelled = { ...label, api: [checkImageLabel(image, "service", "other")] };
    daemon.transfers = "ok";
    await run.batch(HOST, [pull]);
    const refused = await run.batch(HOST, [unlabelled]).catch((caught: unknown) => caught);
    expect((refused as Error).message).toContain(`Image ${image} is missing the 'service' label`);
  });

  it("fails a pull that reports no progress for BERTH_REGISTRY_STALL_TIMEOUT, where docker pull would wait forever", async () => {
    const { run, daemon } = await withDaemon("\n\n", { env: { BERTH_REGISTRY_STALL_TIMEOUT: "0.3" } });
    openDockerApi(run, HOST);
    daemon.transfers = "stall";
    const started = performance.now();
    const stalled = await run.batch(HOST, [pull]).catch((caught: unknown) => caught);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(stalled).toBeInstanceOf(CommandFailedError);
    expect((stalled as CommandFailedError).host).toBe(HOST);
    expect((stalled as Error).message).toContain(`docker pull ${image} exit status: 1`);
    expect((stalled as Error).message).toContain("no progress for 0.3 s: the registry stopped answering");
  });
});
