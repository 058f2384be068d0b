#!/usr/bin/env bash
# The local stand-in for AWS (the emulator) + an edge fleet running AWS's agents, used by `make demo`, the e2e
# tests and `make bench`:
#   sandbox/sandbox.sh up      build images and agent packages (cached), start the
#                              emulator and EDGES edge containers, preload nginx
#   sandbox/sandbox.sh down    remove everything `up` made
#   sandbox/sandbox.sh status  what runs
# Environment: SANDBOX (name prefix, default "sandbox"), EDGES (default 2),
# PORT (emulator port on 127.0.0.1, default 4566), SUBNET (default 172.30.250.0/24:
# the sandbox's own docker network; the emulator also listens on its gateway
# so edge containers reach it, and nowhere else).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SANDBOX="${SANDBOX:-sandbox}"
EDGES="${EDGES:-2}"
PORT="${PORT:-4566}"
SUBNET="${SUBNET:-172.30.250.0/24}"
GATEWAY="${SUBNET%.*}.1"
NET="$SANDBOX-net"
STATE="$ROOT/.tmp/sandbox/$SANDBOX"
PY="$ROOT/.venv/bin/python"

say() { printf '[%s %(%H:%M:%S)T] %s\n' "$SANDBOX" -1 "$*"; }
containers() { docker ps -aq --filter "label=edgeops.sandbox=$SANDBOX"; }

emulator_up() {
  if [ -f "$STATE/emulator.pid" ] && kill -0 "$(cat "$STATE/emulator.pid")" 2>/dev/null; then
    return 0
  fi
  say "starting the AWS emulator on 127.0.0.1:$PORT and $GATEWAY:$PORT"
  cd "$ROOT"
  setsid "$PY" -m sandbox.emulator --port "$PORT" --host 127.0.0.1 \
      --extra-host "$GATEWAY" >"$STATE/emulator.log" 2>&1 </dev/null &
  echo $! >"$STATE/emulator.pid"
  for _ in $(seq 1 100); do
    grep -q "^ready on" "$STATE/emulator.log" 2>/dev/null && { say "$(grep '^ready on' "$STATE/emulator.log")"; return 0; }
    kill -0 "$(cat "$STATE/emulator.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "the emulator did not start; its log:" >&2; cat "$STATE/emulator.log" >&2; return 1
}

# Every edge container's systemd, dockerd and agents take inotify instances
# from one per-user pool of this machine (root's, 128 by default): with 16
# edge hosts it runs out, and AWS's ECS agent then panics at start
# (fsnotify.Watcher.Add on a nil watcher, docker_task_engine_linux.go). A real
# fleet has one pool per host; the sandbox raises this machine's to 64 per
# edge host (never lowers it).
inotify_pool() {
  local want=$(( EDGES * 64 + 128 )) have
  have=$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 0)
  if [ "$have" -lt "$want" ]; then
    say "raising fs.inotify.max_user_instances from $have to $want (one pool for $EDGES edge containers)"
    sysctl -q -w fs.inotify.max_user_instances="$want" || say "could not raise it: run as root, or expect ECS agent panics with many edge hosts"
  fi
}

up() {
  mkdir -p "$STATE"
  inotify_pool
  say "building images and AWS's agent packages (cached on their inputs)"
  "$ROOT/scripts/build-sandbox.sh" >/dev/null
  docker network inspect "$NET" >/dev/null 2>&1 ||
    docker network create --subnet "$SUBNET" --gateway "$GATEWAY" \
      --label "edgeops.sandbox=$SANDBOX" "$NET" >/dev/null
  emulator_up
  local i name
  for i in $(seq 1 "$EDGES"); do
    name="$SANDBOX-edge-$i"
    if ! docker inspect "$name" >/dev/null 2>&1; then
      say "starting edge container $name"
      "$HERE/images/run-edge.sh" "$name" "$NET" --label "edgeops.sandbox=$SANDBOX" >/dev/null
    fi
  done
  for i in $(seq 1 "$EDGES"); do
    name="$SANDBOX-edge-$i"
    # systemd up, the host's own Docker answering, then the nginx image preloaded
    # (edge hosts here cannot reach a registry).
    docker exec "$name" sh -c 'for i in $(seq 1 120); do docker info >/dev/null 2>&1 && exit 0; sleep 0.5; done; exit 1' ||
      { echo "Docker did not come up inside $name" >&2; return 1; }
    if ! docker exec "$name" docker image inspect public.ecr.aws/nginx/nginx:stable >/dev/null 2>&1; then
      say "preloading the nginx image into $name"
      docker exec -i "$name" docker load -q <"$ROOT/.cache/images/nginx.tar" >/dev/null
    fi
  done
  cat >"$STATE/env" <<ENV
export SANDBOX_PORT=$PORT SANDBOX_GATEWAY=$GATEWAY
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=sandbox-access-key AWS_SECRET_ACCESS_KEY=sandbox-secret-key
ENV
  say "up: emulator http://127.0.0.1:$PORT, $EDGES edge host(s) on $NET (env: $STATE/env)"
}

down() {
  local ids
  ids="$(containers)"
  if [ -n "$ids" ]; then
    say "removing edge containers"
    # shellcheck disable=SC2086
    docker rm -f -v $ids >/dev/null
  fi
  docker volume ls -q | { grep -E "^$SANDBOX-edge-[0-9]+-docker$" || true; } | xargs -r docker volume rm >/dev/null
  docker network rm "$NET" >/dev/null 2>&1 || true
  if [ -f "$STATE/emulator.pid" ]; then
    say "stopping the emulator"
    local pid
    pid="$(cat "$STATE/emulator.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    rm -f "$STATE/emulator.pid"
  fi
  # an emulator of this sandbox whose pid file was lost
  pkill -f -- "-m sandbox.emulator --port $PORT --host 127.0.0.1 --extra-host $GATEWAY\$" 2>/dev/null || true
  say "down"
}

status() {
  docker ps --filter "label=edgeops.sandbox=$SANDBOX" --format '{{.Names}}\t{{.Status}}'
  if [ -f "$STATE/emulator.pid" ] && kill -0 "$(cat "$STATE/emulator.pid")" 2>/dev/null; then
    echo "emulator: running (pid $(cat "$STATE/emulator.pid")), http://127.0.0.1:$PORT"
  else
    echo "emulator: not running"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
