// Which images a run serves from this machine (registry.server localhost:PORT, and images named
// under localhost:PORT/), and how a refused forward is told apart: a port in use on the host.
import { describe, expect, it } from "vitest";
import { listensOn, localRegistries, localRegistryImage, megabytes } from "../../../src/deploy/image-delivery.js";
import { configFrom } from "../commands/helpers.js";

const LOCAL = `service: app
image: my-user/my-app
registry:
  server: localhost:5555
servers:
  - 1.1.1.1
builder:
  arch: amd64
`;

describe("localRegistries", () => {
  it("serves the app's image and Berth's proxy image on the local registry's port", () => {
    expect(localRegistries(configFrom(LOCAL))).toEqual(new Map([[5555, new Set(["my-user/my-app", "my-user/berth-proxy"])]]));
  });

  it("defaults the image to the service, as Kamal does with a local registry", () => {
    expect(localRegistries(configFrom(LOCAL.replace("image: my-user/my-app\n", "")))).toEqual(new Map([[5555, new Set(["app", "berth-proxy"])]]));
  });

  it("adds accessory images named under localhost:PORT/ (their own port too), and nothing else", () => {
    const config = configFrom(`${LOCAL}accessories:
  cache:
    image: localhost:5555/cache:7
    host: 1.1.1.1
  search:
    image: localhost:6000/search/engine:1
    host: 1.1.1.1
  db:
    image: mysql:8
    host: 1.1.1.1
`);
    expect(localRegistries(config)).toEqual(
      new Map([
        [5555, new Set(["my-user/my-app", "my-user/berth-proxy", "cache"])],
        [6000, new Set(["search/engine"])],
      ]),
    );
  });

  it("serves nothing with a registry the hosts reach", () => {
    expect(localRegistries(configFrom(LOCAL.replace("localhost:5555", "ghcr.io\n  username: u\n  password: p")))).toEqual(new Map());
  });
});

it("localRegistryImage reads localhost:PORT/repository[:tag]", () => {
  expect(localRegistryImage("localhost:5555/my-user/my-app:abc")).toEqual({ port: 5555, repository: "my-user/my-app" });
  expect(localRegistryImage("localhost:5555/app@sha256:00")).toEqual({ port: 5555, repository: "app" });
  expect(localRegistryImage("localhost/app:1")).toBeUndefined();
  expect(localRegistryImage("ghcr.io/localhost:5555/app")).toBeUndefined();
});

describe("listensOn", () => {
  const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0B00D20A:0016 0100D20A:9C1E 01 00000000:00000000 02:0004F6A4 00000000     0        0 2 4 0000000000000000 20 4 31 10 -1
`;
  const TCP6 = `  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:1770 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0
`;

  it("finds a listener on the port in /proc/net/tcp or tcp6, not a connection from it", () => {
    expect(listensOn(TCP, 5555)).toBe(true);
    expect(listensOn(TCP, 22)).toBe(false);
    expect(listensOn(TCP6, 6000)).toBe(true);
    expect(listensOn(`${TCP}${TCP6}`, 5000)).toBe(false);
  });
});

it("megabytes", () => {
  expect(megabytes(1_234_567)).toBe("1.2 MB");
  expect(megabytes(2_345)).toBe("2.3 kB");
});
