#!/usr/bin/env bash
# role_aws_cluster: check mode on a fresh state reports changes and makes none;
# the first run changes; the second run and a check run change nothing; the
# AWS state is read back after each step; a Container Insights change (disabled,
# the default, to enabled) is applied once; the `remove` entry point deletes it all.
set -euo pipefail
cd "$(dirname "$0")"
config="${INTEGRATION_CONFIG:-../../integration_config.yml}"
export ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_RETRY_FILES_ENABLED=false
# ansible-test sets the collections path; run directly from a checkout, use its .collections.
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$(cd ../../../.. && pwd)/.collections}"

# step <expect: changed|unchanged|any> <label> <ansible-playbook args...>
step() {
  local expect=$1 label=$2 out changed
  shift 2
  echo "=== $label"
  if ! out=$(ansible-playbook -i inventory.yml -e @"$config" "$@" 2>&1); then
    echo "$out"; echo "FAILED: $label"; exit 1
  fi
  changed=$(awk '/^PLAY RECAP/{r=1; next} r && /changed=/{sub(/.*changed=/, ""); sub(/ .*/, ""); s += $0} END {print s + 0}' <<<"$out")
  case "$expect" in
    changed) [ "$changed" -gt 0 ] || { echo "$out"; echo "FAILED: $label: expected changes, got changed=0"; exit 1; } ;;
    unchanged) [ "$changed" -eq 0 ] || { echo "$out"; echo "FAILED: $label: expected no change, got changed=$changed"; exit 1; } ;;
  esac
  echo "ok: $label (changed=$changed)"
}

trap 'ansible-playbook -i inventory.yml -e @"$config" remove.yml >/dev/null 2>&1 || true' EXIT

step unchanged "clean slate (state read back: nothing exists)" verify.yml -e verify_state=absent
step changed "check mode on a fresh state reports changes" converge.yml --check --diff
step unchanged "check mode changed nothing (state read back)" verify.yml -e verify_state=absent
step changed "first run creates everything" converge.yml --diff
step unchanged "state read back" verify.yml -e verify_state=present
step unchanged "second run changes nothing" converge.yml --diff
step unchanged "check mode after the run reports nothing to change" converge.yml --check --diff
step changed "a retention change is applied" converge.yml -e it_retention=60
step unchanged "state read back after the retention change" verify.yml -e verify_state=present -e it_retention=60
ci=(-e it_retention=60 -e aws_cluster_container_insights=enabled)
step changed "check mode reports the Container Insights change" converge.yml --check --diff "${ci[@]}"
step unchanged "check mode left Container Insights disabled (state read back)" verify.yml -e verify_state=present -e it_retention=60
step changed "Container Insights is enabled" converge.yml --diff "${ci[@]}"
step unchanged "state read back: Container Insights enabled" verify.yml -e verify_state=present -e it_retention=60 -e it_container_insights=enabled
step unchanged "enabling Container Insights again changes nothing" converge.yml "${ci[@]}"
step unchanged "check mode after that reports nothing to change" converge.yml --check "${ci[@]}"
step changed "preflight refuses a bad retention value" fail_bad_input.yml
step changed "entry point remove deletes everything" remove.yml
step unchanged "state read back after remove" verify.yml -e verify_state=absent
step unchanged "remove again changes nothing" remove.yml
