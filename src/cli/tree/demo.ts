// `berth demo` (Berth only): the example app deployed to local test servers, to see what Berth
// does before pointing it at real servers.

import type { Command } from "commander";
import { flag, leaf } from "../define.js";

export const DEMO_HELP = `
Starts two local test servers (network namespaces on this machine, each with its own sshd and
dockerd, on 10.210.0.0/24) and a registry, copies the example app (examples/hello: a web role,
a worker role and a Redis accessory) to /tmp/berth-testbed/demo/hello, runs \`berth setup\`,
then deploys a second version with \`berth deploy\` while requests go to both servers, and prints
what happened: versions before and after, requests sent and failed, the time of each step.

Everything is left running to try other commands on (cd to the app's directory first); running
\`berth demo\` again reuses it and deploys one more version. \`berth demo --down\` removes it all.
The test suite takes the demo's servers down when it starts its own.

Needs root and Debian 12's packages: docker.io docker-registry openssh-server openssh-client
busybox-static iproute2 iptables tini git redis-tools (\`bash .ci/run --setup-only\` in Berth's
repository installs them). Nothing is pulled from Docker Hub: the images are made from this
machine's own node and redis binaries.
`;

export function registerDemoCommand(program: Command): void {
  const demo = leaf(
    program,
    "demo",
    "Deploy the example app to two local test servers, counting failed requests (needs root and Debian's packages)",
    async () => (await import("../actions/demo.js")).demo,
  );
  flag(demo, "--down", "Remove the test servers, images and files the demo made");
  demo.addHelpText("after", DEMO_HELP);
}
