#!/usr/bin/env bash
# role_ssm_activation on three fake edge hosts (local connections, per-host
# registration files): two need registering. Check mode on a fresh state
# reports a change and creates nothing; the run creates ONE activation with
# registration limit 2 that expires within the hour, and hands the same id and
# code to every host without printing the code (a -vvv run is searched for
# it); cleanup deletes it; once the hosts are registered a run creates nothing.
set -euo pipefail
cd "$(dirname "$0")"
config="${INTEGRATION_CONFIG:-../../integration_config.yml}"
export ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_RETRY_FILES_ENABLED=false
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$(cd ../../../.. && pwd)/.collections}"
it_root=$(mktemp -d)
step_log="$it_root/run.log"

cleanup() {
  ansible-playbook -i inventory.yml -e @"$config" -e it_root="$it_root" cleanup.yml >/dev/null 2>&1 || true
  rm -rf "$it_root"
}
trap cleanup EXIT

# shellcheck disable=SC2034  # read by step() in ../setup_role_steps/step.sh
step_args=(-e it_root="$it_root")
# shellcheck source=../setup_role_steps/step.sh
. ../setup_role_steps/step.sh

two='{"expect_hosts": ["edge-a", "edge-c"]}'
step any "setup: IAM role and the hosts' registration files" setup.yml
step unchanged "clean slate: no activation" verify.yml
step changed "check mode reports the activation it would create" converge.yml --check --diff -e "$two"
step unchanged "check mode created nothing" verify.yml
step changed "first run creates one activation for two hosts" converge.yml --diff -vvv -e "$two"
code=$(cat "$it_root/activation-code")
[ -n "$code" ] || { echo "FAILED: no activation code was handed to the hosts"; exit 1; }
if grep -qF -- "$code" "$step_log"; then echo "FAILED: the activation code appears in the -vvv output"; exit 1; fi
echo "ok: the activation code is not in the -vvv output ($(wc -l <"$step_log") lines)"
step unchanged "state read back: limit 2, expiry within the hour, tags" verify.yml -e expect_limit=2
step changed "a re-run before registration replaces it with a fresh one" converge.yml -e "$two"
step unchanged "still exactly one activation" verify.yml -e expect_limit=2
step changed "cleanup deletes the activation" cleanup.yml
step unchanged "state read back: no activation" verify.yml
step unchanged "cleanup again changes nothing" cleanup.yml
step any "the hosts register (files as the host role writes them)" register_hosts.yml
step unchanged "no host needs registering: nothing created, nothing changed" converge.yml --diff
step unchanged "check mode agrees" converge.yml --check
step unchanged "state read back: no activation" verify.yml
rm -f "$it_root/edge-a/registration" "$it_root/edge-c/registration"
step changed "check mode accepts an IAM role that aws_cluster would create in the same run" \
  converge.yml --check -e "$two" -e it_published_role=itRoleNotYet
step changed "a missing IAM role fails before anything is created" fail_missing_role.yml
step changed "more hosts than one activation covers fail before anything is created (AWS limit lowered to 1)" \
  fail_too_many.yml -e __ssm_activation_registration_limit_max=1
step unchanged "state read back: no activation" verify.yml
