#!/usr/bin/env bash
# Run the collection's ansible-test integration targets against the local AWS
# emulator (sandbox/emulator), or with --real against a real AWS account.
#
# Usage: scripts/run-integration.sh [--throttle RATE] [--faults JSON] [--strict-retries] [--keep] [target ...]
#        scripts/run-integration.sh --real [--keep] [target ...]
#   --real            no emulator: the targets run against the account of the caller's
#                     credentials, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
#                     and AWS_REGION (or AWS_DEFAULT_REGION), all required (AWS_PROFILE is not
#                     used: export the keys, e.g. `eval "$(aws configure export-credentials
#                     --format env)"`). Everything created is named from ansible-test's
#                     resource_prefix (ansible-test-<random>-<host>) and deleted by each
#                     target's cleanup; the emulator-only parts (virtual instances, fault
#                     injection, clock jumps, /_emulator/ reads) are skipped. ansible-test
#                     refuses to run while ~/.aws exists (rename it for the run).
#                     Not combinable with --throttle / --faults / --strict-retries.
#   --throttle 0.2    the emulator answers 20% of ECS and SSM calls with ThrottlingException
#   --faults JSON     any fault rules (docs/architecture.md, "The emulator"); overrides --throttle
#   --strict-retries  AWS_MAX_ATTEMPTS=1: botocore does not retry, so only the modules'
#                     own retry layer (AWSRetry + ThrottlingException) absorbs throttling
#   --keep           keep the temporary copy of the collection (path printed)
#   target ...       ansible-test targets (default: all of tests/integration/targets)
# Extra ansible-test options go after `--`, e.g. `-- -vvv`.
#
# ansible-test refuses a symlinked collection path, so the git-tracked (and new,
# not ignored) collection content is copied to
# $TMP/ansible_collections/edgeops/ecs_anywhere, without sandbox/, .venv, molecule/.
# tests/integration/integration_config.yml there carries the endpoint:
# aws_endpoint_url, aws_region, aws_access_key, aws_secret_key, emulator_url (the
# targets run their emulator-only parts when emulator_url is defined); with --real it
# holds aws_region only. tests/integration/cloud-config-aws.ini (ansible-test's AWS
# plugin: aws_access_key, aws_secret_key, security_token, aws_region; it adds
# resource_prefix and tiny_prefix) holds the emulator's static keys or, with --real,
# the caller's credentials.
# Exit code: ansible-test's.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
throttle=""
faults=""
keep=false
strict=false
real=false
targets=()
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --throttle) throttle="$2"; shift 2 ;;
    --faults) faults="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    --strict-retries) strict=true; shift ;;
    --real) real=true; shift ;;
    --) shift; passthrough=("$@"); break ;;
    -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if $real; then
  if [ -n "$throttle" ] || [ -n "$faults" ] || $strict; then
    echo "--real: --throttle, --faults and --strict-retries need the emulator; drop them" >&2; exit 2
  fi
  real_region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
  missing=()
  [ -n "${AWS_ACCESS_KEY_ID:-}" ] || missing+=(AWS_ACCESS_KEY_ID)
  [ -n "${AWS_SECRET_ACCESS_KEY:-}" ] || missing+=(AWS_SECRET_ACCESS_KEY)
  [ -n "$real_region" ] || missing+=("AWS_REGION (or AWS_DEFAULT_REGION)")
  if [ "${#missing[@]}" -gt 0 ]; then
    {
      printf -- '--real runs the integration targets against a real AWS account, with the credentials\n'
      printf 'of the environment; not set: %s.\n' "$(printf '%s, ' "${missing[@]}" | sed 's/, $//')"
      printf 'Export them (temporary credentials also need AWS_SESSION_TOKEN), e.g.\n'
      # shellcheck disable=SC2016  # printed literally, for the user to run
      printf '  export AWS_REGION=eu-west-1; eval "$(aws configure export-credentials --format env)"\n'
      printf 'Nothing was started or created.\n'
    } >&2
    exit 2
  fi
  if [ -d "$HOME/.aws" ]; then
    echo "--real: ansible-test refuses to run while $HOME/.aws exists; rename it for the run (the credentials come from the environment). Nothing was created." >&2
    exit 2
  fi
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
    echo "--real: AWS_ENDPOINT_URL is set ($AWS_ENDPOINT_URL); unset it to run against AWS itself. Nothing was created." >&2
    exit 2
  fi
fi
if [ -n "$throttle" ] && [ -z "$faults" ]; then
  faults="{\"seed\": 7, \"rules\": [{\"service\": \"ecs\", \"operation\": \"*\", \"throttle_rate\": $throttle}, {\"service\": \"ssm\", \"operation\": \"*\", \"throttle_rate\": $throttle}]}"
fi

# The copy lives under the checkout's .tmp/ (gitignored; it gets its own git repository
# below) unless RUN_INTEGRATION_WORKDIR names another parent directory.
work_parent="${RUN_INTEGRATION_WORKDIR:-$root/.tmp}"
mkdir -p "$work_parent"
work="$(mktemp -d "$work_parent/integration.XXXXXX")"
dest="$work/ansible_collections/edgeops/ecs_anywhere"
emulator_pid=""
# shellcheck disable=SC2317  # called through the trap
cleanup() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  if $keep; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

# Offline pip bootstrap for ansible-test (it never needs the network with --local,
# but keep the cached copy in place like scripts/ansible-test.sh does).
if [ -f "$root/scripts/ansible-test-get-pip.py" ]; then
  mkdir -p "$HOME/.ansible/test/cache"
  cmp -s "$root/scripts/ansible-test-get-pip.py" "$HOME/.ansible/test/cache/get_pip_24_2.py" ||
    cp "$root/scripts/ansible-test-get-pip.py" "$HOME/.ansible/test/cache/get_pip_24_2.py"
fi

# ansible-test makes its SSH key on first use; several runs starting at once on
# a fresh machine race on it ("id_rsa already exists. Overwrite (y/n)?"): one
# makes it, under a lock, before any of them starts
mkdir -p "$HOME/.ansible/test"
(
  flock 9
  [ -f "$HOME/.ansible/test/id_rsa" ] || ssh-keygen -m PEM -q -t rsa -N '' -f "$HOME/.ansible/test/id_rsa"
) 9>"$HOME/.ansible/test/.id_rsa.lock"

# 1. copy the collection
mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard -z \
  | grep -zvE '^(sandbox|molecule|\.venv|\.collections|\.ci|\.tmp|\.cache)(/|$)' \
  | grep -zvE '^(ansible\.cfg|site\.yml)$' \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && [ ! -L "$f" ] && printf '%s\0' "$f"; done \
  | tar -C "$root" --null -T - -cf - | tar -C "$dest" -xf -
# ansible-test lists files with git when it finds a repository: give the copy its own.
( cd "$dest" && git init -q && git add -A >/dev/null 2>&1 ) || true

if $real; then
  # 2+3. no emulator: ansible-test's AWS plugin gets the caller's credentials
  caller="$("$venv/bin/aws" sts get-caller-identity --query Arn --output text 2>&1)" || {
    echo "--real: the credentials of the environment do not work (sts get-caller-identity): $caller" >&2; exit 2; }
  cat <<EOF
--real: running against AWS as $caller in $real_region.
Each target creates, and deletes in its cleanup, only resources named from ansible-test's
resource_prefix (ansible-test-<random>-<host>...) or tiny_prefix (IAM roles: ansible-test-<12 hex>-...):
ECS clusters, task definitions (deregistered, then deleted), EXTERNAL services with no task placed,
SSM hybrid activations (standard tier, no instance registered), IAM roles with AWS-managed policies
attached, CloudWatch Logs log groups. No managed instance is registered and no task runs: those
parts are emulator-only and skipped. The account-wide SSM instance tier is only read (check mode).
Ctrl-C within 5 s to stop.
EOF
  sleep 5
  cat >"$dest/tests/integration/integration_config.yml" <<YAML
---
aws_region: $real_region
YAML
  ( umask 077
    cat >"$dest/tests/integration/cloud-config-aws.ini" <<INI
[default]
aws_access_key: $AWS_ACCESS_KEY_ID
aws_secret_key: $AWS_SECRET_ACCESS_KEY
security_token: ${AWS_SESSION_TOKEN:-}
aws_region: $real_region
INI
  )
else
# 2. start the emulator on a free loopback port
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
emulator_log="$work/emulator.log"
emulator_args=(--port "$port" --host 127.0.0.1)
[ -n "$faults" ] && emulator_args+=(--faults "$faults")
( cd "$root" && exec "$venv/bin/python" -m sandbox.emulator "${emulator_args[@]}" ) >"$emulator_log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 150); do
  grep -q "ready on" "$emulator_log" 2>/dev/null && break
  kill -0 "$emulator_pid" 2>/dev/null || { echo "emulator died:" >&2; cat "$emulator_log" >&2; exit 1; }
  sleep 0.2
done
grep -q "ready on" "$emulator_log" || { echo "emulator did not start in 30 s:" >&2; cat "$emulator_log" >&2; exit 1; }
endpoint="http://127.0.0.1:$port"
echo "emulator: $endpoint${faults:+ (faults: $faults)}"

# 3. endpoint for the targets (ansible-test's integration_config.yml convention)
cat >"$dest/tests/integration/integration_config.yml" <<YAML
---
aws_endpoint_url: $endpoint
aws_region: us-east-1
aws_access_key: testing
aws_secret_key: testing
emulator_url: $endpoint
YAML

# ansible-test's AWS cloud plugin (targets aliased cloud/aws): static credentials
# for the emulator; on a real account this file holds real ones (README).
cat >"$dest/tests/integration/cloud-config-aws.ini" <<INI
[default]
aws_access_key: testing
aws_secret_key: testing
security_token:
aws_region: us-east-1
INI
fi  # end of: not --real

# 4. run ansible-test; the controller environment points boto3 at the emulator too
export PATH="$venv/bin:$PATH"
export EDGEOPS_AWS_CLI="$venv/bin/aws"
export ANSIBLE_COLLECTIONS_PATH="$work"
if ! $real; then
  # The targets do not need these (they read integration_config.yml and the cloud config);
  # they keep any stray boto3 / aws CLI call on the emulator.
  export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN || true
fi
if $strict; then export AWS_MAX_ATTEMPTS=1; fi
cd "$dest"
rc=0
ansible-test integration --local --python 3.11 --color no "${passthrough[@]}" "${targets[@]}" || rc=$?
if [ -n "$faults" ]; then
  echo "faults injected by the emulator: $("$venv/bin/python" -c 'import json, sys, urllib.request
print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/faults", timeout=10)).get("injected", {}), sort_keys=True))' "$endpoint" 2>&1)"
fi
if [ "$rc" -ne 0 ]; then
  echo "--- emulator log (tail) ---"; tail -n 30 "$emulator_log" || true
fi
exit "$rc"
