// A file written on a host through standard input: into a fresh temporary file next to the target
// (mktemp creates it 0600, so the body is never readable by others), owner and mode set, then
// renamed over the target, so readers see either the old file or the whole new one. The body
// never appears in arguments.
import { cmd, singleQuote, type Cmd, type Redacted } from "../core/cmd.js";
import { BerthError } from "../util/errors.js";

const UPLOAD_SCRIPT = [
  "set -e",
  'tmp=$(mktemp "$(dirname "$1")/.berth-upload.XXXXXX")',
  "trap 'rm -f \"$tmp\"' EXIT",
  'cat > "$tmp"',
  'if [ -n "$3" ]; then chown "$3" "$tmp"; fi',
  'chmod "$2" "$tmp"',
  'mv -f "$tmp" "$1"',
  "trap - EXIT",
].join("; ");

export interface Upload extends Cmd {
  readonly kind: "upload";
  readonly path: string;
  readonly mode: number;
  /** `user[:group]` to chown to before the file appears. */
  readonly owner: string | undefined;
  /** The file's content. */
  readonly stdin: Buffer | Redacted;
}

export interface UploadOptions {
  /** File mode, applied before the file appears under its name (default 0o600). */
  readonly mode?: number;
  readonly owner?: string;
}

/** `sh -c '<write stdin to path atomically>' berth-upload PATH MODE OWNER`, the body on stdin. */
export function upload(path: string, body: Buffer | Redacted, { mode = 0o600, owner }: UploadOptions = {}): Upload {
  if (path === "" || path.startsWith("-") || path.endsWith("/")) {
    throw new BerthError(`Cannot upload to "${path}": expected a file path`);
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new BerthError(`Cannot upload to ${path}: mode ${mode} is not a file mode (0 to 0o7777)`);
  }
  if (owner !== undefined && !/^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)?$/.test(owner)) {
    throw new BerthError(`Cannot upload to ${path}: owner "${owner}" is not user or user:group`);
  }
  const command = cmd("sh", "-c", singleQuote(UPLOAD_SCRIPT), "berth-upload", singleQuote(path), formatMode(mode), singleQuote(owner ?? ""));
  return { kind: "upload", path, mode, owner, stdin: body, parts: command.parts };
}

export const formatMode = (mode: number): string => mode.toString(8).padStart(4, "0");

/** The body's size in bytes. */
function uploadBytes(body: Buffer | Redacted): number {
  return Buffer.isBuffer(body) ? body.length : Buffer.byteLength(body.value);
}

/** What logs show for an upload (the body is never shown). */
export function describeUpload({ path, mode, stdin }: Upload): string {
  return `Uploading ${uploadBytes(stdin)} bytes to ${path} (mode ${formatMode(mode)})`;
}
