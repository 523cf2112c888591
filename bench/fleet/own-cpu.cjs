// Preloaded into the benchmarked berth (`node -r`, CommonJS: cheaper at start-up than an ES
// module by --import): at exit, writes the Node process's own CPU time (user + system, ms) to
// $BERTH_BENCH_OWN_CPU, so that bench/fleet.mjs can tell the process's share of Berth's CPU from
// that of the ssh processes it starts (measured together).
"use strict";

const file = process.env.BERTH_BENCH_OWN_CPU;
if (file) {
  process.on("exit", () => {
    const { user, system } = process.cpuUsage();
    process.getBuiltinModule("node:fs").writeFileSync(file, String((user + system) / 1000));
  });
}
