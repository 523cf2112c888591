// The machine a benchmark ran on, and how busy it was: results on a shared machine only compare
// within one run, so every result says both.
import fs from "node:fs";
import os from "node:os";

export function loadAverage() {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

export function machineLine() {
  const cpus = os.cpus();
  const memory = `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}, ${memory}, Linux ${os.release()}, Node ${process.versions.node}`;
}

/**
 * The 1-minute load average while a benchmark runs: sampled every few seconds while the event
 * loop is free, and at each sample() (benchmarks that wait synchronously call it between runs).
 */
export function loadWatcher() {
  const samples = [];
  const sample = () => samples.push(Number(loadAverage().split(" ")[0]));
  sample();
  const timer = setInterval(sample, 5000);
  timer.unref();
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return describeLoad(Math.min(...samples), Math.max(...samples), os.cpus().length);
    },
  };
}

/** The load line of a result, with a warning where other work on the machine skewed its times. */
export function describeLoad(min, max, cores) {
  const line = `load average (1 min) ${min.toFixed(2)}–${max.toFixed(2)} during the run, on ${cores} cores`;
  if (max <= 2 * cores) return line;
  return `${line}: other work on the shared machine skewed it (over ${2 * cores} runnable tasks at times), absolute times upward; ratios between contenders in the same round less so`;
}
