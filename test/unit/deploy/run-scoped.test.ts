// Run.scoped: the run narrowed to some hosts (and another version's configuration), as
// `upgrade --rolling` uses it per host. What it selects follows the hosts; what the command holds
// (the connection, the lock) stays the run's, whichever view changes it.
import { describe, expect, it } from "vitest";
import { loadConfigFromSources } from "../../../src/config/index.js";
import { BASE_CONFIG, harness, secretsOf } from "./fake.js";

describe("Run.scoped", () => {
  it("selects only its hosts, with the configuration given, and shares the transport and lock state with the run", async () => {
    const { run, servers } = await harness(BASE_CONFIG, { secrets: { REGISTRY_PASSWORD: "pw" } });
    const other = loadConfigFromSources({ base: { file: "config/deploy.yml", text: BASE_CONFIG }, cwd: run.cwd, env: {}, version: "111", secrets: secretsOf({ REGISTRY_PASSWORD: "pw" }) });
    const scoped = run.scoped({ hosts: ["10.0.0.2"], config: other });

    expect(scoped.selection.hosts).toEqual(["10.0.0.2"]);
    expect(scoped.globals.hosts).toEqual(["10.0.0.2"]);
    expect(scoped.config.version).toBe("111");
    expect(run.selection.hosts).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(run.config.version).toBe("999");

    scoped.holdingLock = true;
    expect(run.holdingLock).toBe(true);
    run.holdingLock = false;
    expect(scoped.holdingLock).toBe(false);

    await run.exec("10.0.0.1", { parts: ["true"] });
    await scoped.exec("10.0.0.2", { parts: ["true"] });
    expect(run.stats().connectionsOpened).toBe(2);
    expect(servers.recorded.map((entry) => entry.host)).toEqual(["10.0.0.1", "10.0.0.2"]);
  });
});
