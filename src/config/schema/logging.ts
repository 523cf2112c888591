// `logging:` for app containers, at the root or per role (merged over the root).
import { anyHash, documented, section, str } from "./meta.js";

export const loggingSchema = documented(
  section({
    driver: documented(str(), {
      title: "Driver",
      description: "Docker's `--log-driver`.",
      examples: ["driver: json-file"],
    }).optional(),
    options: documented(anyHash(), {
      title: "Options",
      description: "Docker's `--log-opt` values. When neither driver nor options is set, `max-size=10m` is used.",
      examples: ["options:\n  max-size: 100m"],
    }).optional(),
  }),
  {
    title: "Logging",
    description: "Docker logging for the containers. A role's logging is merged over the root logging.",
    section: "logging",
  },
  { id: "logging" },
);
