#!/usr/bin/env bash
# Runs inside one fleet host's own network, mount, UTS and PID namespaces (under tini as PID 1;
# started by testbed/fleet.ts). A fleet host has no dockerd: it gets its own /root and /run, a
# stand-in for the docker CLI, and sshd in the foreground. Whoever started the fleet serves the
# Docker Engine API socket (/run/docker.sock here) from outside, through the state directory.
set -euo pipefail
name=$1 state=$2 cli_dir=$3

hostname "$name"
mount --bind "$state/root" /root
mount --bind "$state/run" /run
mkdir -p /run/sshd
chmod 0755 /run/sshd
# `docker` is the stand-in: first on sshd's PATH, and over the real client where one is installed.
mount --bind "$cli_dir" /usr/local/bin
if [ -e /usr/bin/docker ]; then mount --bind "$cli_dir/docker" /usr/bin/docker; fi

exec /usr/sbin/sshd -D -e -f "$state/sshd_config"
