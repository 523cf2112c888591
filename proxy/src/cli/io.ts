// What a command reads and writes: the process's streams and environment in the binary, captured
// ones in tests.
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTty: boolean;
}
