// `sshkit:` tunes the SSH connection pool.
import { documented, int, section } from "./meta.js";
import { DEFAULT_SSHKIT_DNS_RETRIES, DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS, DEFAULT_SSHKIT_POOL_IDLE_TIMEOUT } from "../defaults.js";

export const sshkitSchema = documented(
  section({
    max_concurrent_starts: documented(int(), {
      title: "Concurrent connection starts",
      description: "How many SSH connections may be opening at the same time.",
      examples: ["max_concurrent_starts: 10"],
      default: DEFAULT_SSHKIT_MAX_CONCURRENT_STARTS,
    }).optional(),
    pool_idle_timeout: documented(int(), {
      title: "Idle timeout",
      description: "Seconds an idle connection is kept for reuse.",
      examples: ["pool_idle_timeout: 300"],
      default: DEFAULT_SSHKIT_POOL_IDLE_TIMEOUT,
    }).optional(),
    dns_retries: documented(int(), {
      title: "DNS retries",
      description: "How often a failed host-name lookup is retried, with exponential backoff.",
      examples: ["dns_retries: 5"],
      default: DEFAULT_SSHKIT_DNS_RETRIES,
    }).optional(),
  }),
  {
    title: "SSH connection pool",
    description: "Limits and timeouts for the pool of SSH connections.",
    section: "sshkit",
  },
  { id: "sshkit" },
);
