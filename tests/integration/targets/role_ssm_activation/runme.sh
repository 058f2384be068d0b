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
  ansible-playbook -i inventory.yml -e @"$config" -e it_root="$it_root" -e ssm_activation_cleanup_all=true cleanup.yml >/dev/null 2>&1 || true
  rm -rf "$it_root"
}
trap cleanup EXIT

# shellcheck disable=SC2034  # read by step() in ../setup_role_steps/step.sh
step_args=(-e it_root="$it_root")
# shellcheck source=../setup_role_steps/step.sh
. ../setup_role_steps/step.sh

# edge-a was never registered; edge-c is registered in another region, counted with ssm_activation_reregister
two='{"expect_hosts": ["edge-a", "edge-c"], "ssm_activation_reregister": true}'
step any "setup: IAM role and the hosts' registration files" setup.yml
step unchanged "clean slate: no activation" verify.yml
step changed "without ssm_activation_reregister only the unregistered host counts" \
  converge.yml --check -e '{"expect_hosts": ["edge-a"]}'
step changed "check mode reports the activation it would create" converge.yml --check --diff -e "$two"
step unchanged "check mode created nothing" verify.yml
step changed "first run creates one activation for two hosts" converge.yml --diff -vvv -e "$two" -e ssm_activation_run_id=run-1
code=$(cat "$it_root/activation-code")
[ -n "$code" ] || { echo "FAILED: no activation code was handed to the hosts"; exit 1; }
if grep -qF -- "$code" "$step_log"; then echo "FAILED: the activation code appears in the -vvv output"; exit 1; fi
echo "ok: the activation code is not in the -vvv output ($(wc -l <"$step_log") lines)"
step unchanged "state read back: limit 2, expiry 20 minutes (sized to the run), tags" verify.yml -e expect_limit=2 -e '{"expect_runs": ["run-1"]}'
step changed "a concurrent run (another slice) creates its own activation and leaves run-1's alone" \
  converge.yml -e "$two" -e ssm_activation_run_id=run-2
step unchanged "two activations, one per run" verify.yml -e expect_limit=2 -e '{"expect_runs": ["run-1", "run-2"]}'
step changed "run-2's cleanup deletes only run-2's activation" cleanup.yml -e ssm_activation_run_id=run-2
step unchanged "run-1's activation is still there" verify.yml -e expect_limit=2 -e '{"expect_runs": ["run-1"]}'
step changed "a run without a run id names its own activation and its cleanup deletes it in the same play" \
  converge.yml -e "$two" -e it_cleanup_in_play=true
step unchanged "only run-1's activation is left" verify.yml -e expect_limit=2 -e '{"expect_runs": ["run-1"]}'
step changed "cleanup with ssm_activation_cleanup_all deletes every activation of the cluster (teardown)" \
  cleanup.yml -e ssm_activation_cleanup_all=true
step unchanged "state read back: no activation" verify.yml
step unchanged "cleanup again changes nothing" cleanup.yml -e ssm_activation_run_id=run-1
step any "the hosts register (files as the host role writes them)" register_hosts.yml
step unchanged "no host needs registering: nothing created, nothing changed" converge.yml --diff
step unchanged "check mode agrees" converge.yml --check
cp "$it_root/edge-b/registration" "$it_root/edge-b/registration.known"
sed -i 's/"mi-[0-9a-f]*"/"mi-0000000000000dead"/' "$it_root/edge-b/registration"
step changed "a host whose mi- id SSM no longer knows (deregistered on the AWS side) needs registering" \
  converge.yml --check -e '{"expect_hosts": ["edge-b"]}'
grep -q "SSM no longer knows managed instance mi-0000000000000dead" "$step_log" ||
  { echo "FAILED: the run does not say why edge-b registers again"; exit 1; }
mv "$it_root/edge-b/registration.known" "$it_root/edge-b/registration"
step unchanged "state read back: no activation" verify.yml
rm -f "$it_root/edge-a/registration" "$it_root/edge-c/registration"
step changed "check mode accepts an IAM role that aws_cluster would create in the same run" \
  converge.yml --check -e "$two" -e it_published_role=itRoleNotYet
step changed "a missing IAM role fails before anything is created" fail_missing_role.yml
step changed "more hosts than one activation covers fail before anything is created (AWS limit lowered to 1)" \
  fail_too_many.yml -e __ssm_activation_registration_limit_max=1
step unchanged "state read back: no activation" verify.yml
