// Thor's `yes?` for destructive commands: `-y` skips the question; without a terminal to ask on,
// the command refuses instead of hanging or guessing.
import { createInterface } from "node:readline/promises";
import { BerthError } from "../util/errors.js";
import type { Run } from "./run.js";

export async function confirm(run: Run, question: string, confirmed: boolean, input: NodeJS.ReadStream = process.stdin): Promise<boolean> {
  if (confirmed) return true;
  if (!input.isTTY) throw new BerthError(`${question} No terminal to ask on: pass -y (--confirmed) to proceed`);
  const prompt = createInterface({ input, output: process.stdout });
  try {
    const answer = await prompt.question(`${question} [y, N] `);
    const yes = /^y(es)?$/i.test(answer.trim());
    if (!yes) run.say("Cancelled", "yellow");
    return yes;
  } finally {
    prompt.close();
  }
}
