// `boot:` paces container boots across hosts.
import { bool, documented, int, section, str } from "./meta.js";

export const bootSchema = documented(
  section({
    limit: documented(str(), {
      title: "Limit",
      description:
        "How many hosts boot at once: a number, or a percentage of all hosts (accessory hosts included), rounded down with a minimum of 1.",
      examples: ["limit: 10", 'limit: "25%"'],
    }).optional(),
    wait: documented(int(), {
      title: "Wait",
      description: "Seconds to wait between groups of hosts.",
      examples: ["wait: 2"],
    }).optional(),
    parallel_roles: documented(bool(), {
      title: "Parallel roles",
      description: "Boot the roles that share a host at the same time instead of one after another.",
      examples: ["parallel_roles: true"],
      default: false,
    }).optional(),
  }),
  {
    title: "Boot",
    description: "Boot app containers in groups instead of on every host at once, to keep capacity during a deploy.",
    section: "boot",
  },
  { id: "boot" },
);
