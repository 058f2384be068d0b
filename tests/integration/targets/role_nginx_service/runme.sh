#!/usr/bin/env bash
# role_nginx_service against the emulator's virtual external instances (their
# simulated agents run the tasks, so the service reaches a steady state) and
# four fake edge hosts that fetch a stub nginx page served on 127.0.0.1.
# Check mode on a fresh state reports changes and makes none; a first run that
# covers one host (--limit) still runs the DAEMON service on all four instances;
# the second run and a check run change nothing; a new instance gets a task
# without a re-run; the check asks only the hosts registered in this run and
# names those that answer wrongly; a DAEMON count is refused; tasks that cannot
# start fail the wait early naming the host and the reason; REPLICA works with
# an explicit count, needs one, and a REPLICA->DAEMON switch fails changing
# nothing; entry point remove deletes the service and revisions. State is read
# back with the AWS CLI.
# Emulator-only (runs when integration_config.yml sets emulator_url): the virtual
# instances and their simulated agents (start failures injected through
# /_emulator/virtual-instances/start-failure) exist only there; on a real account
# this takes real edge hosts (tests/e2e). Names come from resource_prefix.
# Arguments: ansible-test's (-e @<config with resource_prefix, tiny_prefix, keys>),
# passed to every ansible-playbook.
set -euo pipefail
cd "$(dirname "$0")"
config="${INTEGRATION_CONFIG:-../../integration_config.yml}"
if ! grep -q '^emulator_url:' "$config" 2>/dev/null; then
  echo "skipped: role_nginx_service is emulator-only (no emulator_url in $config: a real account)"
  exit 0
fi
at_args=("$@")
export ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_RETRY_FILES_ENABLED=false
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$(cd ../../../.. && pwd)/.collections}"
py="$(command -v python3)"
work=$(mktemp -d)
# shellcheck disable=SC2034  # used by step() in ../setup_role_steps/step.sh
step_log="$work/run.log"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
dead_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$py" -m http.server --bind 127.0.0.1 --directory files "$port" >"$work/stub.log" 2>&1 &
stub_pid=$!

cleanup() {
  kill "$stub_pid" 2>/dev/null || true
  ansible-playbook -i inventory.yml -e @"$config" ${at_args[@]+"${at_args[@]}"} remove.yml >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2034  # read by step() in ../setup_role_steps/step.sh
step_args=(${at_args[@]+"${at_args[@]}"} -e it_stub_port="$port" -e it_state_dir="$work")
# shellcheck source=../setup_role_steps/step.sh
. ../setup_role_steps/step.sh

all_failed='{"it_failed_hosts": ["edge-1", "edge-2", "edge-3", "edge-4"]}'
port_taken="CannotStartContainerError: Error response from daemon: driver failed programming external connectivity on endpoint ecs-nginx: listen tcp4 0.0.0.0:8080: bind: address already in use"
svc_task="Run the nginx service on the external instances and wait for a steady state"
strategy_task="Check the scheduling strategy and the task count"

step any "setup: aws_cluster and four virtual external instances" setup.yml
step unchanged "clean slate: no service, no task definition" verify.yml -e verify_state=absent
step changed "check mode reports the task definition and service it would create" converge.yml --check --diff
step unchanged "check mode created nothing" verify.yml -e verify_state=absent
step changed "first run covers one edge host (--limit): only it is asked" converge.yml --diff --limit edge-1,localhost -e '{"it_expect_asked": ["edge-1"]}'
step unchanged "state read back: DAEMON, 4 tasks running on the 4 instances (not 1), EXTERNAL, bridge, 8080->80, awslogs" verify.yml
step unchanged "second run (all hosts) changes nothing" converge.yml --diff
step unchanged "check mode after the run reports nothing to change" converge.yml --check --diff
step changed "a fifth instance joins" instance.yml
step unchanged "it got a task without re-running the role" verify.yml -e it_expect_running=5
step changed "a host that does not answer is named" fail_verify.yml -e it_url="http://127.0.0.1:$dead_port/" -e it_expect="no answer"
step changed "a host that failed in this run is not asked, the others are named" fail_verify.yml -e it_url="http://127.0.0.1:$dead_port/" -e '{"it_failed_hosts": ["edge-2"]}'
step changed "a page that is not nginx's is named" fail_verify.yml -e it_url="http://127.0.0.1:$port/other.html" -e it_expect="lacks"
step unchanged "no host made it: nothing is fetched (the page is missing)" converge.yml -e it_page=missing.html -e "$all_failed"
step changed "DAEMON refuses a desired count before anything changes" expect_failure.yml -e nginx_service_desired_count=3 -e "{\"it_expect_task\": \"$strategy_task\"}" -e '{"it_expect": ["nginx_service_desired_count is set (3)", "REPLICA"]}'
step changed "an instance whose agent cannot start tasks joins" instance.yml -e "{\"it_start_failure\": \"$port_taken\"}"
step changed "the wait fails early naming the host, the stopped reason and a fix" expect_failure.yml -e "{\"it_expect_task\": \"$svc_task\"}" -e it_expect_instance=true -e it_max_seconds=60 -e '{"it_expect": ["cannot start its tasks on 1 container instance", "address already in use", "ss -ltnp"]}'
step changed "its port is freed" instance.yml -e it_clear=true
step unchanged "it runs its task: 6 running" verify.yml -e it_expect_running=6
step changed "remove the DAEMON service" remove.yml
step changed "REPLICA with an explicit count" converge.yml -e nginx_service_scheduling_strategy=REPLICA -e nginx_service_desired_count=2
step unchanged "state read back: REPLICA, 2 running, distinctInstance" verify.yml -e it_expect_strategy=REPLICA -e it_expect_running=2
step unchanged "REPLICA again changes nothing" converge.yml -e nginx_service_scheduling_strategy=REPLICA -e nginx_service_desired_count=2
step changed "REPLICA without a count is refused" expect_failure.yml -e nginx_service_scheduling_strategy=REPLICA -e "{\"it_expect_task\": \"$strategy_task\"}" -e '{"it_expect": ["REPLICA needs an explicit number of tasks"]}'
step changed "switching the REPLICA service to DAEMON fails saying how to migrate" expect_failure.yml -e "{\"it_expect_task\": \"$svc_task\"}" -e '{"it_expect": ["uses scheduling strategy REPLICA", "Nothing was changed", "nginx_service_desired_count", "remove"]}'
step unchanged "the switch changed nothing: REPLICA, 2 running" verify.yml -e it_expect_strategy=REPLICA -e it_expect_running=2
step changed "entry point remove deletes the service and the task definitions" remove.yml
step unchanged "state read back: nothing left" verify.yml -e verify_state=absent
step unchanged "remove again changes nothing" remove.yml
