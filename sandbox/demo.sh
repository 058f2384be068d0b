#!/usr/bin/env bash
# `make demo`: the whole ECS Anywhere quick start on this machine, no AWS
# account: emulator + two edge containers, site.yml, then what it made.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" SANDBOX="${SANDBOX:-sandbox}" EDGES="${EDGES:-2}"
start=$SECONDS
step() { printf '\n\033[1m[demo +%3ds] %s\033[0m\n' "$((SECONDS - start))" "$*"; }

# As root on a fresh machine this installs what is missing (docker.io,
# debootstrap) from Debian, starts dockerd, and builds the images and packages.
step "1/4 Docker engine, debootstrap, edge and nginx images, agent packages (cached)"
scripts/build-sandbox.sh
step "2/4 sandbox: emulator, $EDGES edge containers"
sandbox/sandbox.sh up
# shellcheck disable=SC1090
. "$ROOT/.tmp/sandbox/$SANDBOX/env"
step "3/4 ansible-playbook site.yml -i inventories/sandbox"
ansible-playbook site.yml -i inventories/sandbox
step "4/4 what the quick start made"
for i in $(seq 1 "$EDGES"); do
  host="$SANDBOX-edge-$i"
  printf '\n$ docker exec %s docker ps\n' "$host"
  docker exec "$host" docker ps --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'
done
echo
for i in $(seq 1 "$EDGES"); do
  host="$SANDBOX-edge-$i"
  answer="$(docker exec "$host" curl -s -o /dev/null -w '%{http_code}' http://localhost:8080/ || true)"
  title="$(docker exec "$host" curl -s http://localhost:8080/ | grep -o '<title>[^<]*</title>' || true)"
  printf 'nginx     %s  http://localhost:8080 -> HTTP %s %s\n' "$host" "$answer" "$title"
done
sleep 6   # dockerd's awslogs driver sends in batches (5 s)
echo
python sandbox/show.py sandbox /ecs/sandbox   # inventories/sandbox: ecs_anywhere_cluster_name
printf '\ndemo finished in %d s. Remove everything with: make demo-down\n' "$((SECONDS - start))"
