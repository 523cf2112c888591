import { describe, expect, it } from "vitest";
import { classifySshFailure, type FailureContext } from "../../../src/transport/ssh-failure.js";

const context: FailureContext = { host: "web-1", hostname: "10.0.0.5", port: 22, user: "root", connectTimeoutSeconds: 15 };

// ssh's own words (OpenSSH 9.2) for each way a connection fails.
const CHANGED = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
SHA256:Zx3Fq0jW0ZpIuHXa8ykH8mMpm2lWw+2oLQ1rTt0Qd3c.
Please contact your system administrator.
Add correct host key in /home/me/.ssh/known_hosts to get rid of this message.
Offending ED25519 key in /home/me/.ssh/known_hosts:7
Host key for 10.0.0.5 has changed and you have requested strict checking.
Host key verification failed.
`;

describe("ssh failures", () => {
  it("refuses a changed host key hard, naming the host, the file and what to do", () => {
    const error = classifySshFailure(CHANGED, context)!;
    expect(error.reason).toBe("host-key-changed");
    expect(error.kind).toBe("Berth::HostKeyMismatch");
    expect(error.message).toContain("The SSH host key of web-1 has CHANGED since it was recorded in /home/me/.ssh/known_hosts:7");
    expect(error.message).toContain("SHA256:Zx3Fq0jW0ZpIuHXa8ykH8mMpm2lWw+2oLQ1rTt0Qd3c");
    expect(error.message).toContain("`ssh-keygen -R 10.0.0.5 -f /home/me/.ssh/known_hosts`");
  });

  it.each([
    ["ssh: connect to host 10.0.0.5 port 22: Connection refused", "refused", /connection refused/],
    ["ssh: connect to host 10.0.0.5 port 22: Connection timed out", "timeout", /no answer within 15 s/],
    ["Connection timed out during banner exchange\nConnection to 10.0.0.5 port 22 timed out", "timeout", /no answer/],
    ["ssh: connect to host 10.0.0.5 port 22: No route to host", "unreachable", /no route/],
    ["ssh: Could not resolve hostname web-1: Temporary failure in name resolution", "dns", /does not resolve/],
    ["root@10.0.0.5: Permission denied (publickey).", "auth", /Cannot log in to web-1 as root/],
    ["No ED25519 host key is known for 10.0.0.5 and you have requested strict checking.\nHost key verification failed.", "host-key-unknown", /ssh-keyscan/],
    ["kex_exchange_identification: read: Connection reset by peer", "connection-lost", /was closed/],
  ])("explains %j", (stderr, reason, explanation) => {
    const error = classifySshFailure(stderr, context)!;
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(explanation);
    expect(error.message).toContain("web-1");
  });

  it("leaves a command's own exit status 255 alone", () => {
    expect(classifySshFailure("docker: invalid reference format\n", context)).toBeUndefined();
    expect(classifySshFailure("", context)).toBeUndefined();
  });
});
