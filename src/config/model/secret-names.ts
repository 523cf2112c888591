// Every secret a configuration names, with where it names it: what a deploy will look up in the
// secrets files. `berth doctor` checks each resolves before a deploy needs it.
import type { Configuration } from "./configuration.js";
import type { ProxyConfig } from "./proxy.js";
import type { Registry } from "./registry.js";

export interface SecretUse {
  /** The name looked up in the secrets files. */
  readonly name: string;
  /** Where the configuration names it, as Kamal's paths read: `env/secret`, `registry/password`… */
  readonly where: string;
}

/** The secrets the configuration names, each name once (at its first use), in document order. */
export function namedSecrets(config: Configuration): SecretUse[] {
  const uses: SecretUse[] = [];
  const add = (name: string | undefined, where: string): void => {
    if (name !== undefined && name !== "" && !uses.some((use) => use.name === name)) uses.push({ name, where });
  };
  const registry = (value: Registry, where: string): void => {
    add(value.secretNameOf("username"), `${where}/username`);
    add(value.secretNameOf("password"), `${where}/password`);
  };
  const proxy = (value: ProxyConfig | null, where: string): void => {
    const certificate = value?.customCertificate;
    add(certificate?.certificatePemSecret, `${where}/ssl/certificate_pem`);
    add(certificate?.privateKeyPemSecret, `${where}/ssl/private_key_pem`);
  };

  registry(config.registry, "registry");
  for (const secret of Object.values(config.env.secrets)) add(secret, "env/secret");
  for (const tag of config.envTags) for (const secret of Object.values(tag.env.secrets)) add(secret, `env/tags/${tag.name}/secret`);
  for (const role of config.roles) {
    for (const host of role.hosts) for (const secret of Object.values(role.env(host).secrets)) add(secret, `servers/${role.name}/env/secret`);
    proxy(role.proxy, `servers/${role.name}/proxy`);
  }
  for (const accessory of config.accessories) {
    if (accessory.registry !== null) registry(accessory.registry, `accessories/${accessory.name}/registry`);
    for (const secret of Object.values(accessory.env.secrets)) add(secret, `accessories/${accessory.name}/env/secret`);
    proxy(accessory.proxy, `accessories/${accessory.name}/proxy`);
  }
  for (const secret of config.builder.secrets) add(secret, "builder/secrets");
  for (const entry of config.ssh.keyDataEntries ?? []) if (!entry.includes("PRIVATE KEY")) add(entry, "ssh/key_data");
  return uses;
}
