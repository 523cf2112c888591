import { describe, expect, it } from "vitest";
import { cmd } from "../../../src/core/cmd.js";
import { proxyArguments } from "../../../src/deploy/proxy-control.js";
import { BASE_CONFIG, harness } from "./fake.js";
import { app as appCommands } from "../../../src/commands/index.js";

describe("proxy commands on the control socket", () => {
  it("takes the kamal-proxy arguments of a docker exec command as the shell would pass them", async () => {
    const { config } = await harness(`${BASE_CONFIG}proxy:\n  host: app.example.com\n  app_port: 3000\n`);
    const role = config.roles[0]!;
    expect(proxyArguments(appCommands.proxy.deploy(config, role, "0123456789ab"))).toEqual([
      "deploy",
      "app-web",
      "--target=0123456789ab:3000",
      "--host=app.example.com",
      "--deploy-timeout=30s",
      "--drain-timeout=30s",
      "--buffer-requests",
      "--buffer-responses",
      "--log-request-header=Cache-Control",
      "--log-request-header=Last-Modified",
      "--log-request-header=User-Agent",
    ]);
  });

  it("leaves any other command to the shell", () => {
    expect(proxyArguments(cmd("docker", "exec", "other", "kamal-proxy", "list"))).toBeUndefined();
    expect(proxyArguments(cmd("docker", "ps"))).toBeUndefined();
  });
});
