// The proxy benchmarks' servers (bench/proxy.mjs, bench/switch.mjs): a 2-host test bed where
// `berth setup` runs the app (bench/proxy/app.mjs in the bed's Node image) behind Berth's proxy
// container on host 1, with TLS from a self-signed certificate for bench.test, and host 2 is
// where the load comes from (its network namespace, as another server on the network would).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BERTH_BIN, ROOT } from "../lib/paths.mjs";
import { measure } from "../lib/measure.mjs";
import { loadTestbed } from "../lib/testbed.mjs";
import { commitAll } from "../lib/git.mjs";

export const APP_HOST = "bench.test";

/** The app container Berth deployed on host 1 (`docker` from startProxyBed): its name and its address on the kamal network. */
export async function appContainer(docker) {
  const name = await docker(`docker ps --filter label=service=bench --filter label=role=web --format '{{.Names}}'`);
  const ip = await docker(`docker inspect -f '{{(index .NetworkSettings.Networks "kamal").IPAddress}}' ${name}`);
  return { name, ip };
}

export async function startProxyBed(name) {
  const testbed = await loadTestbed();
  await testbed.ensureLocalDocker();
  const bed = await testbed.startTestbed({ hosts: 2, name });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `berth-${name}-`));
  const stop = async () => {
    await bed.stop();
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    const images = await testbed.ensureBaseImages({ push: true });
    const [server, client] = bed.hosts;
    const tls = certificate(work);
    // The load's side: host 2's network namespace, and bench.test naming host 1 (a private
    // /etc/hosts in a mount namespace of the load generator's own).
    const hostsFile = path.join(work, "hosts");
    fs.writeFileSync(hostsFile, `127.0.0.1 localhost\n${server.ip} ${APP_HOST}\n`);
    const inClient = (argv) => [
      "nsenter",
      [`--net=/var/run/netns/${client.name}`, "unshare", "--mount", "sh", "-c", `mount --bind ${hostsFile} /etc/hosts && exec "$@"`, "sh", ...argv],
    ];
    const project = createProject(bed, work, tls);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8", CI: "true", BERTH_PROXY_BASE_IMAGE: "berth-test/node:20", DOCKER_CONFIG: path.join(work, "docker") };
    const setup = await measure(process.execPath, [BERTH_BIN, "setup"], { cwd: project.dir, env });
    if (setup.code !== 0) throw new Error(`berth setup failed:\n${setup.stdout}${setup.stderr}`);
    const docker = async (command) => {
      const result = await server.exec(command);
      if (result.code !== 0) throw new Error(`on ${server.name}: ${command}: ${result.stderr}`);
      return result.stdout.trim();
    };
    return {
      bed,
      server,
      client,
      work,
      tls,
      images,
      project,
      env,
      inClient,
      docker,
      /** The image berth setup built and deployed: `<registry>/berth-bench/proxyapp:<version>`. */
      appImage: `${bed.registry}/berth-bench/proxyapp:${project.version}`,
      /** Resident memory of a container's processes, in MB (ps in the host's PID namespace). */
      async rssMb(container) {
        const pids = (await docker(`docker top ${container} -eo pid`)).split("\n").slice(1).map((line) => line.trim()).filter(Boolean);
        const rss = await docker(`ps -o rss= -p ${pids.join(",")}`);
        return rss.split("\n").reduce((sum, line) => sum + Number(line.trim() || 0), 0) / 1024;
      },
      /** Starts a process in host 2's namespace (e.g. idle clients), with its output collected. */
      spawnInClient(argv) {
        const [command, args] = inClient(argv);
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
        child.output = "";
        child.stdout.on("data", (chunk) => (child.output += chunk));
        child.stderr.on("data", (chunk) => (child.output += chunk));
        return child;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function certificate(work) {
  const cert = path.join(work, "bench.crt");
  const key = path.join(work, "bench.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${APP_HOST}`,
    "-addext", `subjectAltName=DNS:${APP_HOST}`, "-keyout", key, "-out", cert,
  ], { stdio: "ignore" });
  const pem = path.join(work, "bench.pem"); // HAProxy's crt: certificate and key in one file
  fs.writeFileSync(pem, fs.readFileSync(cert, "utf8") + fs.readFileSync(key, "utf8"));
  return { cert, key, pem };
}

function createProject(bed, work, tls) {
  const dir = path.join(work, "app");
  fs.mkdirSync(path.join(dir, "config"), { recursive: true });
  fs.mkdirSync(path.join(dir, ".kamal"));
  fs.copyFileSync(path.join(ROOT, "bench/proxy/app.mjs"), path.join(dir, "app.mjs"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), 'FROM berth-test/node:20\nCOPY app.mjs /app.mjs\nCMD ["node", "/app.mjs", "80"]\n');
  fs.writeFileSync(path.join(dir, ".kamal/secrets"), `REGISTRY_PASSWORD=bench\nCERT_PEM=$(cat ${tls.cert})\nKEY_PEM=$(cat ${tls.key})\n`);
  fs.writeFileSync(path.join(dir, ".gitignore"), ".kamal/secrets\n");
  fs.writeFileSync(path.join(dir, ".dockerignore"), ".git\n.kamal\n");
  fs.writeFileSync(
    path.join(dir, "config/deploy.yml"),
    [
      "service: bench",
      "image: berth-bench/proxyapp",
      "registry:",
      `  server: ${bed.registry}`,
      "  username: bench",
      "  password:",
      "    - REGISTRY_PASSWORD",
      "servers:",
      "  web:",
      `    - ${bed.hosts[0].ip}`,
      "proxy:",
      `  host: ${APP_HOST}`,
      "  app_port: 80",
      "  ssl:",
      "    certificate_pem: CERT_PEM",
      "    private_key_pem: KEY_PEM",
      "  ssl_redirect: false",
      "  healthcheck:",
      "    path: /up",
      "    interval: 1",
      "builder:",
      "  arch: amd64",
      "ssh:",
      `  config: ${bed.sshConfigPath}`,
      "drain_timeout: 2",
      "readiness_delay: 0",
      "",
    ].join("\n"),
  );
  return { dir, version: commitAll(dir, "bench", { init: true }) };
}

/**
 * An HAProxy image from Debian's haproxy binary and the libraries `ldd` lists, on busybox (as the
 * test bed makes its Node image), imported into host 1's dockerd as `berth-bench/haproxy:debian`.
 */
export async function importHaproxyImage(host, work) {
  const rootfs = path.join(work, "haproxy-rootfs");
  const binary = "/usr/sbin/haproxy";
  if (!fs.existsSync(binary)) throw new Error("haproxy is missing: run `bash .ci/run --setup-only` (Debian's haproxy package)");
  for (const dir of ["bin", "etc", "tmp", "run", "usr/sbin", "usr/local/etc/haproxy"]) fs.mkdirSync(path.join(rootfs, dir), { recursive: true });
  fs.copyFileSync("/usr/bin/busybox", path.join(rootfs, "bin/busybox"));
  fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  fs.symlinkSync("busybox", path.join(rootfs, "bin/sh"));
  const copy = (source) => {
    const target = path.join(rootfs, source);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(source, target);
    fs.chmodSync(target, 0o755);
  };
  copy(binary);
  for (const match of execFileSync("ldd", [binary], { encoding: "utf8" }).matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)) copy(match[1]);
  fs.writeFileSync(path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nhaproxy:x:99:99::/var/lib/haproxy:/bin/false\n");
  fs.writeFileSync(path.join(rootfs, "etc/group"), "root:x:0:\nhaproxy:x:99:\n");
  const image = "berth-bench/haproxy:debian";
  const result = await host.exec(`tar -C ${rootfs} -c . | docker import -c 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg", "-db"]' - ${image}`);
  if (result.code !== 0) throw new Error(`importing the HAProxy image: ${result.stderr}`);
  return image;
}
