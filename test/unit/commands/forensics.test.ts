// Golden tests of the forensics' reads: one `docker inspect` of the state (not the environment,
// which holds secrets), the container's listening sockets read from the host, and the health URL
// asked as the proxy asks it (its User-Agent and Host), the path quoted for the shell.
import { describe, expect, it } from "vitest";
import { render } from "../../../src/core/cmd.js";
import * as forensics from "../../../src/commands/forensics.js";

describe("forensic reads of a container that never became healthy", () => {
  it("inspect the state without the environment, the listening sockets from the host, and probe as the proxy does", () => {
    expect(render(forensics.containerFacts("app-web-abc"))).toBe(
      "docker inspect --format '{{json .State}}{{println}}{{.RestartCount}}{{println}}{{json (index .Config \"Healthcheck\")}}{{println}}{{.Id}}' app-web-abc",
    );
    expect(render(forensics.listeningInContainer("app-web-abc"))).toBe(
      `pid=$(docker inspect --format '{{.State.Pid}}' app-web-abc) && [ "\${pid:-0}" != 0 ] && awk '$4 == "0A" { print $2 }' "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6" 2>/dev/null`,
    );
    expect(render(forensics.probeHealth("app-web-abc", 3000, "/up"))).toBe(
      `set -- $(docker inspect --format '{{.Id}} {{with index .NetworkSettings.Networks "kamal"}}{{.IPAddress}}{{end}}' app-web-abc) ; ` +
        `[ -n "\${2:-}" ] || { echo no-address ; exit 0 ; } ; host=$(printf %s "$1" | cut -c1-12):3000 ; url="http://$2:3000/up" ; ` +
        `if command -v curl >/dev/null 2>&1 ; then out=$(curl --silent --show-error --include --max-time 5 -H 'User-Agent: kamal-proxy' -H "Host: $host" "$url" 2>&1) ; rc=$? ; ` +
        `elif command -v wget >/dev/null 2>&1 ; then out=$(timeout 6 wget -q -S -O - --max-redirect=0 --header 'User-Agent: kamal-proxy' --header "Host: $host" "$url" 2>&1) ; rc=$? ; ` +
        `else echo no-client ; exit 0 ; fi ; printf '%s\\n%s\\n' "$url" "$rc" ; printf '%s' "$out" | head -c 1024`,
    );
    // Port 80 is left out of the Host header, as the proxy sends it; a path is kept literal.
    expect(render(forensics.probeHealth("x", 80, "/health$check"))).toContain(`host=$(printf %s "$1" | cut -c1-12) ; url="http://$2:80/health\\$check"`);
  });
});
