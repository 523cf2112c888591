// Golden tests for accessory commands, mirroring Kamal's test/commands/accessory_test.rb.
import { describe, expect, it } from "vitest";
import * as accessory from "../../../src/commands/accessory.js";
import { configFrom, fixtureConfig, text } from "./helpers.js";

const KAMAL_ACCESSORIES = `service: app
image: dhh/app
registry:
  server: private.registry
  username: dhh
  password: secret
servers:
  - 1.1.1.1
builder:
  arch: amd64
accessories:
  mysql:
    image: private.registry/mysql:8.0
    host: 1.1.1.5
    port: "3306"
    env:
      clear:
        MYSQL_ROOT_HOST: "%"
      secret:
        - MYSQL_ROOT_PASSWORD
    options:
      cpus: "4"
      memory: 2GB
  redis:
    image: redis:latest
    host: 1.1.1.6
    port: "6379:6379"
    labels:
      cache: "true"
    env:
      SOMETHING: else
    volumes:
      - /var/lib/redis:/data
  busybox:
    service: custom-busybox
    image: busybox:latest
    registry:
      server: other.registry
      username: user
      password: pw
    host: 1.1.1.7
    proxy:
      host: busybox.example.com
`;

const config = configFrom(KAMAL_ACCESSORIES);
const mysql = config.requireAccessory("mysql");
const redis = config.requireAccessory("redis");
const busybox = config.requireAccessory("busybox");
const LOG_HEADERS = '--log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"';

describe("accessory run", () => {
  it.each([
    [
      "mysql",
      mysql,
      'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 3306:3306 --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --label service="app-mysql" --cpus "4" --memory "2GB" private.registry/mysql:8.0',
    ],
    [
      "redis",
      redis,
      'docker run --name app-redis --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 6379:6379 --env SOMETHING="else" --env-file .kamal/apps/app/env/accessories/redis.env --volume /var/lib/redis:/data --label service="app-redis" --label cache="true" redis:latest',
    ],
    [
      "busybox (own service name and registry)",
      busybox,
      'docker run --name custom-busybox --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --env-file .kamal/apps/app/env/accessories/busybox.env --label service="custom-busybox" other.registry/busybox:latest',
    ],
  ])("%s", (_name, item, expected) => {
    expect(text(accessory.run(config, item))).toBe(expected);
  });

  it("with the host it runs on", () => {
    expect(text(accessory.run(config, mysql, { host: "1.1.1.5" }))).toBe(
      'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 3306:3306 --env KAMAL_HOST="1.1.1.5" --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --label service="app-mysql" --cpus "4" --memory "2GB" private.registry/mysql:8.0',
    );
  });

  it("with logging config", () => {
    const logged = configFrom(`${KAMAL_ACCESSORIES}logging:\n  driver: local\n  options:\n    max-size: 100m\n    max-file: 3\n`);
    expect(text(accessory.run(logged, logged.requireAccessory("busybox")))).toBe(
      'docker run --name custom-busybox --detach --restart unless-stopped --network kamal --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --env-file .kamal/apps/app/env/accessories/busybox.env --label service="custom-busybox" other.registry/busybox:latest',
    );
  });

  it("in a custom network", () => {
    const custom = configFrom(KAMAL_ACCESSORIES.replace('    port: "3306"\n', '    port: "3306"\n    network: custom\n'));
    expect(text(accessory.run(custom, custom.requireAccessory("mysql")))).toContain("--restart unless-stopped --network custom --log-opt");
  });

  it("with files, directories, restart policy and a command", () => {
    const fixture = fixtureConfig("accessories");
    expect(text(accessory.run(fixture, fixture.requireAccessory("mysql"), { host: "1.1.1.5" }))).toBe(
      'docker run --name app-mysql --detach --restart always --network kamal --log-opt max-size="10m" --publish 3306:3306 --env KAMAL_HOST="1.1.1.5" --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --volume $PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf --volume $PWD/app-mysql/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql --volume $PWD/app-mysql/data:/var/lib/mysql --volume /mnt/backups:/backups:ro --label service="app-mysql" --cpus "2" mysql:8.0',
    );
    expect(text(accessory.run(fixture, fixture.requireAccessory("redis"), { host: "1.1.1.1" }))).toBe(
      'docker run --name app-redis --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 127.0.0.1:6379:6379 --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/accessories/redis.env --volume /var/lib/redis:/data --label service="app-redis" redis:7 redis-server --appendonly yes',
    );
    expect(text(accessory.run(fixture, fixture.requireAccessory("search")))).toBe(
      'docker run --name custom-search --detach --restart unless-stopped --network search-net --log-opt max-size="10m" --env-file .kamal/apps/app/env/accessories/search.env --label service="custom-search" --label purpose="search" ghcr.io/search:1.2',
    );
  });

  it("under a destination, with the destination's env directory", () => {
    const staged = configFrom(KAMAL_ACCESSORIES, { destination: "staging" });
    expect(text(accessory.run(staged, staged.requireAccessory("redis")))).toContain("--env-file .kamal/apps/app-staging/env/accessories/redis.env");
    expect(text(accessory.ensureEnvDirectory(staged.requireAccessory("redis")))).toBe("mkdir -p .kamal/apps/app-staging/env/accessories");
  });
});

describe("accessory container", () => {
  it.each([
    ["start", accessory.start(mysql), "docker container start app-mysql"],
    ["stop", accessory.stop(mysql), "docker container stop app-mysql"],
    ["info", accessory.info(mysql), "docker ps --filter label=service=app-mysql"],
    ["info of any container, ids only", accessory.info(mysql, { all: true, quiet: true }), "docker ps -a -q --filter label=service=app-mysql"],
    ["running container id", accessory.containerId(busybox), "docker container ls --filter 'name=^custom-busybox$' --quiet"],
    ["pull image", accessory.pullImage(mysql), "docker image pull private.registry/mysql:8.0"],
    ["remove container", accessory.removeContainer(mysql), "docker container prune --force --filter label=service=app-mysql"],
    ["remove image", accessory.removeImage(mysql), "docker image rm --force private.registry/mysql:8.0"],
    ["remove service directory", accessory.removeServiceDirectory(mysql), "rm -rf app-mysql"],
    ["ensure env directory", accessory.ensureEnvDirectory(mysql), "mkdir -p .kamal/apps/app/env/accessories"],
    ["exec in the running container", accessory.execInExistingContainer(mysql, "mysql -u root"), "docker exec app-mysql mysql -u root"],
    ["exec interactively", accessory.execInExistingContainer(mysql, "mysql -u root", { interactive: "tty" }), "docker exec -it app-mysql mysql -u root"],
    ["exec with piped input", accessory.execInExistingContainer(mysql, "mysql -u root", { interactive: "pipe" }), "docker exec -i app-mysql mysql -u root"],
    [
      "exec in a new container",
      accessory.execInNewContainer(mysql, "mysql -u root"),
      'docker run --rm --network kamal --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --cpus "4" --memory "2GB" private.registry/mysql:8.0 mysql -u root',
    ],
    [
      "exec in a new interactive container",
      accessory.execInNewContainer(mysql, "mysql -u root", { interactive: "tty" }),
      'docker run -it --rm --network kamal --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --cpus "4" --memory "2GB" private.registry/mysql:8.0 mysql -u root',
    ],
  ])("%s", (_name, command, expected) => {
    expect(text(command)).toBe(expected);
  });

  it.each([
    [{}, "docker logs app-mysql --timestamps 2>&1"],
    [{ since: "5m", lines: 100, grep: "thing" }, "docker logs app-mysql --since 5m --tail 100 --timestamps 2>&1 | grep 'thing'"],
    [{ since: "5m", lines: 100, grep: "thing", grepOptions: "-C 2" }, "docker logs app-mysql --since 5m --tail 100 --timestamps 2>&1 | grep 'thing' -C 2"],
    [{ timestamps: false, since: "5m", lines: 100, grep: "thing", grepOptions: "-C 2" }, "docker logs app-mysql --since 5m --tail 100 2>&1 | grep 'thing' -C 2"],
  ])("logs %j", (options, expected) => {
    expect(text(accessory.logs(mysql, options))).toBe(expected);
  });

  it("follows logs", () => {
    expect(text(accessory.followLogs(mysql))).toBe("docker logs app-mysql --timestamps --tail 10 --follow 2>&1");
    expect(text(accessory.followLogs(mysql, { timestamps: false }))).toBe("docker logs app-mysql --tail 10 --follow 2>&1");
    expect(text(accessory.followLogs(mysql, { grep: "ERROR", lines: 50 }))).toBe('docker logs app-mysql --timestamps --tail 50 --follow 2>&1 | grep "ERROR"');
  });
});

describe("accessory files and directories", () => {
  const fixture = fixtureConfig("accessories");
  const [cnf, init] = fixture.requireAccessory("mysql").files;
  const [data, backups] = fixture.requireAccessory("mysql").directories;

  it("makes the file's directory, then sets mode and owner", () => {
    const plain = accessory.fileCommands(cnf!);
    expect(plain.before.map(text)).toEqual(["mkdir -p app-mysql/etc/mysql"]);
    expect(plain.after.map(text)).toEqual(["chmod 755 app-mysql/etc/mysql/my.cnf"]);
    const owned = accessory.fileCommands(init!);
    expect(owned.before.map(text)).toEqual(["mkdir -p app-mysql/docker-entrypoint-initdb.d"]);
    expect(owned.after.map(text)).toEqual(["chmod 0640 app-mysql/docker-entrypoint-initdb.d/init.sql", "chown 999:999 app-mysql/docker-entrypoint-initdb.d/init.sql"]);
  });

  it("makes directories", () => {
    expect(accessory.directoryCommands(data!).map(text)).toEqual(["mkdir -p $PWD/app-mysql/data"]);
    expect(accessory.directoryCommands(backups!).map(text)).toEqual(["mkdir -p /mnt/backups"]);
  });

  it("sets a directory's mode and owner when given", () => {
    const withMode = configFrom(
      KAMAL_ACCESSORIES.replace('    port: "3306"\n', '    port: "3306"\n    directories:\n      - local: data\n        remote: /var/lib/mysql\n        mode: "0700"\n        owner: "999:999"\n'),
    );
    const [directory] = withMode.requireAccessory("mysql").directories;
    expect(accessory.directoryCommands(directory!).map(text)).toEqual(["mkdir -p $PWD/app-mysql/data", "chmod 0700 $PWD/app-mysql/data", "chown 999:999 $PWD/app-mysql/data"]);
  });
});

describe("accessory behind the proxy", () => {
  it("deploys and removes", () => {
    expect(text(accessory.deploy(busybox, "172.1.0.2"))).toBe(
      `docker exec kamal-proxy kamal-proxy deploy custom-busybox --target="172.1.0.2:80" --host="busybox.example.com" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ${LOG_HEADERS}`,
    );
    expect(text(accessory.remove(busybox))).toBe("docker exec kamal-proxy kamal-proxy remove custom-busybox");
  });

  it("deploys on its app port", () => {
    const fixture = fixtureConfig("accessories");
    expect(text(accessory.deploy(fixture.requireAccessory("search"), "abc"))).toBe(
      `docker exec kamal-proxy kamal-proxy deploy custom-search --target="abc:9200" --host="search.example.com" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ${LOG_HEADERS}`,
    );
  });

  it("refuses an accessory without a proxy", () => {
    expect(() => accessory.deploy(mysql, "x")).toThrow(/does not run behind the proxy/);
  });
});
