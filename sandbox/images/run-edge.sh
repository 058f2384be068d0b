#!/usr/bin/env bash
# Start one edge host container (systemd as PID 1, its own Docker) for manual
# tests: sandbox/images/run-edge.sh NAME NETWORK [extra docker run args...]
# The Molecule scenario uses the same options through molecule's docker driver
# (see README.md). Remove it with: docker rm -f NAME && docker volume rm NAME-docker
set -euo pipefail
NAME="${1:?usage: run-edge.sh NAME NETWORK [docker run args...]}"
NETWORK="${2:?usage: run-edge.sh NAME NETWORK [docker run args...]}"
shift 2
IMAGE="${EDGE_IMAGE:-edgeops/edge-debian12:latest}"

docker volume create "$NAME-docker" >/dev/null
exec docker run -d --name "$NAME" --hostname "$NAME" --network "$NETWORK" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add NET_RAW --cap-add MKNOD \
    --cap-add SYS_CHROOT --cap-add SETFCAP --cap-add AUDIT_WRITE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -v "$NAME-docker:/var/lib/docker" \
    -e container=docker --stop-signal SIGRTMIN+3 \
    "$@" "$IMAGE" /lib/systemd/systemd
