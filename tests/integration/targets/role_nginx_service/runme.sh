#!/usr/bin/env bash
# role_nginx_service against the emulator's virtual external instances (their
# simulated agents run the tasks, so the service reaches a steady state) and
# two fake edge hosts that fetch a stub nginx page served on 127.0.0.1.
# Check mode on a fresh state reports changes and makes none; the first run
# changes; the second run and a check run change nothing; the task definition
# and the service are read back with the AWS CLI; the check names the hosts
# that answer wrongly; entry point remove deletes the service and revisions.
set -euo pipefail
cd "$(dirname "$0")"
config="${INTEGRATION_CONFIG:-../../integration_config.yml}"
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
  ansible-playbook -i inventory.yml -e @"$config" remove.yml >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2034  # read by step() in ../setup_role_steps/step.sh
step_args=(-e it_stub_port="$port")
# shellcheck source=../setup_role_steps/step.sh
. ../setup_role_steps/step.sh

step any "setup: aws_cluster and two virtual external instances" setup.yml
step unchanged "clean slate: no service, no task definition" verify.yml -e verify_state=absent
step changed "check mode reports the task definition and service it would create" converge.yml --check --diff
step unchanged "check mode created nothing" verify.yml -e verify_state=absent
step changed "first run: task definition, service, steady state, nginx answers on every edge host" converge.yml --diff
step unchanged "state read back: EXTERNAL, bridge, 8080->80, awslogs, 2 running, distinctInstance" verify.yml
step unchanged "second run changes nothing" converge.yml --diff
step unchanged "check mode after the run reports nothing to change" converge.yml --check --diff
step changed "a host that does not answer is named" fail_verify.yml -e it_url="http://127.0.0.1:$dead_port/" -e it_expect="no answer"
step changed "a page that is not nginx's is named" fail_verify.yml -e it_url="http://127.0.0.1:$port/other.html" -e it_expect="lacks"
step changed "entry point remove deletes the service and the task definitions" remove.yml
step unchanged "state read back: nothing left" verify.yml -e verify_state=absent
step unchanged "remove again changes nothing" remove.yml
