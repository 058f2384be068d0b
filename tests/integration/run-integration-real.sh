#!/usr/bin/env bash
# scripts/run-integration.sh --real refuses to start, with a message naming what is
# missing, when the environment has no AWS credentials or region (or has ~/.aws, or
# points at an endpoint), and creates nothing: no copy of the collection, no emulator.
# Usage: tests/integration/run-integration-real.sh   (no AWS account needed)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail=0
# expect <label> <text the message must hold> [NAME=VALUE ...] [-- option ...]
expect() {
  local label=$1 want=$2 rc=0 envs=() opts=(); shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; opts=("$@"); }
  env -i PATH="$PATH" HOME="$work/home" RUN_INTEGRATION_WORKDIR="$work/runs" ${envs[@]+"${envs[@]}"} \
    "$root/scripts/run-integration.sh" --real ${opts[@]+"${opts[@]}"} ecs_cluster >"$work/out" 2>&1 || rc=$?
  if [ "$rc" -ne 2 ] || ! grep -qF -- "$want" "$work/out" || [ -n "$(ls -A "$work/runs" 2>/dev/null)" ]; then
    echo "FAILED: $label (rc $rc, want exit 2, \"$want\", nothing created):"; cat "$work/out"; fail=1
  else
    echo "ok: $label: $(head -n 2 "$work/out" | tr '\n' ' ')"
  fi
}
mkdir -p "$work/home"
expect "no credentials at all" "not set: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (or AWS_DEFAULT_REGION)."
expect "no secret key" "not set: AWS_SECRET_ACCESS_KEY." AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_REGION=eu-west-1
expect "no region" "not set: AWS_REGION (or AWS_DEFAULT_REGION)." AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=x
expect "with the emulator's fault options" "need the emulator" AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=x AWS_REGION=eu-west-1 -- --throttle 0.2
mkdir -p "$work/home/.aws"
expect "a ~/.aws directory" "rename it" AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=x AWS_REGION=eu-west-1
rmdir "$work/home/.aws"
expect "an endpoint override" "AWS_ENDPOINT_URL is set" AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=eu-west-1 AWS_ENDPOINT_URL=http://127.0.0.1:1
exit "$fail"
