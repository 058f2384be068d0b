#!/usr/bin/env bash
# Build everything the sandbox needs, each step cached on its inputs:
#   docker images (sandbox/images/build.sh): edgeops/edge-debian12, nginx task image + .cache/images/nginx.tar
#   package mirror (sandbox/agents/build.sh): signed stand-in agents in AWS's S3 layout under .cache/mirror
# Usage: scripts/build-sandbox.sh [--images-only|--mirror-only]   (env: REGIONS, ARCHES, DEBIAN_MIRROR)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
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
    sandbox/agents/build.sh "$ROOT/.cache/mirror"
fi
