import { describe, expect, it } from "vitest";
import { homedir } from "node:os";
import { Redacted } from "../../../src/core/cmd.js";
import { parseHost } from "../../../src/transport/host.js";
import {
  sshCommandArgs,
  sshConfigFileContent,
  sshControlArgs,
  sshMasterArgs,
  sshMasterCommandArgs,
  sshOptionArgs,
  type SshInvocation,
} from "../../../src/transport/ssh-args.js";
import { Ssh } from "../../../src/config/index.js";
import { sshSettings } from "../../../src/deploy/connection.js";

function invocation(overrides: Partial<SshInvocation> = {}): SshInvocation {
  return {
    settings: {},
    host: parseHost("1.2.3.4"),
    controlPath: "/tmp/berth-ssh-x/0",
    controlPersistSeconds: 60,
    connectTimeoutSeconds: 15,
    batchMode: false,
    configFile: "/tmp/berth-ssh-x/config",
    ...overrides,
  };
}

const SHARING = [
  "-F", "/tmp/berth-ssh-x/config",
  "-o", "ControlMaster=auto",
  "-o", "ControlPath=/tmp/berth-ssh-x/0",
  "-o", "ControlPersist=60",
  "-o", "ServerAliveInterval=5",
  "-o", "ServerAliveCountMax=3",
  "-o", "ConnectTimeout=15",
];

describe("ssh command line", () => {
  it("adds only the run's config file, connection sharing, keepalive and the connect timeout when deploy.yml says nothing", () => {
    expect(sshOptionArgs(invocation())).toEqual(SHARING);
  });

  it("maps every ssh: key of deploy.yml", () => {
    const ssh = new Ssh(
      {
        user: "app",
        port: "2222",
        proxy: "bastion.example.com",
        log_level: "debug",
        keys_only: true,
        keys: ["~/.ssh/deploy", "/etc/keys/ci"],
        config: "~/.ssh/berth_config",
        forward_agent: true,
      },
      undefined,
    );
    const settings = sshSettings(ssh, () => true);
    expect(sshOptionArgs(invocation({ settings, batchMode: true }))).toEqual([
      ...SHARING,
      "-o", "BatchMode=yes",
      "-l", "app",
      "-p", "2222",
      "-J", "root@bastion.example.com",
      "-i", `${homedir()}/.ssh/deploy`,
      "-i", "/etc/keys/ci",
      "-o", "IdentitiesOnly=yes",
      "-o", "LogLevel=DEBUG",
      "-o", "ForwardAgent=yes",
    ]);
  });

  it("keeps a proxy's own user and passes a proxy command as one argument", () => {
    expect(sshOptionArgs(invocation({ settings: { proxy: "jump@10.0.0.1:2200" } }))).toContain("jump@10.0.0.1:2200");
    const args = sshOptionArgs(invocation({ settings: { proxyCommand: "ssh -W %h:%p user@proxy" } }));
    expect(args.slice(-2)).toEqual(["-o", "ProxyCommand=ssh -W %h:%p user@proxy"]);
  });

  it("reads what ssh.config names, then Berth's defaults, which apply only where the config sets nothing", () => {
    const defaults = 'Host *\n  User root\n  StrictHostKeyChecking accept-new\n';
    // ssh's own files by default (the user's first, as ssh reads them), none with config: false.
    expect(sshConfigFileContent(undefined)).toBe(`Include "~/.ssh/config"\nInclude "/etc/ssh/ssh_config"\n${defaults}`);
    expect(sshConfigFileContent(true)).toBe(sshConfigFileContent(undefined));
    expect(sshConfigFileContent(false)).toBe(defaults);
    expect(sshConfigFileContent("~/.ssh/berth_config")).toBe(`Include "${homedir()}/.ssh/berth_config"\n${defaults}`);
    expect(sshConfigFileContent(["~/a", "/b c"])).toBe(`Include "${homedir()}/a"\nInclude "/b c"\n${defaults}`);
  });

  it("selects key_data keys in the private agent, even with keys_only", () => {
    const args = sshOptionArgs(
      invocation({
        settings: { keysOnly: true, keyData: [new Redacted("-----BEGIN OPENSSH PRIVATE KEY-----")] },
        agent: { socket: "/tmp/berth-ssh-x/agent.sock", publicKeyFiles: ["/tmp/berth-ssh-x/key_data_0.pub"] },
      }),
    );
    expect(args.slice(SHARING.length)).toEqual([
      "-o", "IdentityAgent=/tmp/berth-ssh-x/agent.sock",
      "-i", "/tmp/berth-ssh-x/key_data_0.pub",
      "-o", "IdentitiesOnly=yes",
    ]);
    expect(args.join(" ")).not.toContain("BEGIN");
  });

  it("lets the host string's user and port win over ssh.user and ssh.port (the config file's user comes last)", () => {
    const args = sshOptionArgs(invocation({ host: parseHost("deploy@[2001:db8::1]:2201"), settings: { user: "app", port: 22 } }));
    expect(args.slice(SHARING.length)).toEqual(["-l", "deploy", "-p", "2201"]);
    expect(sshOptionArgs(invocation({ settings: { user: "app" } })).slice(SHARING.length)).toEqual(["-l", "app"]);
  });

  it("runs a command, opens the master and controls it with the same options", () => {
    const base = invocation({ host: parseHost("app@web-1:2222") });
    expect(sshCommandArgs(base, "docker ps")).toEqual([...SHARING, "-l", "app", "-p", "2222", "-T", "--", "web-1", "docker ps"]);
    expect(sshCommandArgs(base, "bash", { tty: true }).slice(-4)).toEqual(["-t", "--", "web-1", "bash"]);
    expect(sshMasterArgs(base)).toEqual([
      "-F", "/tmp/berth-ssh-x/config",
      "-o", "ControlMaster=yes",
      ...SHARING.slice(4),
      "-l", "app", "-p", "2222", "-N", "-f", "--", "web-1",
    ]);
    // The master and a first session from one process: ControlMaster=yes, and a command instead of -N -f.
    expect(sshMasterCommandArgs(base, "exec /bin/sh")).toEqual([
      "-F", "/tmp/berth-ssh-x/config",
      "-o", "ControlMaster=yes",
      ...SHARING.slice(4),
      "-l", "app", "-p", "2222", "-T", "--", "web-1", "exec /bin/sh",
    ]);
    expect(sshControlArgs(base, "exit").slice(-4)).toEqual(["-O", "exit", "--", "web-1"]);
  });
});
