// `berth secrets fetch|extract|print`: helpers used from `.kamal/secrets` (`$(kamal secrets …)`)
// and for debugging. They print secret values on purpose, so they bypass the output's masker.

import type { CommandContext } from "../../core/context.js";
import { secretsCliModule } from "../layers/secrets.js";
import type { NoOptions } from "./no-options.js";

export interface FetchOptions {
  /** -a: the vault adapter (1password, bitwarden, aws_secrets_manager, …). */
  readonly adapter: string;
  readonly account: string | undefined;
  readonly from: string | undefined;
  /** Hidden; Kamal uses it when it runs the command in-process: the JSON is shell-escaped then. */
  readonly inline: boolean;
}

export interface ExtractOptions {
  readonly inline: boolean;
}

export async function fetch(context: CommandContext, secrets: readonly string[], options: FetchOptions): Promise<void> {
  const { fetch: fetchSecrets } = await secretsCliModule();
  const fetched = await fetchSecrets(
    secrets,
    {
      adapter: options.adapter,
      inline: options.inline,
      ...(options.account === undefined ? {} : { account: options.account }),
      ...(options.from === undefined ? {} : { from: options.from }),
    },
    { cwd: context.cwd, env: context.env },
  );
  context.output.revealSecrets(fetched);
}

export async function extract(context: CommandContext, name: string, fetched: string, _options: ExtractOptions): Promise<void> {
  const { extract: extractSecret } = await secretsCliModule();
  context.output.revealSecrets(extractSecret(name, fetched));
}

export async function print(context: CommandContext, _options: NoOptions): Promise<void> {
  const [{ print: printSecrets }, secrets] = await Promise.all([secretsCliModule(), context.secrets()]);
  context.output.revealSecrets(printSecrets(secrets));
}
