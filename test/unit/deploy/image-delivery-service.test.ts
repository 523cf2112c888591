// The run's image delivery against a fake run: every host's registry listening and forwarded at
// once (not one host after the other), once per run; a refused forward told apart as a port in
// use on the host or sshd refusing forwards. The serving itself is tested in test/unit/delivery
// and against real hosts in test/integration/delivery.
import { afterEach, describe, expect, it } from "vitest";
import { ImageDelivery, type DeliveryAccess } from "../../../src/deploy/image-delivery.js";
import { Output } from "../../../src/output/index.js";
import { RemoteForwardRefused, type RunResult } from "../../../src/transport/index.js";
import { configFrom } from "../commands/helpers.js";

const HOSTS = ["1.1.1.1", "1.1.1.2"];
const CONFIG = `service: app
image: my-user/my-app
registry:
  server: localhost:5555
servers:
${HOSTS.map((host) => `  - ${host}`).join("\n")}
builder:
  arch: amd64
`;
/** /proc/net/tcp with 127.0.0.1:5555 listening. */
const PORT_TAKEN = `  sl  local_address rem_address   st
   0: 0100007F:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
`;

const deliveries: ImageDelivery[] = [];
afterEach(async () => {
  for (const delivery of deliveries.splice(0)) await delivery.close();
});

function fakeRun(forward: DeliveryAccess["forwardPortHere"], tables = ""): { access: DeliveryAccess; delivery: ImageDelivery } {
  const ignore = { write: () => true };
  const access: DeliveryAccess = {
    config: configFrom(CONFIG),
    env: process.env,
    output: new Output({ stdout: ignore, stderr: ignore }),
    say: () => undefined,
    exec: async (host) => ({ host, code: 0, stdout: tables, stderr: "", durationMs: 1 }) satisfies RunResult,
    on: (hosts, work) => Promise.all(hosts.map(work)),
    forwardsPorts: async () => true,
    forwardPortHere: forward,
  };
  const delivery = new ImageDelivery(access);
  deliveries.push(delivery);
  return { access, delivery };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms))]);

describe("ImageDelivery", () => {
  it("forwards every host's port at once, each to its own socket, once per run", async () => {
    const asked: { host: string; port: number; socket: string }[] = [];
    let bothAsked!: () => void;
    const together = new Promise<void>((resolve) => (bothAsked = resolve));
    const { delivery } = fakeRun(async (host, port, socket) => {
      asked.push({ host, port, socket });
      if (asked.length === HOSTS.length) bothAsked();
      await together; // one host after the other would never get here
    });
    await within(delivery.openTo(HOSTS), 5000);
    expect(asked.map(({ host, port }) => `${host} ${port}`).sort()).toEqual(["1.1.1.1 5555", "1.1.1.2 5555"]);
    expect(new Set(asked.map(({ socket }) => socket)).size).toBe(2);
    await delivery.openTo(HOSTS);
    expect(asked).toHaveLength(2);
    expect([...delivery.sent().keys()].sort()).toEqual(HOSTS);
  });

  it("names a host whose port is in use", async () => {
    const { delivery } = fakeRun(async (host, port) => {
      throw new RemoteForwardRefused(host, port, `remote port forwarding failed for listen port ${port}`);
    }, PORT_TAKEN);
    await expect(delivery.openTo(["1.1.1.1"])).rejects.toThrow("Port 5555 on 1.1.1.1 is in use already, so the host can't pull from Berth there");
  });

  it("names a host whose sshd refuses forwarding, and what to change", async () => {
    const { delivery } = fakeRun(async (host, port) => {
      throw new RemoteForwardRefused(host, port, `remote port forwarding failed for listen port ${port}`);
    });
    const refused = delivery.openTo(["1.1.1.2"]);
    await expect(refused).rejects.toThrow("1.1.1.2 refused to forward its port 5555 to this machine (ssh: remote port forwarding failed for listen port 5555)");
    await expect(refused).rejects.toThrow("AllowTcpForwarding yes");
  });

  it("tries a host again after a failed forward", async () => {
    let calls = 0;
    const { delivery } = fakeRun(async (host, port) => {
      if (++calls === 1) throw new RemoteForwardRefused(host, port, "remote port forwarding failed for listen port 5555");
    });
    await expect(delivery.openTo(["1.1.1.1"])).rejects.toThrow(/refused to forward/);
    await delivery.openTo(["1.1.1.1"]);
    expect(calls).toBe(2);
  });
});
