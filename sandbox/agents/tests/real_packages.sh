#!/usr/bin/env bash
# Smoke check of AWS's REAL agent packages (sandbox/agents/build.sh) on one
# edge container: install both .debs from the built mirror with apt, then
#   - amazon-ssm-agent -version prints the pinned release; its unit exists, the
#     package enabled and started it (as AWS's does); ecs.service exists, not enabled
#   - `systemctl start ecs` without any registration: ecs-init pre-start loads
#     /var/cache/ecs/ecs-agent.tar, dockerd in the edge host lists
#     amazon/amazon-ecs-agent:latest, the agent container starts; it is pointed
#     at nowhere (ECS_BACKEND_HOST=http://127.0.0.1:9) and stopped right after.
# The edge container sits on an --internal docker network made here: nothing it
# runs (the SSM agent looks for EC2 metadata and AWS endpoints) can leave the
# machine. Removes everything it made (KEEP=1 keeps it for inspection).
#
# Usage: sandbox/agents/tests/real_packages.sh   (needs dockerd and the edge image)
# shellcheck disable=SC2016 # the single-quoted scripts run in the edge container
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
cd "$ROOT"
T0=$(date +%s)
ID="$$"
NET="edgeops-realpkg-$ID"
EDGE="edgeops-realpkg-edge-$ID"
MIRROR="${MIRROR:-$ROOT/.cache/mirror}"
REGION=us-east-1
PASSED=0
FAILED=0
NET_MADE=""

log() { printf '[real_packages %3ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
ok() { PASSED=$((PASSED + 1)); log "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); log "FAIL: $*"; }
check() {  # check DESCRIPTION COMMAND...
    local what="$1"; shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
edge() { docker exec "$EDGE" "$@"; }
wait_for() {  # wait_for SECONDS COMMAND...   (0 when the command succeeded in time)
    local end=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 1
    done
}
summary() { echo "real_packages: $PASSED passed, $FAILED failed"; }
abort() { bad "$*"; diagnostics; exit 1; }
diagnostics() {
    docker inspect "$EDGE" >/dev/null 2>&1 || return 0
    echo "--- journalctl -u ecs (tail)"; edge journalctl -u ecs -n 30 --no-pager 2>/dev/null || true
    echo "--- /var/log/ecs/ecs-init.log (tail)"; edge tail -n 20 /var/log/ecs/ecs-init.log 2>/dev/null || true
    echo "--- /var/log/ecs/ecs-agent.log (tail)"; edge tail -n 20 /var/log/ecs/ecs-agent.log 2>/dev/null || true
}
cleanup() {
    local rc=$?
    summary
    if [ "${KEEP:-0}" = 1 ]; then
        log "KEEP=1: left $EDGE and $NET"
        return
    fi
    docker rm -f "$EDGE" >/dev/null 2>&1 || true
    docker volume rm "$EDGE-docker" >/dev/null 2>&1 || true
    [ -n "$NET_MADE" ] && { docker network rm "$NET" >/dev/null 2>&1 || true; }
    [ "$FAILED" -eq 0 ] || rc=1
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

docker info >/dev/null 2>&1 || abort "the Docker engine is not reachable (start dockerd: scripts/ensure-docker.sh)"
docker image inspect edgeops/edge-debian12:latest >/dev/null 2>&1 \
    || abort "edge image edgeops/edge-debian12:latest missing (sandbox/images/build.sh)"

# 1. the mirror (cached: a no-op when nothing changed)
log "building the real-agent mirror (cached)"
sandbox/agents/build.sh "$MIRROR" >&2 || abort "sandbox/agents/build.sh failed"
# shellcheck source=/dev/null
. sandbox/agents/VERSIONS
SSM_DEB="$MIRROR/amazon-ssm-$REGION/$SSM_AGENT_VERSION/debian_amd64/amazon-ssm-agent.deb"
ECS_DEB="$MIRROR/amazon-ecs-agent-$REGION/amazon-ecs-init-$ECS_INIT_VERSION.amd64.deb"
check "mirror SHA256SUMS verify" sh -c "cd '$MIRROR' && sha256sum --quiet -c SHA256SUMS"

# 2. an internal network (no route off the machine) with a random /24 in 172.30.200-239
for _ in 1 2 3 4 5; do
    subnet="172.30.$(( 200 + RANDOM % 40 )).0/24"
    if docker network create --internal --subnet "$subnet" "$NET" >/dev/null 2>&1; then NET_MADE=1; break; fi
done
[ -n "$NET_MADE" ] || abort "could not create docker network $NET (subnets in use?)"
log "network $NET ($subnet, internal); starting $EDGE"
sandbox/images/run-edge.sh "$EDGE" "$NET" >/dev/null || abort "run-edge.sh failed"
wait_for 60 edge systemctl is-active --quiet docker.service || abort "dockerd did not start in $EDGE"

# 3. install both packages with apt from the mirror's files
# not /tmp: a tmpfs in the edge container, docker cp would write beneath it
docker cp "$SSM_DEB" "$EDGE:/root/amazon-ssm-agent.deb" >/dev/null
docker cp "$ECS_DEB" "$EDGE:/root/amazon-ecs-init.deb" >/dev/null
if edge env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        /root/amazon-ssm-agent.deb /root/amazon-ecs-init.deb >/tmp/real_packages.apt.$ID 2>&1; then
    ok "apt-get install amazon-ssm-agent and amazon-ecs-init"
else
    cat /tmp/real_packages.apt.$ID; rm -f /tmp/real_packages.apt.$ID
    abort "apt-get install failed"
fi
rm -f /tmp/real_packages.apt.$ID
check "dpkg: amazon-ssm-agent $SSM_AGENT_DEB_VERSION installed" \
    bash -c "[ \"\$(docker exec $EDGE dpkg-query -W -f '\${Version}' amazon-ssm-agent)\" = '$SSM_AGENT_DEB_VERSION' ]"
check "dpkg: amazon-ecs-init $ECS_INIT_DEB_VERSION installed" \
    bash -c "[ \"\$(docker exec $EDGE dpkg-query -W -f '\${Version}' amazon-ecs-init)\" = '$ECS_INIT_DEB_VERSION' ]"

# 4. the SSM agent
ver="$(edge amazon-ssm-agent -version 2>&1 || true)"
if grep -q "$SSM_AGENT_VERSION" <<<"$ver"; then ok "amazon-ssm-agent -version: $ver"; else bad "amazon-ssm-agent -version printed: $ver"; fi
for f in /usr/bin/amazon-ssm-agent /usr/bin/ssm-agent-worker /usr/bin/ssm-session-worker /usr/bin/ssm-document-worker \
         /etc/amazon/ssm/amazon-ssm-agent.json.template /etc/amazon/ssm/seelog.xml.template; do
    check "file $f" edge test -s "$f"
done
check "unit amazon-ssm-agent.service exists" edge systemctl cat amazon-ssm-agent.service
check "amazon-ssm-agent.service enabled by the package" edge systemctl is-enabled --quiet amazon-ssm-agent.service
# unregistered, AWS's agent finds no identity (no registration, no EC2 metadata),
# exits 0, and systemd starts it again after RestartSec=90: it ran if it logged that
ran_unregistered() {
    [ "$(edge systemctl show -p ExecMainStartTimestampMonotonic --value amazon-ssm-agent.service)" != 0 ] \
        && edge grep -q 'failed to find agent identity' /var/log/amazon/ssm/amazon-ssm-agent.log
}
if wait_for 60 ran_unregistered; then
    ok "amazon-ssm-agent.service started by the package; unregistered it logs 'failed to find agent identity' (/var/log/amazon/ssm/amazon-ssm-agent.log)"
else
    bad "amazon-ssm-agent.service did not run, or /var/log/amazon/ssm/amazon-ssm-agent.log lacks 'failed to find agent identity'"
fi

# 5. ecs-init and the ECS agent, going nowhere
check "unit ecs.service exists" edge systemctl cat ecs.service
check "ecs.service NOT enabled by the package" bash -c "! docker exec $EDGE systemctl is-enabled --quiet ecs.service"
check "agent image tarball /var/cache/ecs/ecs-agent.tar + state 1" \
    edge sh -c 'test -s /var/cache/ecs/ecs-agent.tar && [ "$(cat /var/cache/ecs/state)" = 1 ]'
check "no agent image loaded before ecs starts" bash -c "! docker exec $EDGE docker image inspect amazon/amazon-ecs-agent:latest"
edge sh -c 'printf "%s\n" ECS_CLUSTER=real-packages-smoke ECS_EXTERNAL=true AWS_DEFAULT_REGION=us-east-1 \
    ECS_BACKEND_HOST=http://127.0.0.1:9 ECS_LOGLEVEL=debug > /etc/ecs/ecs.config'
# dummy credentials where the SSM agent would share the instance's role
# credentials (ecs-init mounts /root/.aws at /rotatingcreds): with them the agent
# gets as far as calling RegisterContainerInstance on ECS_BACKEND_HOST
edge sh -c 'install -d -m 0700 /root/.aws && printf "[default]\naws_access_key_id = AKIASANDBOXDUMMY0000\naws_secret_access_key = sandbox-dummy-not-a-secret\n" > /root/.aws/credentials && chmod 0600 /root/.aws/credentials'
edge systemctl start ecs || bad "systemctl start ecs returned non-zero"
if wait_for 90 edge docker image inspect amazon/amazon-ecs-agent:latest; then
    ok "ecs-init pre-start loaded amazon/amazon-ecs-agent:latest ($(edge docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' amazon/amazon-ecs-agent:latest))"
else
    bad "amazon/amazon-ecs-agent:latest not in the edge host's docker images"
fi
check "ecs-init recorded the loaded image (state 1)" edge sh -c '[ "$(cat /var/cache/ecs/state)" = 1 ]'
started() {  # StartedAt is 0001-01-01T00:00:00Z until the container first started
    local at
    at="$(edge docker inspect -f '{{.State.StartedAt}}' ecs-agent 2>/dev/null)" || return 1
    [ -n "$at" ] && [ "${at#0001-}" = "$at" ]
}
if wait_for 60 started; then
    ok "agent container ecs-agent started ($(edge docker inspect -f '{{.State.Status}} {{.Config.Image}}' ecs-agent))"
else
    bad "agent container ecs-agent did not start"
fi
if wait_for 60 edge grep -q '127.0.0.1:9' /var/log/ecs/ecs-agent.log; then
    ok "ECS agent $ECS_AGENT_VERSION ran and tried only ECS_BACKEND_HOST 127.0.0.1:9 (/var/log/ecs/ecs-agent.log)"
else
    bad "the ECS agent log does not show the 127.0.0.1:9 backend"
fi
check "ECS agent log names version $ECS_AGENT_VERSION" edge grep -q "$ECS_AGENT_VERSION" /var/log/ecs/ecs-agent.log
check "ecs-init log /var/log/ecs/ecs-init.log written" edge test -s /var/log/ecs/ecs-init.log
edge systemctl stop ecs || true
if wait_for 30 bash -c "[ \"\$(docker exec $EDGE docker inspect -f '{{.State.Running}}' ecs-agent 2>/dev/null)\" != true ]"; then
    ok "systemctl stop ecs stopped the agent container"
else
    bad "agent container still running after systemctl stop ecs"
fi
[ "$FAILED" -eq 0 ] || diagnostics
