// The secrets a configuration names, for doctor to check before a deploy looks them up.
import { describe, expect, it } from "vitest";
import { namedSecrets } from "../../../src/config/index.js";
import { BASE, fromText } from "./helpers.js";

describe("secrets a configuration names", () => {
  it("finds them in registry, env (root, roles, tags), accessories, proxy certificates, builder and ssh, once each", () => {
    const config = fromText(`service: app
image: dhh/app
registry:
  username: user
  password:
    - KAMAL_REGISTRY_PASSWORD
servers:
  web:
    hosts:
      - 1.1.1.1: [eu]
    env:
      secret:
        - WEB_KEY
    proxy:
      host: app.example.com
      ssl:
        certificate_pem: CERT_PEM
        private_key_pem: KEY_PEM
env:
  secret:
    - DB_PASSWORD:MAIN_DB_PASSWORD
    - KAMAL_REGISTRY_PASSWORD
  tags:
    eu:
      secret:
        - EU_TOKEN
accessories:
  db:
    image: mysql:8
    host: 1.1.1.2
    registry:
      server: ghcr.io
      username:
        - GHCR_USER
      password:
        - GHCR_TOKEN
    env:
      secret:
        - MYSQL_ROOT_PASSWORD
builder:
  arch: amd64
  secrets:
    - GITHUB_TOKEN
ssh:
  key_data:
    - SSH_PRIVATE_KEY
`);
    expect(namedSecrets(config)).toEqual([
      { name: "KAMAL_REGISTRY_PASSWORD", where: "registry/password" },
      { name: "MAIN_DB_PASSWORD", where: "env/secret" },
      { name: "EU_TOKEN", where: "env/tags/eu/secret" },
      { name: "WEB_KEY", where: "servers/web/env/secret" },
      { name: "CERT_PEM", where: "servers/web/proxy/ssl/certificate_pem" },
      { name: "KEY_PEM", where: "servers/web/proxy/ssl/private_key_pem" },
      { name: "GHCR_USER", where: "accessories/db/registry/username" },
      { name: "GHCR_TOKEN", where: "accessories/db/registry/password" },
      { name: "MYSQL_ROOT_PASSWORD", where: "accessories/db/env/secret" },
      { name: "GITHUB_TOKEN", where: "builder/secrets" },
      { name: "SSH_PRIVATE_KEY", where: "ssh/key_data" },
    ]);
  });

  it("names none for plain values", () => {
    expect(namedSecrets(fromText(BASE.replace("  password:\n    - KAMAL_REGISTRY_PASSWORD\n", "  password: plain\n")))).toEqual([]);
  });
});
