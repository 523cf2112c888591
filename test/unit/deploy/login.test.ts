import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { holdsCredentials, loginLocally } from "../../../src/deploy/login.js";
import { BASE_CONFIG, harness } from "./fake.js";

const SECRETS = { REGISTRY_PASSWORD: "registry-pw" };
const auth = (text: string): string => Buffer.from(text).toString("base64");

/** A DOCKER_CONFIG directory whose config.json is `content`. */
function dockerConfig(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-docker-config-"));
  writeFileSync(join(dir, "config.json"), typeof content === "string" ? content : JSON.stringify(content));
  return dir;
}

describe("holdsCredentials", () => {
  const file = (content: unknown): string => join(dockerConfig(content), "config.json");

  it("is true only for the registry's entry holding base64(user:password)", () => {
    const config = file({ auths: { "registry.example:5000": { auth: auth("deployer:registry-pw") } } });
    expect(holdsCredentials(config, "registry.example:5000", "deployer", "registry-pw")).toBe(true);
    expect(holdsCredentials(config, "registry.example:5000", "deployer", "new-password")).toBe(false);
    expect(holdsCredentials(config, "registry.example:5000", "someone-else", "registry-pw")).toBe(false);
    expect(holdsCredentials(config, "other.example", "deployer", "registry-pw")).toBe(false);
  });

  it("uses Docker Hub's key when no server is named", () => {
    const config = file({ auths: { "https://index.docker.io/v1/": { auth: auth("deployer:pw") } } });
    expect(holdsCredentials(config, undefined, "deployer", "pw")).toBe(true);
  });

  it("is false where a credential helper keeps the credentials, or the file can't be read", () => {
    const entry = { "registry.example:5000": { auth: auth("deployer:pw") } };
    expect(holdsCredentials(file({ auths: entry, credsStore: "pass" }), "registry.example:5000", "deployer", "pw")).toBe(false);
    expect(holdsCredentials(file({ auths: entry, credHelpers: { "registry.example:5000": "ecr-login" } }), "registry.example:5000", "deployer", "pw")).toBe(false);
    expect(holdsCredentials(file("{not json"), "registry.example:5000", "deployer", "pw")).toBe(false);
    expect(holdsCredentials(join(tmpdir(), "berth-no-such-dir", "config.json"), "registry.example:5000", "deployer", "pw")).toBe(false);
    expect(holdsCredentials(undefined, "registry.example:5000", "deployer", "pw")).toBe(false);
  });
});

describe("loginLocally", () => {
  it("doesn't run docker login when Docker's config already holds these credentials", async () => {
    const DOCKER_CONFIG = dockerConfig({ auths: { "registry.example:5000": { auth: auth("deployer:registry-pw") } } });
    const { run, local, stdout } = await harness(BASE_CONFIG, { secrets: SECRETS, env: { DOCKER_CONFIG }, globals: { verbose: true } });
    await loginLocally(run);
    expect(local.recorded).toEqual([]);
    expect(stdout.text).toContain("Logged in to registry.example:5000 already");
    expect(stdout.text).not.toContain("registry-pw");
  });

  it("logs in when the stored credentials differ, reading ~/.docker/config.json without DOCKER_CONFIG", async () => {
    const home = mkdtempSync(join(tmpdir(), "berth-home-"));
    mkdirSync(join(home, ".docker"));
    writeFileSync(join(home, ".docker", "config.json"), JSON.stringify({ auths: { "registry.example:5000": { auth: auth("deployer:old-pw") } } }));
    const { run, local } = await harness(BASE_CONFIG, { secrets: SECRETS, env: { HOME: home } });
    await loginLocally(run);
    expect(local.recorded.map((entry) => entry.command)).toEqual(['docker login registry.example:5000 -u "deployer" --password-stdin']);
  });
});
