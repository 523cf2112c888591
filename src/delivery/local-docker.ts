// This machine's Docker, as the image delivery reads it: an image's ID by name, and the
// `docker save` stream of an image. Through the docker CLI, so DOCKER_HOST, DOCKER_CONTEXT and
// the CLI's current context reach the same daemon the build used.
import { execFile, spawn } from "node:child_process";
import type { Readable } from "node:stream";

export interface ImageSave {
  /** The tar stream (`docker save`), to be read to its end. */
  readonly stream: Readable;
  /** Settles once docker exits: rejects with its message when the save failed. */
  readonly done: Promise<void>;
  /** Ends the save (the run is ending). */
  cancel(): void;
}

export interface LocalDocker {
  /** The image's ID (`sha256:…`), or undefined when this machine's Docker has no image of that name. */
  imageId(reference: string): Promise<string | undefined>;
  /** Streams `docker save <image>`. */
  save(image: string): ImageSave;
}

export class LocalDockerError extends Error {}

/** The docker CLI with this environment (the run's: PATH, DOCKER_HOST, DOCKER_CONFIG…). */
export function dockerCli(env: NodeJS.ProcessEnv): LocalDocker {
  return {
    imageId: (reference) =>
      new Promise((resolve, reject) => {
        execFile("docker", ["image", "inspect", "--format", "{{.Id}}", reference], { env, encoding: "utf8" }, (error, stdout, stderr) => {
          if (error === null) return resolve(stdout.trim());
          if (/no such (image|object)/i.test(stderr)) return resolve(undefined);
          reject(new LocalDockerError(dockerFailure(error, stderr, `docker image inspect ${reference}`)));
        });
      }),
    save: (image) => {
      const child = spawn("docker", ["save", image], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
      const done = new Promise<void>((resolve, reject) => {
        child.once("error", (error) => reject(new LocalDockerError(dockerFailure(error, stderr, `docker save ${image}`))));
        child.once("close", (code, signal) => {
          if (code === 0) return resolve();
          const failure = new LocalDockerError(`docker save ${image} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || "no message"}`);
          child.stdout.destroy(failure);
          reject(failure);
        });
      });
      done.catch(() => undefined); // the caller awaits it
      return { stream: child.stdout, done, cancel: () => child.kill("SIGTERM") };
    },
  };
}

function dockerFailure(error: Error, stderr: string, what: string): string {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return "Docker is not installed locally (no docker on PATH)";
  return `${what} failed: ${stderr.trim() || error.message}`;
}
