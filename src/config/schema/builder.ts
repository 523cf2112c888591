// `builder:` how the image is built.
import { anyHash, bool, documented, list, oneOf, section, str, withHint } from "./meta.js";
import { DEFAULT_BUILDER_DRIVER, DEFAULT_DOCKERFILE } from "../defaults.js";

export const builderSchema = documented(
  withHint(
    section({
      arch: documented(withHint(oneOf([list(str()), str()]), { expected: "an array or a string", missing: { message: "Builder arch not set", atParent: true } }), {
        title: "Architectures",
        description: "What to build for: `amd64`, `arm64`, or both as a list.",
        examples: ["arch: amd64", "arch:\n  - amd64\n  - arm64"],
      }),
      remote: documented(str(), {
        title: "Remote builder",
        description: "A Docker host (`ssh://user@host`) that builds the architectures the local machine can't.",
        examples: ["remote: ssh://docker@builder.example.com"],
      }).optional(),
      local: documented(bool(), {
        title: "Local builds",
        description: "`false` sends every build to the remote builder, even for the local architecture.",
        examples: ["local: false"],
        default: true,
      }).optional(),
      driver: documented(str(), {
        title: "Driver",
        description: "The buildx driver. `docker` builds without a builder container (no multi-arch, cache or remote); `cloud org/name` uses Docker Build Cloud.",
        examples: ["driver: docker", "driver: cloud org-name/builder-name"],
        default: DEFAULT_BUILDER_DRIVER,
      }).optional(),
      pack: documented(
        section({
          builder: documented(str(), { title: "Buildpack builder", description: "The builder image `pack` uses.", examples: ["builder: heroku/builder:24"] }).optional(),
          buildpacks: documented(list(str()), { title: "Buildpacks", description: "Buildpacks to apply, in order.", examples: ["buildpacks:\n  - heroku/ruby"] }).optional(),
        }),
        {
          title: "Cloud Native Buildpacks",
          description: "Build with `pack` instead of a Dockerfile (one architecture only).",
          examples: ["pack:\n  builder: heroku/builder:24\n  buildpacks:\n    - heroku/ruby\n    - heroku/procfile"],
        },
      ).optional(),
      cache: documented(
        section({
          type: documented(str(), { title: "Type", description: "`gha` or `registry`.", examples: ["type: registry"] }).optional(),
          options: documented(str(), { title: "Options", description: "Extra cache options appended to `--cache-to`.", examples: ["options: mode=max"] }).optional(),
          image: documented(str(), { title: "Image", description: "Registry cache image (default `<image>-build-cache`).", examples: ["image: myapp-build-cache"] }).optional(),
        }),
        {
          title: "Build cache",
          description: "Reuse layers between builds through GitHub Actions' cache or a registry image.",
          examples: ["cache:\n  type: registry\n  options: mode=max\n  image: myapp-build-cache"],
        },
      ).optional(),
      context: documented(str(), {
        title: "Context",
        description:
          "What to build from. Unset means a fresh clone of the committed git HEAD, so uncommitted changes are never shipped; `.` builds the working tree.",
        examples: ["context: ."],
      }).optional(),
      dockerfile: documented(str(), { title: "Dockerfile", description: "The Dockerfile to build, relative to the context.", examples: ["dockerfile: Dockerfile.production"], default: DEFAULT_DOCKERFILE }).optional(),
      target: documented(str(), { title: "Target stage", description: "The stage of a multi-stage Dockerfile to build.", examples: ["target: production"] }).optional(),
      args: documented(anyHash(), {
        title: "Build arguments",
        description: "Passed as `--build-arg KEY=value`.",
        examples: ["args:\n  RUBY_VERSION: 3.3.5"],
      }).optional(),
      secrets: documented(list(str()), {
        title: "Build secrets",
        description: "Secrets from `.kamal/secrets` made available to `RUN --mount=type=secret,id=NAME`.",
        examples: ["secrets:\n  - GITHUB_TOKEN"],
      }).optional(),
      ssh: documented(str(), {
        title: "SSH forwarding",
        description: "An SSH agent socket or keys the build may use.",
        examples: ["ssh: default=$SSH_AUTH_SOCK"],
      }).optional(),
      provenance: documented(str(), {
        title: "Provenance",
        description: "Provenance attestation settings, or a boolean.",
        examples: ["provenance: mode=max"],
      }).optional(),
      sbom: documented(str(), {
        title: "SBOM",
        description: "Software bill of materials settings, or a boolean.",
        examples: ["sbom: true"],
      }).optional(),
    }),
    { missing: { message: "Builder arch not set" } },
  ),
  {
    title: "Builder",
    description: "How the image is built: architectures, remote builders, cache, context and build arguments.",
    section: "builder",
  },
  { id: "builder" },
);
