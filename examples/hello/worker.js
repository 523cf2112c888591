// The worker role: no HTTP, no proxy. It takes the jobs the web role queues in Redis and counts
// them as done, which the page shows.
import { createRedis } from "./lib/redis.js";

const redis = createRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
let stopping = false;

process.on("SIGTERM", () => {
  stopping = true;
});

console.log(`worker ${process.env.KAMAL_VERSION ?? "dev"} waiting for jobs`);
while (!stopping) {
  try {
    // Blocks up to 2 s, so a SIGTERM is honoured within that.
    const job = await redis.command(["BRPOP", "hello:jobs", "2"], { timeout: 5000 });
    if (job === null) continue;
    const done = await redis.command(["INCR", "hello:processed"]);
    console.log(`job ${job[1]} done (${done} in all)`);
  } catch (error) {
    console.log(`Redis: ${error.message}; retrying in 1 s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
redis.close();
console.log("worker stopped");
