#!/usr/bin/env bash
# Build the sandbox's docker images with no registry:
#   edgeops/debian12-base:<hash>       debootstrap --variant=minbase + docker import
#   edgeops/edge-debian12:<hash>       (+ :latest) systemd PID 1, python3-boto3, docker.io
#   public.ecr.aws/nginx/nginx:stable  Debian's nginx, saved to .cache/images/nginx.tar
# Everything is keyed on a hash of this directory's build inputs: a second run
# with unchanged inputs only inspects the images and exits.
# Usage: sandbox/images/build.sh        (env: DEBIAN_MIRROR, SUITE, FORCE=1)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="$ROOT/.cache/images"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${SUITE:-bookworm}"
export DOCKER_BUILDKIT=0   # the classic builder needs no builder image

log() { printf '==> %s\n' "$*" >&2; }

# Bump when the debootstrap/import step below changes what goes into the base.
RECIPE=1
inputs_hash() {
    # Everything that shapes an image; not the README or the helper scripts.
    (cd "$HERE" && cat Dockerfile.edge Dockerfile.nginx egress-guard.sh edgeops-sandbox-egress.service edgeops-sandbox-procsys.service && echo "$RECIPE $SUITE $DEBIAN_MIRROR") \
        | sha256sum | cut -c1-12
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

if ! docker info >/dev/null 2>&1; then
    echo "build.sh: the Docker engine is not reachable; start it: (setsid dockerd >/var/log/dockerd.log 2>&1 &)" >&2
    exit 1
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock 9   # one build at a time (molecule and the smoke test may start together)

HASH="$(inputs_hash)"
# the debootstrap base depends only on the suite, mirror and recipe
BASE="edgeops/debian12-base:$(echo "$RECIPE $SUITE $DEBIAN_MIRROR" | sha256sum | cut -c1-12)"
EDGE="edgeops/edge-debian12"
NGINX="public.ecr.aws/nginx/nginx:stable"
NGINX_TAR="$CACHE/nginx.tar"
mkdir -p "$CACHE"
if [ "${FORCE:-0}" = 1 ]; then
    docker rmi -f "$BASE" "$EDGE:$HASH" "$NGINX" >/dev/null 2>&1 || true
fi

# 1. base image from debootstrap (needed only when a derived image is missing)
need_base() {
    ! have_image "$EDGE:$HASH" \
        || [ "$(docker image inspect -f '{{ index .Config.Labels "edgeops.inputs" }}' "$NGINX" 2>/dev/null)" != "$HASH" ]
}
if need_base && ! have_image "$BASE"; then
    command -v debootstrap >/dev/null || { echo "build.sh: debootstrap missing: apt-get install -y debootstrap" >&2; exit 1; }
    ROOTFS="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
    trap 'rm -rf "$ROOTFS"' EXIT
    log "debootstrap $SUITE (minbase) from $DEBIAN_MIRROR"
    debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
    rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
    log "docker import -> $BASE"
    tar -C "$ROOTFS" --numeric-owner -c . \
        | docker import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
    rm -rf "$ROOTFS"
    trap - EXIT
fi

# 2. edge host image
if ! have_image "$EDGE:$HASH"; then
    log "building $EDGE:$HASH"
    docker build -q --build-arg "BASE=$BASE" --label "edgeops.inputs=$HASH" \
        -t "$EDGE:$HASH" -f "$HERE/Dockerfile.edge" "$HERE" 2> >(grep -v -e DEPRECATED -e "legacy builder" -e BuildKit -e "environment-variable" -e "^ *$" >&2) >/dev/null
fi
if [ "$(docker image inspect -f '{{.Id}}' "$EDGE:latest" 2>/dev/null)" != "$(docker image inspect -f '{{.Id}}' "$EDGE:$HASH")" ]; then
    docker tag "$EDGE:$HASH" "$EDGE:latest"
fi

# 3. nginx task image and its tarball for the edge hosts' own Docker
if [ "$(docker image inspect -f '{{ index .Config.Labels "edgeops.inputs" }}' "$NGINX" 2>/dev/null)" != "$HASH" ]; then
    log "building $NGINX"
    docker build -q --build-arg "BASE=$BASE" --label "edgeops.inputs=$HASH" \
        -t "$NGINX" -f "$HERE/Dockerfile.nginx" "$HERE" 2> >(grep -v -e DEPRECATED -e "legacy builder" -e BuildKit -e "environment-variable" -e "^ *$" >&2) >/dev/null
fi
NGINX_ID="$(docker image inspect -f '{{.Id}}' "$NGINX")"
if [ ! -s "$NGINX_TAR" ] || [ "$(cat "$NGINX_TAR.id" 2>/dev/null)" != "$NGINX_ID" ]; then
    log "saving $NGINX -> $NGINX_TAR"
    docker save -o "$NGINX_TAR.tmp" "$NGINX"
    chmod 0644 "$NGINX_TAR.tmp"
    mv "$NGINX_TAR.tmp" "$NGINX_TAR"
    echo "$NGINX_ID" > "$NGINX_TAR.id"
fi

# 4. drop images left by older inputs (their tags only; layers in use stay)
for repo in "$EDGE" edgeops/debian12-base; do
    docker image ls --format '{{.Repository}}:{{.Tag}}' "$repo" \
        | grep -v -e ":$HASH\$" -e ':latest$' | xargs -r docker rmi >/dev/null 2>&1 || true
done
docker image prune -f --filter label=edgeops.inputs >/dev/null 2>&1 || true

log "images ready: $EDGE:$HASH (also :latest), $NGINX ($NGINX_TAR)"
