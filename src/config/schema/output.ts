// `output:` sends a copy of each command's output to a file or an OpenTelemetry collector.
import { documented, section, str } from "./meta.js";

export const outputSchema = documented(
  section({
    file: documented(
      section({
        path: documented(str(), { title: "Directory", description: "Where the log files are written.", examples: ["path: /var/log/kamal/"] }).optional(),
      }),
      {
        title: "File",
        description: "Write one log file per command to this local directory, named by time, destination and command.",
        examples: ["file:\n  path: /var/log/kamal/"],
      },
    ).optional(),
    otel: documented(
      section({
        endpoint: documented(str(), { title: "Endpoint", description: "The collector's base URL; records go to `/v1/logs`.", examples: ["endpoint: http://otel-gateway:4318"] }).optional(),
      }),
      {
        title: "OpenTelemetry",
        description: "Ship the output as OTLP/HTTP log records, tagged with service, version, performer and destination.",
        examples: ["otel:\n  endpoint: http://otel-gateway:4318"],
      },
    ).optional(),
  }),
  {
    title: "Output",
    description: "Where a copy of each command's output goes, besides the terminal.",
    section: "output",
  },
  { id: "output" },
);
