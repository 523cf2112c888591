#!/usr/bin/env node
// Entry point: `kamal-proxy <command>` (installed as both kamal-proxy and berth-proxy).
import { main } from "../cli/main.js";

const code = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  isTty: process.stdout.isTTY === true,
});
process.exitCode = code;
if (process.argv[2] === "run") process.exit(code);
