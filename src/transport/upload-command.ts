// The remote side of an upload: standard input into a fresh temporary file next to the target
// (mktemp creates it 0600, so the body is never readable by others), owner and mode set, then
// renamed over the target, so readers see either the old file or the whole new one.
import { cmd, singleQuote, type Cmd } from "../core/cmd.js";
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

export function uploadCommand(remotePath: string, mode: number, owner?: string): Cmd {
  if (remotePath === "" || remotePath.startsWith("-") || remotePath.endsWith("/")) {
    throw new BerthError(`Cannot upload to "${remotePath}": expected a file path`);
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new BerthError(`Cannot upload to ${remotePath}: mode ${mode} is not a file mode (0 to 0o7777)`);
  }
  if (owner !== undefined && !/^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)?$/.test(owner)) {
    throw new BerthError(`Cannot upload to ${remotePath}: owner "${owner}" is not user or user:group`);
  }
  return cmd("sh", "-c", singleQuote(UPLOAD_SCRIPT), "berth-upload", singleQuote(remotePath), formatMode(mode), singleQuote(owner ?? ""));
}

export const formatMode = (mode: number): string => mode.toString(8).padStart(4, "0");

/** What logs show for an upload (the body is never shown). */
export function describeUpload(remotePath: string, bytes: number, mode: number): string {
  return `Uploading ${bytes} bytes to ${remotePath} (mode ${formatMode(mode)})`;
}
