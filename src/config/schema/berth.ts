// `x-berth:` holds Berth's own settings. Kamal 2 ignores root keys starting with `x-`, so a
// deploy.yml using them still works with Kamal; Berth validates them like every other key. Each
// setting names the command-line flag that overrides it (`flag`), and a test holds the command
// tree to it: a documented flag must exist.
import { bool, documented, int, section, str, withHint } from "./meta.js";

const releaseSchema = documented(
  section({
    cmd: withHint(
      documented(str(), {
        title: "Release command",
        description: "The command line, run in the new image (as a container's command), e.g. database migrations.",
        examples: ["cmd: bin/rails db:migrate"],
      }),
      { missing: { message: "is required" } },
    ),
    timeout: documented(int(), {
      title: "Release timeout",
      description: "Seconds the release command may run; after that it is stopped and the deploy fails.",
      examples: ["timeout: 600"],
      default: 600,
      flag: "berth deploy --release-timeout <seconds>",
    }).optional(),
  }),
  {
    title: "Release",
    description:
      "A command run once per deploy (`setup`, `deploy`, `redeploy`; not `rollback`), in a one-off container of the new image on the primary host, with the primary role's env file, volumes, options and the `kamal` network, after every host holds the image and before any host starts or switches to it. Its output is shown as it comes, each line prefixed with `release <host>|`; the audit log on the primary host records its start and outcome. If it fails or times out, no host is switched, the version that ran before keeps serving, the lock is released and the deploy exits non-zero.",
    flag: "berth deploy --skip-release",
  },
);

const doctorSchema = documented(
  section({
    min_free_disk_gb: documented(int(), {
      title: "Minimum free disk",
      description: "Gigabytes that must be free under Docker's data root on each host.",
      examples: ["min_free_disk_gb: 5"],
      default: 5,
      flag: "berth doctor --min-free-disk-gb <n>",
    }).optional(),
    max_clock_skew: documented(int(), {
      title: "Maximum clock skew",
      description: "Seconds a host's clock may differ from this machine's.",
      examples: ["max_clock_skew: 5"],
      default: 5,
      flag: "berth doctor --max-clock-skew <seconds>",
    }).optional(),
  }),
  {
    title: "Doctor",
    description: "Thresholds of `berth doctor`'s checks.",
  },
);

export const berthSchema = documented(
  section({
    release: releaseSchema.optional(),
    atomic: documented(bool(), {
      title: "All-or-nothing deploys",
      description:
        "As soon as any host or role fails, the hosts and roles that have not switched yet don't: their new containers are stopped before they serve. Every host that had switched is put back on its previous container (kept running until every host serves the new version), also where nothing ran before (its new container is stopped), so the fleet never stays on mixed versions; the report names the failed hosts and roles, those not switched, and what was reverted. Without it Berth still puts back hosts that had a previous container. `rollback` is always all-or-nothing.",
      examples: ["atomic: true"],
      default: false,
      flag: "berth deploy --atomic",
    }).optional(),
    doctor: doctorSchema.optional(),
  }),
  {
    title: "Berth's own settings",
    description:
      "Settings only Berth reads, under the root key `x-berth` (Kamal ignores root keys starting with `x-`, so the same file still works with Kamal). Each is checked like every other key; where a setting has a command-line flag, the flag wins.",
    section: "x-berth",
  },
  { id: "x-berth" },
);
