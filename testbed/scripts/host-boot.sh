#!/usr/bin/env bash
# Runs inside one test host's own network, mount, UTS and PID namespaces (under tini as PID 1;
# started by testbed/host.ts). Gives the host its own /root, /run and /var/lib/docker, then keeps
# its dockerd and sshd in the foreground: killing the namespace's PID 1 ends everything at once.
set -euo pipefail
name=$1 state=$2 registry=$3 bip=$4 cgroup_parent=$5

hostname "$name"
mkdir -p /var/lib/docker
mount --bind "$state/root" /root
mount --bind "$state/run" /run
mount --bind "$state/docker" /var/lib/docker
mkdir -p /run/sshd
chmod 0755 /run/sshd

dockerd --bip "$bip" --insecure-registry "$registry" \
  --cgroup-parent "$cgroup_parent" --log-level warn &
/usr/sbin/sshd -D -e -f "$state/sshd_config" &
wait
