// Public surface of the transport layer.
export type {
  CommandFinished,
  CommandKind,
  CommandOutput,
  CommandStarted,
  ConnectionFailed,
  ConnectionOpened,
  HostStats,
  RunOptions,
  RunResult,
  Transport,
  TransportObserver,
  TransportStats,
  UploadOptions,
} from "./types.js";
export { SshTransport, type SshTransportOptions } from "./ssh-transport.js";
export { LocalTransport, LOCAL_HOST, type LocalTransportOptions } from "./local-transport.js";
export { onHosts, type OnHostsOptions } from "./parallel.js";
export {
  CommandFailedError,
  HostExecutionError,
  MultipleHostsError,
  RemoteForwardRefused,
  SshConnectionError,
  formatCommandFailure,
  type SshFailureReason,
} from "./errors.js";
export { sshLogLevel, type SshSettings, type SshkitSettings } from "./ssh-settings.js";
export { sshCommandArgs, sshMasterArgs, sshOptionArgs, type SshInvocation } from "./ssh-args.js";
export { parseHost, type ParsedHost } from "./host.js";
