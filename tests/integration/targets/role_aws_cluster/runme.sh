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

# shellcheck disable=SC2034  # read by step() in ../setup_role_steps/step.sh
step_args=()
# shellcheck source=../setup_role_steps/step.sh
. ../setup_role_steps/step.sh

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
