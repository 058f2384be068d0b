#!/usr/bin/env bash
# Inventory plugin edgeops.ecs_anywhere.ecs_anywhere, module ecs_anywhere_fleet_info
# and playbooks/health.yml against the emulator. fleet_setup.py builds (with boto3
# and the operator API, not the code under test) registered, deregistered,
# disconnected, outdated, SSM-only, orphaned and other fleets' instances; then:
# ansible-inventory --list/--graph are checked host by host and group by group
# (filters by activation, tag and SSM name, hostnames preferences, compose,
# keyed_groups, the aws_ssm connection, the cache), a missing cluster fails with
# what to fix, and health.yml finds exactly the disconnected, lost, drifted,
# orphaned and unregistered hosts, writes its JSON report (not in check mode)
# and fails only when asked to.
# Emulator-only (runs when integration_config.yml sets emulator_url): the fleet is
# made of the emulator's virtual instances, with stopped agents and a clock jump
# (/_emulator/...) for the disconnected and ConnectionLost cases, which a real
# account cannot stage without real hosts. Its clusters and activation (it-fleet*)
# live only in the emulator run's own emulator.
set -euo pipefail
cd "$(dirname "$0")"
config="$(cd "$(dirname "${INTEGRATION_CONFIG:-../../integration_config.yml}")" && pwd)/$(basename "${INTEGRATION_CONFIG:-../../integration_config.yml}")"
if ! grep -q '^emulator_url:' "$config" 2>/dev/null; then
  echo "skipped: inventory_ecs_anywhere is emulator-only (no emulator_url in $config: a real account)"
  exit 0
fi
export ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_RETRY_FILES_ENABLED=false ANSIBLE_NOCOLOR=1
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$(cd ../../../.. && pwd)/.collections}"
export ANSIBLE_INVENTORY_ENABLED=edgeops.ecs_anywhere.ecs_anywhere,ansible.builtin.yaml
# credentials come from the plugin configuration only
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_PROFILE || true
py="$(command -v python3)"
health=edgeops.ecs_anywhere.health  # the collection's playbooks/health.yml, by FQCN
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { echo "=== $*"; }
fail() { echo "FAILED: $*"; exit 1; }
inv() {  # inv <config name> <ansible-inventory args...>: output in $work/<name>.out
  local name=$1; shift
  ansible-inventory -i "$work/$name.ecs_anywhere.yml" "$@" >"$work/$name.out" 2>"$work/$name.err" \
    || { cat "$work/$name.err"; fail "ansible-inventory $name $*"; }
  if grep -q "Failed to parse\|Skipping due to errors" "$work/$name.err"; then cat "$work/$name.err"; fail "plugin error ($name)"; fi
}

step "setup: the fleet in the emulator"
"$py" fleet_setup.py "$config" "$work/state.json"
"$py" make_configs.py "$work/state.json" "$work"

step "--list: one host per managed instance of the activation, joined with ECS; groups"
inv fleet --list
"$py" check.py fleet "$work/state.json" "$work/fleet.out"

step "--graph shows the same groups"
inv fleet --graph
for g in ecs_anywhere ecs_anywhere_edge disconnected not_in_ecs ping_ConnectionLost cluster_it_fleet; do
  grep -q -- "--@$g:" "$work/fleet.out" || { cat "$work/fleet.out"; fail "group $g not in --graph"; }
done
awk '/--@disconnected:/{f=1; next} f && /--@/{f=0} f' "$work/fleet.out" | grep -q "it-lost-1" || fail "it-lost-1 not under disconnected"

step "tag filter, include_tags and a tag:Site host name"
inv tagged --list
"$py" check.py tagged "$work/state.json" "$work/tagged.out"

step "ssm_names filter, an expression host name, use_ssm_connection"
inv ssm --list
"$py" check.py ssm "$work/state.json" "$work/ssm.out"

step "a cluster that does not exist fails the inventory, saying what to fix"
if ANSIBLE_INVENTORY_UNPARSED_FAILED=true ansible-inventory -i "$work/missing.ecs_anywhere.yml" --list >"$work/missing.out" 2>&1; then
  cat "$work/missing.out"; fail "a missing cluster did not fail"
fi
grep -q "it-no-such-cluster do not exist" "$work/missing.out" || { cat "$work/missing.out"; fail "no clear message"; }
grep -q "aws_cluster" "$work/missing.out" || { cat "$work/missing.out"; fail "message does not say how to fix"; }

step "health.yml on a healthy fleet: healthy, the fail switch passes"
ansible-playbook -i inventory.yml -e @"$config" "$health" -e ecs_anywhere_edge_group=healthy_edge \
  -e '{"ecs_anywhere_health_clusters": ["it-fleet-ok"], "ecs_anywhere_health_ssm_names": []}' \
  -e ecs_anywhere_health_fail=true -e ecs_anywhere_health_report_file="$work/ok.json" >"$work/ok.log" 2>&1 \
  || { cat "$work/ok.log"; fail "health.yml failed on a healthy fleet"; }
"$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["healthy"] and r["counts"]["hosts"] == 2, r' "$work/ok.json"
grep -q "fleet HEALTHY: 2 hosts" "$work/ok.log" || { cat "$work/ok.log"; fail "no summary"; }

step "health.yml in check mode reports and writes no file"
ansible-playbook -i inventory.yml -e @"$config" "$health" --check \
  -e ecs_anywhere_health_report_file="$work/check.json" >"$work/check.log" 2>&1 || { cat "$work/check.log"; fail "check mode"; }
grep -q "fleet UNHEALTHY" "$work/check.log" || { cat "$work/check.log"; fail "no summary in check mode"; }
[ ! -e "$work/check.json" ] || fail "check mode wrote the report"

step "health.yml finds the disconnected, lost, drifted, orphaned and unregistered hosts"
ansible-playbook -i inventory.yml -e @"$config" "$health" \
  -e ecs_anywhere_health_report_file="$work/health.json" >"$work/health.log" 2>&1 || { cat "$work/health.log"; fail "health.yml"; }
"$py" check.py health "$work/state.json" "$work/health.json"
for line in "ECS agent disconnected: it-lost-1" "SSM ping ConnectionLost: it-lost-1" \
            "version drift: it-old-1 runs amazon-ssm-agent 3.3.0.0, pinned 3.3.1142.0 (older)" \
            "orphan (not in the inventory): it-orphan-1" "inventory host not registered: it-missing-1" \
            "\$14.96/month"; do
  grep -qF -- "$line" "$work/health.log" || { cat "$work/health.log"; fail "summary lacks: $line"; }
done

step "the fail switch fails the unhealthy fleet, with the summary"
if ansible-playbook -i inventory.yml -e @"$config" "$health" -e ecs_anywhere_health_fail=true \
     -e ecs_anywhere_health_report_file="" >"$work/fail.log" 2>&1; then
  cat "$work/fail.log"; fail "ecs_anywhere_health_fail=true did not fail"
fi
if ! grep -q "Fail when the fleet is unhealthy" "$work/fail.log" || ! grep -q "it-missing-1" "$work/fail.log"; then
  cat "$work/fail.log"; fail "the failure does not say why"
fi

step "cache: a second run answers from the cache; --flush-cache reads AWS again"
inv cached --list
"$py" check.py cached-before "$work/state.json" "$work/cached.out"
"$py" - "$work/state.json" <<'PY'
import json, sys, urllib.request
s = json.load(open(sys.argv[1]))
body = json.dumps({"cluster": "it-fleet-ok", "count": 1, "hostname_prefix": "it-ok-", "region": s["region"]}).encode()
urllib.request.urlopen(urllib.request.Request(s["endpoint_url"] + "/_emulator/virtual-instances", data=body,
                       method="POST", headers={"Content-Type": "application/json"}), timeout=30).read()
PY
inv cached --list
"$py" check.py cached-before "$work/state.json" "$work/cached.out"
inv cached --list --flush-cache
"$py" check.py cached-after "$work/state.json" "$work/cached.out"
echo "all inventory_ecs_anywhere checks passed"
