import { describe, expect, it } from "vitest";
import { render } from "../../../src/core/cmd.js";
import { BASE_CONFIG, harness } from "./fake.js";
import { app as appCommands } from "../../../src/commands/index.js";

describe("proxy commands on the control socket", () => {
  it("sends a deploy's flags as the shell would pass the docker exec command's to the proxy", async () => {
    const { config } = await harness(`${BASE_CONFIG}proxy:\n  host: app.example.com\n  app_port: 3000\n`);
    const role = config.roles[0]!;
    const deploy = appCommands.proxy.deploy(config, role, "0123456789ab");
    expect(render(deploy)).toBe(`docker exec kamal-proxy ${render(deploy.proxyCommand)}`);
    expect(deploy.argv).toEqual([
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
});
