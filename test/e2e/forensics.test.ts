// Health-failure forensics on a real server: for each known reason a new container never becomes
// healthy, the failed deploy prints the container's state, its logs, the health URL the proxy
// asks and what the same request got, and the hint for that cause; the old version keeps serving.
// One bed, one host, one Node app whose behaviour each release picks (the `mode` file).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBaseImages, ensureLocalDocker, startTestbed, type Testbed, type TestHost } from "../../testbed/index.js";
import { berth, createProject, httpGet, type BerthResult, type Project } from "./support/project.js";

// The app: listens where its mode says, or crashes, or redirects to https, or boots slowly.
const SERVER = `const fs = require("fs");
const http = require("http");
const mode = fs.existsSync("/app/mode") ? fs.readFileSync("/app/mode", "utf8").trim() : "ok";
if (mode === "crash") {
  console.error("boom: DATABASE_URL is not set");
  process.exit(3);
}
const server = http.createServer((request, response) => {
  if (mode === "redirect") {
    response.writeHead(301, { Location: "https://app.example.com" + request.url });
    return response.end();
  }
  response.end(request.url === "/version" ? process.env.KAMAL_VERSION : "ok");
});
const host = mode === "loopback" ? "127.0.0.1" : "0.0.0.0";
const port = mode === "port" ? 8080 : 80;
setTimeout(() => server.listen(port, host, () => console.log("listening on " + host + ":" + port)), mode === "slow" ? 60000 : 0);
process.on("SIGTERM", () => process.exit(0));
`;

const DOCKERFILE = `FROM berth-test/node:20
COPY . /app/
CMD ["node", "/app/server.js"]
`;

// A HEALTHCHECK whose command the image doesn't have.
const DOCKERFILE_WITH_HEALTHCHECK = `${DOCKERFILE}HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD curl -f http://localhost/up
`;

let bed: Testbed;
let h1: TestHost;
let project: Project;
let v1: string;

beforeAll(async () => {
  await ensureLocalDocker();
  bed = await startTestbed({ hosts: 1, name: "forensics-e2e" });
  [h1] = bed.hosts as [TestHost];
  await ensureBaseImages({ push: true });
  project = createProject({ bed, roles: { web: [h1], workers: [h1] } });
  v1 = project.release("node app", { Dockerfile: DOCKERFILE, "server.js": SERVER });
  const setup = await berth(project, ["setup"]);
  if (setup.code !== 0) throw new Error(`setup failed:\n${setup.output}`);
});

afterAll(async () => {
  await bed?.stop();
});

/** Deploys a release in the given mode; it must fail, and v1 keep serving. */
async function failingDeploy(mode: string, files: Record<string, string> = {}): Promise<{ result: BerthResult; version: string }> {
  const version = project.release(`mode ${mode}`, { mode: `${mode}\n`, ...files });
  const result = await berth(project, ["deploy"]);
  expect(result.code, result.output).toBe(1);
  expect(await httpGet(h1, "/version")).toEqual({ status: 200, body: v1 });
  return { result, version };
}

function hints(output: string): string[] {
  return output.split("\n").filter((line) => line.includes("Hint: ")).map((line) => line.slice(line.indexOf("Hint: ") + 6));
}

describe("why a new version never became healthy", () => {
  it("an app listening on 127.0.0.1 only", async () => {
    const { result, version } = await failingDeploy("loopback");
    expect(result.stdout).toMatch(new RegExp(`app-web-${version} on ${h1.ip}: running for \\d+ s, restarted 0 times`));
    expect(result.stdout).toContain(`Last 50 log lines of app-web-${version} on ${h1.ip}:`);
    expect(result.stdout).toMatch(/listening on 127\.0\.0\.1:80/);
    expect(result.stdout).toMatch(
      new RegExp(`Health check of app-web-${version} on ${h1.ip.replace(/\./g, "\\.")}: the proxy asks http://[0-9a-f]{12}:80/up; asked from the host \\(http://[\\d.]+:80/up\\): connection refused`),
    );
    expect(result.stdout).toContain(`Listening in app-web-${version}: 127.0.0.1:80`);
    expect(hints(result.stdout)).toEqual([
      "The app listens on 127.0.0.1:80 only, inside its container: the proxy can't reach that. Make it listen on 0.0.0.0 (e.g. bin/rails server -b 0.0.0.0, or HOST=0.0.0.0 for many frameworks).",
    ]);
  });

  it("a wrong app_port", async () => {
    const { result, version } = await failingDeploy("port");
    expect(result.stdout).toContain(`Listening in app-web-${version}: 0.0.0.0:8080`);
    expect(hints(result.stdout)).toEqual(["Nothing listens on port 80 (proxy.app_port) in the container; the app listens on 8080. Set proxy.app_port: 8080, or make the app listen on 80."]);
  });

  it("a redirect to https", async () => {
    const { result } = await failingDeploy("redirect");
    expect(result.stdout).toMatch(/asked from the host \(http:\/\/[\d.]+:80\/up\): 301, Location: https:\/\/app\.example\.com\/up, empty body/);
    expect(hints(result.stdout)).toHaveLength(1);
    expect(hints(result.stdout)[0]).toMatch(/^GET \/up answers 301 to https:\/\/app\.example\.com\/up: the app forces HTTPS, but the proxy checks over plain HTTP/);
  });

  it("a boot slower than deploy_timeout", async () => {
    const { result, version } = await failingDeploy("slow");
    expect(result.stdout).toContain(`Listening in app-web-${version}: nothing`);
    expect(hints(result.stdout)).toHaveLength(1);
    expect(hints(result.stdout)[0]).toMatch(/^It is still running, and nothing listens in the container yet, \d+ s after it started: it boots slower than deploy_timeout \(10 s\) allows\. Raise deploy_timeout/);
  });

  it("a crash loop", async () => {
    const { result, version } = await failingDeploy("crash");
    expect(result.stdout).toMatch(new RegExp(`app-web-${version} on ${h1.ip.replace(/\./g, "\\.")}: (restarting|running|exited)\\S*.*restarted [1-9]\\d* times`));
    expect(result.stdout).toContain("boom: DATABASE_URL is not set");
    expect(hints(result.stdout)).toHaveLength(1);
    expect(hints(result.stdout)[0]).toMatch(/^It keeps exiting \(exit code 3, restarted [1-9]\d* times?\): a crash loop\. The log lines above say why it stops/);
  });

  it("a Docker healthcheck whose command is missing in the image (a role without the proxy)", async () => {
    const { result, version } = await failingDeploy("ok", { Dockerfile: DOCKERFILE_WITH_HEALTHCHECK });
    expect(result.stdout).toContain(`Failed to boot workers on ${h1.ip}`);
    expect(result.stdout).toMatch(new RegExp(`Docker health of app-workers-${version} on ${h1.ip.replace(/\./g, "\\.")}: unhealthy \\(curl -f http://localhost/up\\); last check exited 127: /bin/sh: curl: not found`));
    expect(hints(result.stdout)).toEqual([
      "Its Docker HEALTHCHECK (curl -f http://localhost/up) can't run in the image: /bin/sh: curl: not found. Install that command in the image, or change the HEALTHCHECK to one the image has.",
    ]);
  });
});
