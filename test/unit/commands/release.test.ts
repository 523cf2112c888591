// Golden tests for the release phase's commands (x-berth.release; Berth only, so the text is
// ours, built like Kamal's `app exec` in a new container).
import { describe, expect, it } from "vitest";
import * as release from "../../../src/commands/release.js";
import { configFrom, text } from "./helpers.js";

const BASE = `service: app
image: dhh/app
registry:
  username: dhh
  password: secret
servers:
  web:
    - 1.1.1.1
  workers:
    - 1.1.1.2
env:
  clear:
    RAILS_ENV: production
  secret:
    - RAILS_MASTER_KEY
volumes:
  - /data/storage:/rails/storage
builder:
  arch: amd64
x-berth:
  release:
    cmd: bin/rails db:migrate
`;

describe("release", () => {
  it("runs the command in a one-off container of the new image with the role's env, volumes and network, both streams as its output", () => {
    const config = configFrom(BASE, { version: "999" });
    const web = config.requireRole("web");
    expect(text(release.run(config, web, { host: "1.1.1.1", command: "bin/rails db:migrate", random: "a1b2c3" }))).toBe(
      "docker run --rm --name app-web-release-999-a1b2c3 --network kamal" +
        ' --env KAMAL_CONTAINER_NAME="app-web-release-999-a1b2c3" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1"' +
        ' --env RAILS_ENV="production" --env-file .kamal/apps/app/env/roles/web.env' +
        ' --log-opt max-size="10m" --volume /data/storage:/rails/storage dhh/app:999 bin/rails db:migrate 2>&1',
    );
  });

  it("names the destination and adds the role's options", () => {
    const config = configFrom(`${BASE}servers:\n  web:\n    hosts:\n      - 1.1.1.1\n    options:\n      memory: 512m\n`, { version: "999", destination: "staging" });
    const web = config.requireRole("web");
    expect(text(release.run(config, web, { host: "1.1.1.1", command: "bin/migrate", random: "000fff" }))).toBe(
      "docker run --rm --name app-web-staging-release-999-000fff --network kamal" +
        ' --env KAMAL_CONTAINER_NAME="app-web-staging-release-999-000fff" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env KAMAL_DESTINATION="staging"' +
        ' --env RAILS_ENV="production" --env-file .kamal/apps/app-staging/env/roles/web.env' +
        ' --log-opt max-size="10m" --volume /data/storage:/rails/storage --memory "512m" dhh/app:999 bin/migrate 2>&1',
    );
  });

  it("stops a release container by name, and refuses a name suffix that isn't 6 hex digits", () => {
    expect(text(release.stop("app-web-release-999-a1b2c3"))).toBe("docker stop app-web-release-999-a1b2c3");
    const config = configFrom(BASE, { version: "999" });
    expect(() => release.releaseContainerName(config, config.requireRole("web"), "zz; rm")).toThrow(/release container suffix/);
  });
});
