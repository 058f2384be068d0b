#!/usr/bin/env bash
# What `make test` needs on this machine, checked before any suite runs.
# Prints every missing piece with the command that provides it; exit 1 if any.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
missing=0
need() {  # need <what> <check command> <how to fix>
  if ! eval "$2" >/dev/null 2>&1; then
    printf 'missing: %-34s fix: %s\n' "$1" "$3" >&2
    missing=$((missing + 1))
  fi
}
need "python 3.11" "python3 -c 'import sys; assert sys.version_info[:2] == (3, 11)'" \
  "install CPython 3.11 (ansible-core 2.19 and the pinned toolchain need it)"
need ".venv (pinned toolchain)" "test -x '$root/.venv/bin/ansible-playbook'" "make venv"
need "git" "command -v git" "apt-get install -y git"
need "rsync" "command -v rsync" "apt-get install -y rsync"
need "shellcheck (sanity test)" "command -v shellcheck" "apt-get install -y shellcheck"
need "gpg and gpgv" "command -v gpg && command -v gpgv" "apt-get install -y gnupg gpgv"
need "dpkg-deb (agent packages)" "command -v dpkg-deb" "apt-get install -y dpkg-dev"
need "gcc and libc headers (amazon-ecs-init is built with cgo)" "command -v gcc && test -f /usr/include/stdio.h" "apt-get install -y gcc libc6-dev"
need "debootstrap (edge images)" "command -v debootstrap" "apt-get install -y debootstrap"
need "docker engine running" "docker info" "apt-get install -y docker.io && scripts/ensure-docker.sh (starts dockerd)"
need "curl" "command -v curl" "apt-get install -y curl"
if [ "$missing" -gt 0 ]; then
  echo "make test: $missing prerequisite(s) missing; .ci/run installs all of them (as root)." >&2
  exit 1
fi
echo "prerequisites: all present"
