// kamal-proxy's verbs: `run` starts the server, every other verb is a thin client of the control
// socket.
import { callControl, socketWaitMs } from "../control/client.js";
import { socketPath } from "../control/protocol.js";
import type { ServiceDescription } from "../server/router.js";
import { VERSION } from "../version.js";
import { DEPLOY_FLAGS, PAUSE_FLAGS, ROLLOUT_DEPLOY_FLAGS, ROLLOUT_SET_FLAGS, RUN_FLAGS, STOP_FLAGS } from "./command-flags.js";
import { buildDeployArgs } from "./deploy-args.js";
import { boolFlag, FlagError, listFlag, numberFlag, stringFlag, type FlagSpec, type ParsedFlags } from "./flags.js";
import { formatList } from "./format-list.js";
import type { CliIo } from "./io.js";

export interface Command {
  names: string[];
  usage: string;
  short: string;
  flags: FlagSpec[];
  args: number;
  run(flags: ParsedFlags, io: CliIo): Promise<number>;
}

const client = (io: CliIo, command: Parameters<typeof callControl>[1], body: unknown): Promise<Record<string, unknown>> =>
  callControl(socketPath(io.env), command, body, socketWaitMs(io.env));

export const COMMANDS: Command[] = [
  {
    names: ["run"],
    usage: "run",
    short: "Run the server",
    flags: RUN_FLAGS,
    args: 0,
    // The server (and TLS) modules load only for `run`: the client commands Berth sends through
    // `docker exec` on every deploy start faster without them.
    run: async (flags, io) =>
      (await import("./run.js")).runServer(
        {
          debug: boolFlag(flags, "debug"),
          httpPort: numberFlag(flags, "http-port"),
          httpsPort: numberFlag(flags, "https-port"),
          metricsPort: numberFlag(flags, "metrics-port"),
          http3: boolFlag(flags, "http3"),
          acmeDirectory: stringFlag(flags, "tls-acme-directory"),
          acmeCaBundlePath: stringFlag(flags, "tls-acme-ca"),
        },
        io,
      ),
  },
  {
    names: ["deploy"],
    usage: "deploy <service>",
    short: "Deploy a target host",
    flags: DEPLOY_FLAGS,
    args: 1,
    run: async (flags, io) => {
      await client(io, "deploy", buildDeployArgs(flags, io.env));
      return 0;
    },
  },
  {
    names: ["remove", "rm"],
    usage: "remove <service>",
    short: "Remove the service",
    flags: [],
    args: 1,
    run: async (flags, io) => {
      await client(io, "remove", { service: flags.positionals[0] });
      return 0;
    },
  },
  {
    names: ["pause"],
    usage: "pause <service>",
    short: "Pause a service",
    flags: PAUSE_FLAGS,
    args: 1,
    run: async (flags, io) => {
      await client(io, "pause", { service: flags.positionals[0], drainTimeoutMs: numberFlag(flags, "drain-timeout"), pauseTimeoutMs: numberFlag(flags, "max-pause") });
      return 0;
    },
  },
  {
    names: ["stop"],
    usage: "stop <service>",
    short: "Stop a service",
    flags: STOP_FLAGS,
    args: 1,
    run: async (flags, io) => {
      await client(io, "stop", { service: flags.positionals[0], drainTimeoutMs: numberFlag(flags, "drain-timeout"), message: stringFlag(flags, "message") });
      return 0;
    },
  },
  {
    names: ["resume"],
    usage: "resume <service>",
    short: "Resume a service",
    flags: [],
    args: 1,
    run: async (flags, io) => {
      await client(io, "resume", { service: flags.positionals[0] });
      return 0;
    },
  },
  {
    names: ["list", "ls"],
    usage: "list",
    short: "List the services currently running",
    flags: [],
    args: 0,
    run: async (_flags, io) => {
      const answer = await client(io, "list", {});
      io.out(formatList(answer.services as ServiceDescription[], io.isTty));
      return 0;
    },
  },
  {
    names: ["version"],
    usage: "version",
    short: "Show the version of this client and of the running server",
    flags: [],
    args: 0,
    run: async (_flags, io) => {
      io.out(`Client: ${VERSION}\n`);
      try {
        const answer = await client(io, "version", {});
        io.out(`Server: ${String(answer.version)}\n`);
      } catch {
        io.out("Server: not running\n");
      }
      return 0;
    },
  },
];

export const ROLLOUT_COMMANDS: Command[] = [
  {
    names: ["deploy"],
    usage: "rollout deploy <service>",
    short: "Deploy a target host for rollout",
    flags: ROLLOUT_DEPLOY_FLAGS,
    args: 1,
    run: async (flags, io) => {
      if (!flags.changed.has("target")) throw new FlagError(`required flag(s) "target" not set`);
      await client(io, "rollout-deploy", {
        service: flags.positionals[0],
        targets: listFlag(flags, "target"),
        readers: listFlag(flags, "read-target"),
        deployTimeoutMs: numberFlag(flags, "deploy-timeout"),
        drainTimeoutMs: numberFlag(flags, "drain-timeout"),
      });
      return 0;
    },
  },
  {
    names: ["set"],
    usage: "rollout set <service>",
    short: "Set the rollout split",
    flags: ROLLOUT_SET_FLAGS,
    args: 1,
    run: async (flags, io) => {
      if (!flags.changed.has("percent") && !flags.changed.has("list")) throw new FlagError("at least one of the flags in the group [percent list] is required");
      await client(io, "rollout-set", { service: flags.positionals[0], percent: numberFlag(flags, "percent"), allowlist: listFlag(flags, "list") });
      return 0;
    },
  },
  {
    names: ["stop"],
    usage: "rollout stop <service>",
    short: "Stop the rollout",
    flags: [],
    args: 1,
    run: async (flags, io) => {
      await client(io, "rollout-stop", { service: flags.positionals[0] });
      return 0;
    },
  },
];
