// Names and addresses the test bed owns. Leftover clean-up finds earlier beds by these names,
// so they must stay stable and must never match anything the bed did not create.
import { join } from "node:path";

export const BRIDGE = "berthbr0";
export const BRIDGE_IP = "10.210.0.1";
export const BRIDGE_PREFIX = 24;
export const REGISTRY_PORT = 5555;
export const REGISTRY = `${BRIDGE_IP}:${REGISTRY_PORT}`;
/** Tag on the root namespace's iptables rule that lets hosts talk to each other over the bridge. */
export const IPTABLES_COMMENT = "berth-testbed";
export const MAX_HOSTS = 50;
/** Fleet hosts (sshd only, see fleet.ts) are light: far more fit, up to the bridge's addresses. */
export const MAX_FLEET_HOSTS = 200;

/** Every bed lives under this directory; one bed at a time (machine-wide lock). */
export const TESTBED_ROOT = process.env.BERTH_TESTBED_ROOT ?? "/tmp/berth-testbed";
export const LOCK_FILE = join(TESTBED_ROOT, ".lock");

/** Network namespace, host-side veth and hostname of test host N. */
export const hostName = (index: number): string => `berth-h${index}`;
export const HOST_NAME_PATTERN = /^berth-h\d+$/;
export const hostIp = (index: number): string => `10.210.0.${10 + index}`;
export const hostBridgeCidr = (index: number): string => `10.211.${index}.0/24`;
export const hostBridgeGateway = (index: number): string => `10.211.${index}.1/24`;
/** The cgroup parent of a host's containers, so leftovers can be found and removed. */
export const hostCgroupParent = (index: number): string => `berth-testbed-h${index}`;
export const CGROUP_PARENT_PATTERN = /^berth-testbed-h\d+$/;
