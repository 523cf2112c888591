#!/bin/sh
# The README's main job until the local-servers demo exists: scaffold a Kamal-style project in a
# scratch folder with `berth init`, then print its resolved configuration with `berth config`.
set -eu
berth="$(cd "$(dirname "$0")/.." && pwd)/dist/bundle/berth.js"
dir="$(mktemp -d "${TMPDIR:-/tmp}/berth-quickstart.XXXXXX")"
cd "$dir"
echo "# berth init in $dir"
node "$berth" init
# A version normally comes from git HEAD; the scratch folder is not a repository.
echo "# berth config"
VERSION=quickstart node "$berth" config
