// `berth proxy …` (Kamal's cli/proxy.rb).

import { Option, type Command } from "commander";
import { choiceArgument, confirmedOption, flag, group, leaf, numberOption, repeatableOption, stringOption } from "../define.js";
import { logsOptions } from "./app.js";

const proxy = () => import("../actions/proxy.js");

function rollingOptions(command: Command): Command {
  flag(command, "--rolling", "Reboot proxy on hosts in sequence, rather than in parallel");
  return confirmedOption(command);
}

export function registerProxyCommands(program: Command): void {
  const g = group(program, "proxy", "Manage kamal-proxy");
  leaf(g, "boot", "Boot proxy on servers", async () => (await proxy()).boot);

  const bootConfig = leaf(g, "boot_config", "Manage kamal-proxy boot configuration", async () => (await proxy()).bootConfig);
  choiceArgument(bootConfig, "<subcommand>", "set, get or reset", ["set", "get", "reset"]);
  flag(bootConfig, "--publish", "Publish the proxy ports on the host", true);
  repeatableOption(bootConfig, "--publish-host-ip <ip>", "Host IP address to bind HTTP/HTTPS traffic to. Defaults to all interfaces");
  numberOption(bootConfig, "--http-port <port>", "HTTP port to publish on the host", 80);
  numberOption(bootConfig, "--https-port <port>", "HTTPS port to publish on the host", 443);
  stringOption(bootConfig, "--log-max-size <size>", "Max size of proxy logs", "10m");
  stringOption(bootConfig, "--registry <registry>", "Registry to use for the proxy image");
  stringOption(bootConfig, "--repository <repository>", "Repository for the proxy image");
  stringOption(bootConfig, "--image-version <version>", "Version of the proxy to run");
  numberOption(bootConfig, "--metrics-port <port>", "Port to report prometheus metrics on");
  flag(bootConfig, "--debug", "Whether to run the proxy in debug mode");
  bootConfig.addOption(
    new Option("--docker-options <option=value...>", "Docker options to pass to the proxy container").default([]),
  );

  rollingOptions(
    leaf(g, "reboot", "Reboot proxy on servers (stop container, remove container, start new container)", async () => (await proxy()).reboot),
  );
  rollingOptions(
    leaf(
      g,
      "upgrade",
      "Upgrade to kamal-proxy on servers (stop container, remove container, start new container, reboot app)",
      async () => (await proxy()).upgrade,
      { hidden: true },
    ),
  );
  leaf(g, "start", "Start existing proxy container on servers", async () => (await proxy()).start);
  leaf(g, "stop", "Stop existing proxy container on servers", async () => (await proxy()).stop);
  leaf(g, "restart", "Restart existing proxy container on servers", async () => (await proxy()).restart);
  leaf(g, "details", "Show details about proxy container from servers", async () => (await proxy()).details);
  logsOptions(leaf(g, "logs", "Show log lines from proxy on servers", async () => (await proxy()).logs), { grepOptions: false });
  flag(
    leaf(g, "remove", "Remove proxy container and image from servers", async () => (await proxy()).remove),
    "--force",
    "Force removing proxy when apps are still installed",
  );

  const hidden = { hidden: true };
  leaf(g, "remove_container", "Remove proxy container from servers", async () => (await proxy()).removeContainer, hidden);
  leaf(g, "remove_image", "Remove proxy image from servers", async () => (await proxy()).removeImage, hidden);
  leaf(g, "remove_proxy_directory", "Remove the proxy directory from servers", async () => (await proxy()).removeProxyDirectory, hidden);
}
