#!/usr/bin/env bash
# Make sure a Docker engine answers. Installs docker.io from Debian and starts
# dockerd in the background when this machine has none running (CI machines
# start without one and without systemd as PID 1).
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-docker: no Docker engine. Install one: sudo apt-get install -y docker.io" >&2; exit 1
  fi
  echo "ensure-docker: installing docker.io"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
echo "ensure-docker: starting dockerd (log: /var/log/dockerd.log)"
# its own session: it must outlive the shell (and process group) that started it
setsid nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { echo "ensure-docker: engine up"; exit 0; }
  sleep 1
done
echo "ensure-docker: dockerd did not come up; see /var/log/dockerd.log" >&2
tail -20 /var/log/dockerd.log >&2
exit 1
