// `ssh:` says how to reach the hosts.
import { bool, documented, list, oneOf, section, str, withHint } from "./meta.js";
import { DEFAULT_SSH_LOG_LEVEL, DEFAULT_SSH_PORT, DEFAULT_SSH_USER } from "../defaults.js";

export const sshSchema = documented(
  section({
    user: documented(str(), { title: "User", description: "The user to log in as.", examples: ["user: app"], default: DEFAULT_SSH_USER }).optional(),
    port: documented(str(), { title: "Port", description: "The SSH port of every host.", examples: ['port: "2222"'], default: DEFAULT_SSH_PORT }).optional(),
    proxy: documented(str(), {
      title: "Jump host",
      description: "Connect through this host (`host` or `user@host`; the user defaults to root).",
      examples: ["proxy: root@bastion.example.com"],
    }).optional(),
    proxy_command: documented(str(), {
      title: "Proxy command",
      description: "A command that opens the connection, for setups a jump host can't express.",
      examples: ['proxy_command: "ssh -W %h:%p user@proxy"'],
    }).optional(),
    log_level: documented(str(), {
      title: "Log level",
      description: "SSH client logging; `debug` helps with connection problems.",
      examples: ["log_level: debug"],
      default: DEFAULT_SSH_LOG_LEVEL,
    }).optional(),
    keys_only: documented(bool(), {
      title: "Keys only",
      description: "Use only the keys given by `keys` and `key_data`, not every identity the agent offers.",
      examples: ["keys_only: true"],
    }).optional(),
    keys: documented(list(str()), {
      title: "Keys",
      description: "Private key files to authenticate with.",
      examples: ['keys: [ "~/.ssh/id_ed25519" ]'],
    }).optional(),
    key_data: documented(list(str()), {
      title: "Key data",
      description: "Names of secrets holding private keys (inline PEM text still works but is deprecated).",
      examples: ["key_data:\n  - SSH_PRIVATE_KEY"],
    }).optional(),
    config: documented(withHint(oneOf([bool(), str(), list(str())]), { expected: "a boolean or a string or an array" }), {
      title: "SSH config files",
      description: "`true` reads the usual OpenSSH config files, `false` none, or give a file or a list of files.",
      examples: ["config: true", 'config: [ "~/.ssh/deploy_config" ]'],
      default: true,
    }).optional(),
    forward_agent: documented(bool(), {
      title: "Forward agent",
      description: "Forward the local SSH agent to the hosts.",
      examples: ["forward_agent: true"],
    }).optional(),
  }),
  {
    title: "SSH",
    description:
      "How to connect to the hosts. The default is root on port 22; a non-root user needs Docker set up beforehand and membership of the docker group.",
    section: "ssh",
  },
  { id: "ssh" },
);
