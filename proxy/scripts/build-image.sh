#!/bin/sh
# Builds the proxy image from a staging context (package.json + dist + production node_modules).
# Usage: proxy/scripts/build-image.sh [TAG] [BASE]
#   TAG  default berth-proxy:latest
#   BASE default node:20-bookworm-slim (the test bed uses berth-test/node:20)
# Needs a built proxy (npm run build) and a docker client (classic builder is fine, no buildx).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tag=${1:-berth-proxy:latest}
base=${2:-node:20-bookworm-slim}
[ -f "$here/dist/bin/kamal-proxy.js" ] || { echo "build-image: $here/dist is missing; run npm run build first" >&2; exit 1; }
stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-proxy-image.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp "$here/package.json" "$here/Dockerfile" "$stage/"
mkdir "$stage/dist"
(cd "$here/dist" && find . -name '*.js' -o -name '*.json' | grep -v tsbuildinfo | while read -r file; do
  mkdir -p "$stage/dist/$(dirname "$file")" && cp "$file" "$stage/dist/$file"; done)
if node -e 'process.exit(Object.keys(require(process.argv[1]).dependencies ?? {}).length ? 0 : 1)' "$stage/package.json"; then
  (cd "$stage" && npm install --omit=dev --no-package-lock --no-audit --no-fund --ignore-scripts >/dev/null)
fi
docker build --quiet --build-arg "BASE=$base" -t "$tag" -f "$stage/Dockerfile" "$stage"
