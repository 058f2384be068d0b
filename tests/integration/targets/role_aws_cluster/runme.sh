#!/usr/bin/env bash
# role_aws_cluster: check mode on a fresh state reports changes and makes none;
# the first run changes; the second run and a check run change nothing; the
# AWS state is read back after each step; a Container Insights change (disabled,
# the default, to enabled) is applied once; the `remove` entry point deletes it all.
# Ownership: IAM roles of another workload named like the old defaults
# (ecsAnywhereRole, ecsTaskExecutionRole, made with boto3 by foreign.py) survive
# a run with the defaults, a run reusing them on purpose and the remove entry
# point unchanged (trust, attached and inline policies, tags read back); a
# foreign role lacking the SSM trust stops the role before anything is created;
# an untagged (older version's) cluster is kept unless asked and empty.
# Names: tiny_prefix (vars.yml). Arguments: ansible-test's (-e @<its variables file:
# resource_prefix, tiny_prefix, the cloud config's keys>), given to every playbook
# and (IT_EXTRA_CONFIG) to foreign.py.
# Emulator-only (when integration_config.yml sets emulator_url): the ownership part.
# It creates, inspects and deletes IAM roles named ecsAnywhereRole and
# ecsTaskExecutionRole, names a real account may well use for another workload; on
# a real account it is skipped (the lifecycle, the preflight and the untagged
# cluster parts run).
set -euo pipefail
cd "$(dirname "$0")"
config="${INTEGRATION_CONFIG:-../../integration_config.yml}"
at_args=("$@")
IT_EXTRA_CONFIG=""
for a in "$@"; do case "$a" in @*) IT_EXTRA_CONFIG="$(cd "$(dirname "${a#@}")" && pwd)/$(basename "${a#@}")" ;; esac; done
export IT_EXTRA_CONFIG
emulator=false
grep -q '^emulator_url:' "$config" && emulator=true
export ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_RETRY_FILES_ENABLED=false
# ansible-test sets the collections path; run directly from a checkout, use its .collections.
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$(cd ../../../.. && pwd)/.collections}"

config_abs="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"
# shellcheck disable=SC2034  # read by step() in ../setup_role_steps/step.sh
step_args=(${at_args[@]+"${at_args[@]}"} -e "it_config=$config_abs")
# shellcheck source=../setup_role_steps/step.sh
. ../setup_role_steps/step.sh

py="$(command -v python3)"
fr() { "$py" foreign.py "$config" "$@"; }
account="$(fr account)"
step_args+=(-e "it_account=$account")
# itvar NAME: a name of vars.yml (from this run's tiny_prefix), for foreign.py and messages
itvar() {
  local v
  v="$(ansible localhost -i inventory.yml -e @"$config" "${step_args[@]}" -e @vars.yml -m ansible.builtin.debug \
    -a "msg={{ $1 }}" 2>/dev/null | sed -n 's/.*"msg": "\(.*\)".*/\1/p')"
  [ -n "$v" ] || { echo "FAILED: cannot read $1 from vars.yml" >&2; exit 1; }
  echo "$v"
}
legacy="$(itvar it_legacy_cluster)"
shared="$(itvar it_shared_cluster)"
foreign_roles=(ecsAnywhereRole ecsTaskExecutionRole itForeignNoSsmTrust)
shared_names=(-e aws_cluster_instance_role_name=ecsAnywhereRole -e aws_cluster_execution_role_name=ecsTaskExecutionRole)
snap_dir="$(mktemp -d)"
cleanup() {
  ansible-playbook -i inventory.yml -e @"$config" "${step_args[@]}" remove.yml >/dev/null 2>&1 || true
  if $emulator; then
    ansible-playbook -i inventory.yml -e @"$config" "${step_args[@]}" remove_shared.yml "${shared_names[@]}" >/dev/null 2>&1 || true
    ansible-playbook -i inventory.yml -e @"$config" "${step_args[@]}" remove_shared.yml >/dev/null 2>&1 || true
    for r in "${foreign_roles[@]}"; do fr delete "$r" >/dev/null 2>&1 || true; done
  fi
  fr delete-cluster "$legacy" >/dev/null 2>&1 || true
  rm -rf "$snap_dir"
}
trap cleanup EXIT
snap() { for r in "${foreign_roles[@]}"; do echo "== $r"; fr show "$r"; done; }
# foreign_unchanged <label>: the other workload's roles are exactly as created
foreign_unchanged() {
  snap >"$snap_dir/after"
  diff -u "$snap_dir/before" "$snap_dir/after" || { echo "FAILED: $1: a role of another workload changed"; exit 1; }
  echo "ok: $1 (other workload's roles read back unchanged)"
}

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

# --- ownership: roles of another workload, named like the old defaults -----------
if $emulator; then
for r in "${foreign_roles[@]}"; do fr delete "$r"; done
fr create ecsAnywhereRole ssm.amazonaws.com arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore \
  arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role
fr create ecsTaskExecutionRole ecs-tasks.amazonaws.com arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
fr create itForeignNoSsmTrust ec2.amazonaws.com
snap >"$snap_dir/before"
grep -q OtherWorkloadPolicy "$snap_dir/before" || { cat "$snap_dir/before"; echo "FAILED: foreign roles not created"; exit 1; }
kept() {  # the JSON list remove_shared.yml must find in aws_cluster_remove_kept
  local cluster=$1 out="" sep="" what; shift
  for what in "$@"; do
    out="$out$sep\"kept $what: not created by edgeops.ecs_anywhere (no ecs-anywhere-cluster=$cluster tag)"
    case "$what" in "ECS cluster"*) out="$out; aws_cluster_remove_untagged_empty_cluster=true deletes it when it is empty" ;; esac
    out="$out\""; sep=", "
  done
  echo "{\"it_expect_kept\": [$out]}"
}
step changed "(a) defaults, check mode: reports the derived roles to create" converge_shared.yml --check --diff
foreign_unchanged "(a) check mode left the other workload's roles alone"
step unchanged "(a) check mode created nothing (state read back)" verify_shared.yml -e verify_state=absent
step changed "(a) defaults: creates ecs-anywhere-<cluster>-* roles, not the old names" converge_shared.yml --diff
foreign_unchanged "(a) ecsAnywhereRole / ecsTaskExecutionRole of the other workload untouched"
step unchanged "(a) own roles, log group and cluster carry ecs-anywhere-cluster (state read back)" verify_shared.yml
step unchanged "(a) second run changes nothing" converge_shared.yml --diff
step unchanged "(b) reusing the existing roles on purpose changes nothing (check mode)" converge_shared.yml --check --diff \
  "${shared_names[@]}" -e it_expect_instance_role=ecsAnywhereRole -e it_expect_execution_role=ecsTaskExecutionRole
step unchanged "(b) reusing the existing roles on purpose changes nothing; outputs name them" converge_shared.yml --diff \
  "${shared_names[@]}" -e it_expect_instance_role=ecsAnywhereRole -e it_expect_execution_role=ecsTaskExecutionRole
foreign_unchanged "(b) reused roles not purged, re-trusted or re-tagged"
step changed "(b) remove deletes the tagged cluster and log group, keeps and reports the reused roles" remove_shared.yml \
  "${shared_names[@]}" -e "$(kept "$shared" "IAM role ecsAnywhereRole" "IAM role ecsTaskExecutionRole")"
foreign_unchanged "(b) remove did not delete or change the reused roles"
step changed "(a) remove with the defaults deletes the derived roles" remove_shared.yml
step unchanged "(a) nothing of ours is left (state read back)" verify_shared.yml -e verify_state=absent
step unchanged "(a) remove again changes nothing" remove_shared.yml
step changed "a foreign role without the SSM trust, named on purpose, stops the role before anything exists" fail_foreign.yml
foreign_unchanged "the refused foreign role was not changed"
else
  echo "skipped (emulator-only): ownership of roles named ecsAnywhereRole / ecsTaskExecutionRole"
fi

# --- a cluster without the tag (as older versions created it) --------------------
fr cluster "$legacy"
step unchanged "remove keeps an untagged cluster and says why" remove_shared.yml \
  -e ecs_anywhere_cluster_name="$legacy" -e "$(kept "$legacy" "ECS cluster $legacy")"
fr show-cluster "$legacy" | grep -q '"exists": true' || { echo "FAILED: the untagged cluster was deleted"; exit 1; }
step changed "aws_cluster_remove_untagged_empty_cluster=true deletes the empty untagged cluster" remove_shared.yml \
  -e ecs_anywhere_cluster_name="$legacy" -e aws_cluster_remove_untagged_empty_cluster=true
fr show-cluster "$legacy" | grep -q '"exists": false' || { echo "FAILED: the untagged cluster is still there"; exit 1; }
echo "ok: untagged cluster kept, then deleted on request"
