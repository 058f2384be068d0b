#!/usr/bin/env bash
# End-to-end smoke test of the stand-in agents on a real edge container:
# emulator (127.0.0.1 + the gateway of a docker network made here) -> edge
# container (systemd, its own Docker) -> packages from the signed mirror ->
# SSM activation + registration -> ECS registration -> EXTERNAL nginx service
# on port 8080 answering inside the edge host -> restart keeps the ARN ->
# scale to 0 stops the container. Cleans up everything it started.
#
# Usage: sandbox/agents/tests/smoke.sh        (run from anywhere; needs dockerd)
#   KEEP=1 leaves the containers, network and emulator running for inspection.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
T0=$(date +%s)
ID="$$"
NET="edgeops-smoke-$ID"
EDGE="edgeops-smoke-edge-$ID"
CLUSTER="smoke"
REGION="us-east-1"
SERVICE="nginx-smoke"
PASSED=0
EMU_PID=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgeops-smoke.XXXXXX")"

log() { printf '[smoke %3ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
ok() { PASSED=$((PASSED + 1)); log "ok: $*"; }
die() {
    log "FAIL: $*"
    if docker inspect "$EDGE" >/dev/null 2>&1; then
        echo "--- ecs-agent.log (tail)"; docker exec "$EDGE" tail -n 30 /var/log/ecs/ecs-agent.log 2>/dev/null || true
        echo "--- amazon-ssm-agent (tail)"; docker exec "$EDGE" journalctl -u amazon-ssm-agent -n 20 --no-pager 2>/dev/null || true
    fi
    [ -s "$WORK/emulator.log" ] && { echo "--- emulator.log (tail)"; tail -n 20 "$WORK/emulator.log"; }
    echo "smoke: $PASSED passed, 1 failed"
    exit 1
}
cleanup() {
    local rc=$?
    if [ "${KEEP:-0}" = 1 ]; then
        log "KEEP=1: left $EDGE, $NET and the emulator (pid $EMU_PID) running"
        return
    fi
    docker rm -f "$EDGE" >/dev/null 2>&1 || true
    docker volume rm "$EDGE-docker" >/dev/null 2>&1 || true
    docker network rm "$NET" >/dev/null 2>&1 || true
    if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

edge() { docker exec "$EDGE" "$@"; }
aws() { "$PY" "$HERE/smoke_aws.py" "$ENDPOINT" "$@"; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local t="$1" what="$2"; shift 2
    local end=$(( $(date +%s) + t ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || die "timed out after ${t}s waiting for $what"
        sleep 1
    done
}

if ! docker info >/dev/null 2>&1 && [ -x scripts/ensure-docker.sh ]; then scripts/ensure-docker.sh; fi
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (start dockerd first)"
[ -x "$PY" ] || die "$PY missing: make venv"

# 1. artifacts (cached)
log "building images and the package mirror (cached)"
sandbox/images/build.sh >"$WORK/images.log" 2>&1 || { cat "$WORK/images.log"; die "sandbox/images/build.sh failed"; }
MIRROR="$ROOT/.cache/mirror"
sandbox/agents/build.sh "$MIRROR" >"$WORK/mirror.log" 2>&1 || { cat "$WORK/mirror.log"; die "sandbox/agents/build.sh failed"; }
# shellcheck source=/dev/null
. sandbox/agents/VERSIONS
SSM_DEB="$MIRROR/amazon-ssm-$REGION/$SSM_AGENT_VERSION/debian_amd64/amazon-ssm-agent.deb"
ECS_DEB="$MIRROR/amazon-ecs-agent-$REGION/amazon-ecs-init-$ECS_INIT_VERSION.amd64.deb"
gpg --batch --quiet --no-default-keyring --keyring "$WORK/k.gpg" --import "$MIRROR/sandbox-signing-key.asc" 2>/dev/null
gpgv --keyring "$WORK/k.gpg" "$SSM_DEB.sig" "$SSM_DEB" >/dev/null 2>&1 || die "SSM package signature does not verify"
gpgv --keyring "$WORK/k.gpg" "$ECS_DEB.asc" "$ECS_DEB" >/dev/null 2>&1 || die "ECS package signature does not verify"
T_="$MIRROR/tampered/amazon-ecs-agent-$REGION/amazon-ecs-init-$ECS_INIT_VERSION.amd64.deb"
if gpgv --keyring "$WORK/k.gpg" "$T_.asc" "$T_" >/dev/null 2>&1; then die "tampered package verifies"; fi
ok "mirror packages verify against sandbox-signing-key.asc; the tampered copy does not"

# 2. network, emulator on 127.0.0.1 + the network gateway
docker network create "$NET" >/dev/null
GW="$(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$NET")"
[ -n "$GW" ] || die "no gateway for $NET"
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$PY" -m sandbox.emulator --port "$PORT" --host 127.0.0.1 --extra-host "$GW" >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!
ENDPOINT="http://127.0.0.1:$PORT"
EDGE_ENDPOINT="http://$GW:$PORT"
wait_for 30 "the emulator" grep -q "^ready on" "$WORK/emulator.log"
log "emulator on $ENDPOINT and $EDGE_ENDPOINT"

# 3. edge host
sandbox/images/run-edge.sh "$EDGE" "$NET" >/dev/null
wait_for 60 "systemd in $EDGE" sh -c "docker exec $EDGE systemctl is-system-running | grep -Eq 'running|degraded'"
wait_for 60 "docker inside $EDGE" docker exec "$EDGE" docker info
ok "edge host $EDGE up (systemd PID 1, docker inside)"
edge curl -sf -o /dev/null "$EDGE_ENDPOINT/_emulator/counts" || die "the edge host cannot reach the emulator at $EDGE_ENDPOINT"

# 4. packages and the task image
docker cp "$SSM_DEB" "$EDGE:/var/tmp/amazon-ssm-agent.deb"
docker cp "$ECS_DEB" "$EDGE:/var/tmp/amazon-ecs-init.deb"
edge apt-get install -y -q --no-install-recommends /var/tmp/amazon-ssm-agent.deb /var/tmp/amazon-ecs-init.deb \
    >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; die "package installation failed"; }
# shellcheck disable=SC2016 # dpkg-query's own format
[ "$(edge dpkg-query -W -f '${Version}' amazon-ssm-agent)" = "$SSM_AGENT_DEB_VERSION" ] || die "amazon-ssm-agent version"
# shellcheck disable=SC2016
[ "$(edge dpkg-query -W -f '${Version}' amazon-ecs-init)" = "$ECS_INIT_DEB_VERSION" ] || die "amazon-ecs-init version"
ok "packages installed: amazon-ssm-agent $SSM_AGENT_DEB_VERSION, amazon-ecs-init $ECS_INIT_DEB_VERSION"
docker exec -i "$EDGE" docker load <"$ROOT/.cache/images/nginx.tar" >/dev/null
edge docker image inspect public.ecr.aws/nginx/nginx:stable >/dev/null || die "nginx image not loaded"
ok "nginx image preloaded into the edge host's Docker"

# 5. activation (the code travels only on stdin) and SSM registration
read -r ACT_ID ACT_CODE < <(aws activation ecsAnywhereRole "$CLUSTER")
[ -n "$ACT_CODE" ] || die "no activation"
edge sh -c "mkdir -p /etc/amazon/ssm && printf '{\"Ssm\": {\"Endpoint\": \"%s\"}}\n' '$EDGE_ENDPOINT' > /etc/amazon/ssm/amazon-ssm-agent.json"
edge systemctl stop amazon-ssm-agent
printf '%s\n' "$ACT_CODE" | docker exec -i "$EDGE" sh -c \
    'read -r CODE && amazon-ssm-agent -register -code "$CODE" -id "$1" -region "$2" -y' sh "$ACT_ID" "$REGION" \
    >"$WORK/register.log" 2>&1 || { cat "$WORK/register.log"; die "SSM registration failed"; }
MI="$(edge python3 -c 'import json; print(json.load(open("/var/lib/amazon/ssm/registration"))["ManagedInstanceID"])')"
[[ "$MI" =~ ^mi-[0-9a-f]{17}$ ]] || die "bad managed instance id $MI"
for f in /var/lib/amazon/ssm/registration /var/lib/amazon/ssm/Vault/Store/RegistrationKey; do
    [ "$(edge stat -c %a "$f")" = 600 ] || die "$f is not 0600"
done
ok "SSM registration $MI, registration files 0600"
# re-register without -y answers the prompt with no and keeps the registration
if printf 'no\n' | docker exec -i "$EDGE" amazon-ssm-agent -register -code x -id "$ACT_ID" -region "$REGION" >/dev/null 2>&1; then
    die "re-register without -y did not refuse"
fi
[ "$(edge python3 -c 'import json; print(json.load(open("/var/lib/amazon/ssm/registration"))["ManagedInstanceID"])')" = "$MI" ] \
    || die "a refused re-register changed the registration"
ok "re-register without -y prompts and keeps the registration"
edge systemctl enable --now amazon-ssm-agent >/dev/null 2>&1
wait_for 30 "/root/.aws/credentials" docker exec "$EDGE" test -s /root/.aws/credentials
[ "$(edge stat -c %a /root/.aws/credentials)" = 600 ] || die "/root/.aws/credentials is not 0600"
aws ssm-online "$MI" >/dev/null || die "managed instance not Online"
ok "amazon-ssm-agent running: credentials 0600, $MI Online"

# 6. ECS agent
edge sh -c "mkdir -p /etc/ecs /var/lib/ecs && printf 'ECS_CLUSTER=%s\n' '$CLUSTER' > /etc/ecs/ecs.config \
  && printf 'AWS_DEFAULT_REGION=%s\nECS_EXTERNAL=true\nECS_BACKEND_HOST=%s\nECS_IMAGE_PULL_BEHAVIOR=prefer-cached\n' \
     '$REGION' '$EDGE_ENDPOINT' > /var/lib/ecs/ecs.config"
edge systemctl enable --now ecs >/dev/null 2>&1
wait_for 60 "ContainerInstanceArn in /v1/metadata" sh -c \
    "docker exec $EDGE curl -sf http://localhost:51678/v1/metadata | grep -q '\"ContainerInstanceArn\": \"arn:'"
ARN="$(edge curl -sf http://localhost:51678/v1/metadata | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ContainerInstanceArn"])')"
CI="$(aws instance "$CLUSTER" "$MI")" || die "the emulator does not list $MI as ACTIVE"
[ "$CI" = "$ARN" ] || die "metadata ARN $ARN != emulator ARN $CI"
[ "$(edge stat -c %a /var/lib/ecs/data/agent.json)" = 600 ] || die "agent.json is not 0600"
edge grep -q "$ARN" /var/lib/ecs/data/agent.json || die "agent.json does not hold the ARN"
ok "ECS container instance $ARN ACTIVE with ec2InstanceId $MI; /v1/metadata agrees; agent.json 0600"

# 7. EXTERNAL nginx service on 8080
aws service "$CLUSTER" "$SERVICE" 8080 >/dev/null
aws tasks "$CLUSTER" "$SERVICE" RUNNING >/dev/null || die "the nginx task never reached RUNNING"
wait_for 30 "nginx on localhost:8080 in the edge host" sh -c \
    "docker exec $EDGE curl -s http://localhost:8080 | grep -q 'Welcome to nginx!'"
NAME="$(edge docker ps --format '{{.Names}}' --filter label=com.amazonaws.ecs.cluster=$CLUSTER)"
[[ "$NAME" =~ ^ecs-$SERVICE-1-nginx-[0-9a-f]{20}$ ]] || die "task container name '$NAME' is not ecs-<family>-<rev>-<name>-<hex>"
ok "nginx task RUNNING as $NAME; curl localhost:8080 inside the edge host shows 'Welcome to nginx!'"

# 8. the ARN survives an agent restart; the task keeps running
edge systemctl restart ecs
wait_for 60 "metadata after restart" sh -c "docker exec $EDGE curl -sf http://localhost:51678/v1/metadata | grep -q '$ARN'"
[ "$(aws instance "$CLUSTER" "$MI")" = "$ARN" ] || die "restart changed the container instance"
edge curl -s http://localhost:8080 | grep -q 'Welcome to nginx!' || die "nginx gone after an agent restart"
ok "ecs restart keeps $ARN (one container instance) and the running task"

# 9. desiredStatus STOPPED stops the container
aws scale "$CLUSTER" "$SERVICE" 0
aws stopped "$CLUSTER" "$SERVICE" >/dev/null || die "tasks not reported STOPPED"
wait_for 30 "the task container to go" sh -c \
    "[ -z \"\$(docker exec $EDGE docker ps -q --filter label=com.amazonaws.ecs.cluster=$CLUSTER)\" ]"
ok "scale to 0: task reported STOPPED and its container removed"

# 10. an image that is not on the host: the task stops with CannotPullContainerError, nothing is pulled
aws missing-image "$CLUSTER" "$ARN" >/dev/null || die "a task with a missing image did not stop with CannotPullContainerError"
edge grep -q "CannotPullContainerError: registry.invalid/none/app:1" /var/log/ecs/ecs-agent.log || die "no pull error in ecs-agent.log"
if edge grep -q "image registry.invalid/none/app:1: pulling" /var/log/ecs/ecs-agent.log; then die "the agent tried a registry pull"; fi
ok "a task whose image is not on the host stops with CannotPullContainerError, without a registry pull"

# 11. the activation code is in no log or output
LEAKS=0
for f in "$WORK"/*.log; do grep -qF -- "$ACT_CODE" "$f" && { log "activation code in $(basename "$f")"; LEAKS=1; }; done
edge sh -c 'journalctl --no-pager 2>/dev/null; cat /var/log/ecs/*.log /var/log/amazon/ssm/*.log 2>/dev/null' >"$WORK/edge-logs.txt"
grep -qF -- "$ACT_CODE" "$WORK/edge-logs.txt" && { log "activation code in the edge host's logs"; LEAKS=1; }
[ "$LEAKS" = 0 ] || die "the activation code leaked"
ok "the activation code appears in no log"

log "done in $(( $(date +%s) - T0 ))s"
echo "smoke: $PASSED passed, 0 failed"
