// `accessories.NAME:` supporting services (databases, caches) run next to the app.
import { anyHash, documented, hashOf, list, oneOf, section, str } from "./meta.js";
import { envSchema } from "./env.js";
import { proxySchema } from "./proxy.js";
import { registrySchema } from "./registry.js";
import { DEFAULT_ACCESSORY_FILE_MODE, DEFAULT_ACCESSORY_NETWORK } from "../defaults.js";

/** `local:remote[:options]`, or a map with mode and owner. */
function pathMapping(kind: "file" | "directory") {
  return oneOf([
    str(),
    section({
      local: documented(str(), {
        title: "Local path",
        description: kind === "file" ? "The file on this machine, relative to the project." : "The host directory; relative paths are under the accessory's directory.",
        examples: [kind === "file" ? "local: config/my.cnf" : "local: mysql-data"],
      }),
      remote: documented(str(), { title: "Container path", description: "Where it is mounted in the container.", examples: [kind === "file" ? "remote: /etc/mysql/my.cnf" : "remote: /var/lib/mysql"] }),
      mode: documented(str(), {
        title: "Mode",
        description: kind === "file" ? `File mode on the host (default ${DEFAULT_ACCESSORY_FILE_MODE}).` : "Directory mode on the host.",
        examples: [kind === "file" ? 'mode: "0640"' : 'mode: "0750"'],
      }).optional(),
      owner: documented(str(), { title: "Owner", description: "`user` or `user:group` on the host.", examples: ['owner: "999:999"'] }).optional(),
      options: documented(str(), { title: "Mount options", description: "Such as `ro` or `z`.", examples: ["options: ro"] }).optional(),
    }),
  ]);
}

export const accessorySchema = documented(
  section({
    service: documented(str(), {
      title: "Service name",
      description: "Container name and `service` label (default `<service>-<accessory>`).",
      examples: ["service: mysql"],
    }).optional(),
    image: documented(str(), {
      title: "Image",
      description: "The image to run; prefixed with the accessory's own registry server when it has one.",
      examples: ["image: mysql:8.0"],
    }).optional(),
    registry: documented(registrySchema.optional(), {
      title: "Registry",
      description: "A registry for this accessory's image, with its own credentials (see `berth docs registry`).",
      examples: ["registry:\n  server: registry.example.com\n  username: user\n  password:\n    - ACCESSORY_REGISTRY_PASSWORD"],
    }),
    host: documented(str(), { title: "Host", description: "Set exactly one of host, hosts, role, roles, tag or tags.", examples: ["host: db.example.com"] }).optional(),
    hosts: documented(list(str()), { title: "Hosts", description: "Run on each of these hosts.", examples: ["hosts:\n  - db1.example.com\n  - db2.example.com"] }).optional(),
    role: documented(str(), { title: "Role", description: "Run on every host of this role.", examples: ["role: web"] }).optional(),
    roles: documented(list(str()), { title: "Roles", description: "Run on every host of these roles.", examples: ["roles:\n  - web\n  - workers"] }).optional(),
    tag: documented(str(), { title: "Tag", description: "Run on every server host carrying this tag.", examples: ["tag: database"] }).optional(),
    tags: documented(list(str()), { title: "Tags", description: "Run on every server host carrying one of these tags.", examples: ["tags:\n  - database\n  - cache"] }).optional(),
    cmd: documented(str(), { title: "Command", description: "Runs instead of the image's default command.", examples: ['cmd: "bin/mysqld"'] }).optional(),
    port: documented(str(), {
      title: "Port",
      description: "Published port: `3306` means `3306:3306`; an address can be given (`127.0.0.1:3306:3306`).",
      examples: ['port: "127.0.0.1:3306:3306"'],
    }).optional(),
    labels: documented(hashOf(str()), { title: "Labels", description: "Docker labels besides `service`.", examples: ["labels:\n  app: myapp"] }).optional(),
    options: documented(anyHash(), {
      title: "Docker options",
      description: "Extra `docker run` options as `--key value`; `restart` sets the restart policy.",
      examples: ["options:\n  restart: always\n  cpus: 2"],
    }).optional(),
    env: documented(envSchema.optional(), { title: "Environment variables", description: "Clear and secret env for the accessory (no tags).", examples: ["env:\n  clear:\n    MYSQL_ROOT_HOST: '%'\n  secret:\n    - MYSQL_ROOT_PASSWORD"] }),
    files: documented(list(pathMapping("file")), {
      title: "Files",
      description: "Files uploaded from this machine and mounted into the container; `.erb` files are rendered first with the accessory's clear env.",
      examples: ["files:\n  - config/my.cnf.erb:/etc/mysql/my.cnf\n  - local: config/init.sql\n    remote: /docker-entrypoint-initdb.d/init.sql\n    mode: \"0644\"\n    owner: \"999:999\""],
    }).optional(),
    directories: documented(list(pathMapping("directory")), {
      title: "Directories",
      description: "Host directories created before boot and mounted; relative paths live under the accessory's directory in the SSH user's home.",
      examples: ["directories:\n  - mysql-data:/var/lib/mysql"],
    }).optional(),
    volumes: documented(list(str()), {
      title: "Volumes",
      description: "Other mounts, passed to `--volume` as they are (nothing is created first).",
      examples: ["volumes:\n  - /var/lib/mysql-logs:/var/log/mysql"],
    }).optional(),
    network: documented(str(), { title: "Network", description: "The Docker network the container joins.", examples: ["network: custom"], default: DEFAULT_ACCESSORY_NETWORK }).optional(),
    proxy: documented(proxySchema.optional(), {
      title: "Proxy",
      description: "Route traffic to the accessory through the proxy (same keys as the root `proxy`, not merged with it).",
      examples: ["proxy:\n  host: pgadmin.example.com\n  app_port: 80"],
    }),
  }),
  {
    title: "Accessory",
    description:
      "A supporting service such as a database, run on its own hosts or on app hosts. Accessories are booted on their own and are not replaced on deploy.",
    section: "accessory",
  },
  { id: "accessory" },
);

export const accessoriesSchema = documented(
  hashOf(accessorySchema),
  {
    title: "Accessories",
    description: "Supporting services, keyed by name.",
    section: "accessory",
  },
  { id: "accessories" },
);
