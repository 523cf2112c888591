// `kamal-proxy list`'s table, as kamal-proxy prints it (colours on a terminal).
import type { ServiceDescription } from "../server/router.js";

export function formatList(services: readonly ServiceDescription[], color: boolean): string {
  const cell = (text: string, width: number, style: string): string => {
    const padded = (text + " ".repeat(Math.max(0, width - text.length))).slice(0, width);
    return color && style !== "" ? `\u001b[${style}m${padded}\u001b[0m` : padded;
  };
  const italic = "3;94";
  const bold = "1;34";
  let out =
    cell("Service", 30, italic) + cell("Host", 30, italic) + cell("Path", 30, italic) + cell("Target", 30, italic) +
    cell("State", 10, italic) + cell("TLS", 10, italic);
  out = out.trimEnd() + "\n";
  for (const service of services) {
    const row =
      cell(service.service, 30, bold) + cell(service.host, 30, "") + cell(service.path, 30, "") + cell(service.target, 30, "") +
      cell(service.state, 10, "") + cell(service.tls ? "yes" : "no", 10, "");
    out += row.trimEnd() + "\n";
  }
  return out;
}
