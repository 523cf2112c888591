// `--raw` (Kamal's with_raw_output): standard output carries the remote command's bytes and
// nothing else, so it can be piped. The run gets an output of its own that shows only errors, on
// standard error; the bytes go to the command's real output.
import type { CommandContext } from "../core/context.js";
import { Output, type OutputStream } from "../output/index.js";

const standardError: OutputStream = { write: (chunk) => process.stderr.write(chunk) };

/** The context for a `--raw` command: same configuration and secrets, quiet output. */
export function rawContext(context: CommandContext, errors: OutputStream = standardError): CommandContext {
  const quiet = new Output({ stdout: errors, stderr: errors, verbosity: "error", format: context.output.format });
  return {
    ...context,
    output: quiet,
    secrets: async () => {
      const secrets = await context.secrets();
      quiet.registerSecrets(Object.values(secrets.all()));
      return secrets;
    },
  };
}
