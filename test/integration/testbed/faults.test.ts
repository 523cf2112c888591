// The test bed's fault injection: the registry stopped, frozen, or cut off from this machine or
// from the hosts (refused, blackholed, stalled, also once a transfer carried some bytes), and a
// host's small docker disk filled up. Each fault is checked from both sides, and healed.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type BaseImages, type Testbed, type TestHost } from "../../../testbed/index.js";

const run = promisify(execFile);

let bed: Testbed;
let h1: TestHost;
let images: BaseImages;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 1, name: "testbed-faults", dockerDiskMb: 256 });
  h1 = bed.hosts[0]!;
  images = await ensureBaseImages({ push: true });
});

afterAll(async () => {
  await bed?.stop();
});

afterEach(async () => {
  await bed.registryFaults.heal();
  await bed.fillDisk(h1, undefined);
});

/** curl's view of GET /v2/ from this machine or from the host: "answered", "refused", "no connection", "no answer". */
async function probe(from: "machine" | TestHost): Promise<string> {
  const command = `curl -s -o /dev/null -w '%{http_code} %{time_connect}' --connect-timeout 2 -m 3 http://${bed.registry}/v2/; echo " $?"`;
  const result = from === "machine" ? await run("sh", ["-c", command]).then((out) => out.stdout) : (await from.exec(command)).stdout;
  const [status, connectTime, exit] = result.trim().split(" ");
  if (status === "200") return "answered";
  if (exit === "7") return "refused";
  if (exit === "28") return Number(connectTime) > 0 ? "no answer" : "no connection";
  return `curl: ${result}`;
}

describe("registry faults", () => {
  it("stops the registry (refused everywhere) and starts it again with its images", async () => {
    await bed.registryFaults.stop();
    expect(await probe("machine")).toBe("refused");
    expect(await probe(h1)).toBe("refused");
    await bed.registryFaults.heal();
    expect(await probe("machine")).toBe("answered");
    expect((await h1.exec(`docker pull -q ${images.busybox}`)).code).toBe(0);
  });

  it("freezes the registry: connections open, nothing answers", async () => {
    await bed.registryFaults.pause();
    expect(await probe("machine")).toBe("no answer");
    expect(await probe(h1)).toBe("no answer");
    await bed.registryFaults.heal();
    expect(await probe(h1)).toBe("answered");
  });

  it("cuts the path from the hosts only, or from this machine only", async () => {
    const cases = [
      ["hosts", "refuse", "refused"],
      ["hosts", "blackhole", "no connection"],
      ["hosts", "stall", "no answer"],
      ["machine", "refuse", "refused"],
      ["machine", "blackhole", "no connection"],
      ["machine", "stall", "no answer"],
    ] as const;
    for (const [side, fault, expected] of cases) {
      await bed.registryFaults.cut(side, fault);
      const seen = { machine: await probe("machine"), host: await probe(h1) };
      expect(seen, `${fault} from ${side}`).toEqual(side === "hosts" ? { machine: "answered", host: expected } : { machine: expected, host: "answered" });
      await bed.registryFaults.heal();
    }
    expect(await probe(h1)).toBe("answered");
  });

  it("stalls transfers once they have carried a number of bytes, in either direction", async () => {
    const manifest = await h1.exec(`curl -s -m 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' http://${bed.registry}/v2/berth-test/node/manifests/20`);
    const layer = (JSON.parse(manifest.stdout) as { layers: { digest: string; size: number }[] }).layers[0]!;
    expect(layer.size).toBeGreaterThan(5_000_000);
    await bed.registryFaults.cut("hosts", "stall", { afterBytes: 1_000_000 });
    expect(await probe(h1)).toBe("answered"); // small requests go through
    const download = await h1.exec(`curl -s -o /tmp/stalled -m 3 http://${bed.registry}/v2/berth-test/node/blobs/${layer.digest}; echo $?`);
    expect(download.stdout.trim()).toBe("28");
    const got = Number((await h1.exec("stat -c %s /tmp/stalled")).stdout.trim());
    expect(got).toBeGreaterThan(500_000);
    expect(got).toBeLessThan(2_000_000);
    await bed.registryFaults.heal();

    // From this machine: an upload that stops after 1 MB, while the registry still answers.
    await bed.registryFaults.cut("machine", "stall", { afterBytes: 1_000_000 });
    expect(await probe("machine")).toBe("answered");
    const upload = await run("sh", ["-c", `head -c 4000000 /dev/zero | curl -s -o /dev/null -m 3 -X POST --data-binary @- http://${bed.registry}/v2/berth-test/stall/blobs/uploads/; echo $?`]);
    expect(upload.stdout.trim()).toBe("28");
    await bed.registryFaults.heal();
    expect(await probe("machine")).toBe("answered");
  });
});

describe("a small docker disk", () => {
  it("fills the host's /var/lib/docker and frees it again", async () => {
    await h1.exec("docker image rm -f $(docker image ls -q) >/dev/null 2>&1; true");
    await bed.fillDisk(h1, 1);
    const pull = await h1.exec(`docker pull ${images.node}`);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toContain("no space left on device");
    await bed.fillDisk(h1, undefined);
    expect((await h1.exec(`docker pull -q ${images.node}`)).code).toBe(0);
    // The machine's own disk is never filled.
    const machine = await run("df", ["-B1M", "--output=avail", "/"]);
    expect(Number(machine.stdout.split("\n")[1])).toBeGreaterThan(1000);
  });
});
