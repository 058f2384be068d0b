#!/usr/bin/env bash
# The Vagrant scenario as CI runs it here: libvirt on QEMU without KVM, the
# locally built Debian 12 box, one VM, loopback-only networking. Installs and
# starts what Vagrant needs, builds/adds the box (cached), runs
# `molecule test -s vagrant -p edge-debian12` and prints each stage's time.
#   molecule/vagrant/run.sh            (from the repository root or anywhere)
#   molecule/vagrant/run.sh --destroy  (destroy the VM and stop the emulator of a run that was stopped)
# Environment: VAGRANT_SKIP_HOST_SETUP=1 skips install-host.sh and build-box.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${ROOT}"
export PATH="${ROOT}/.venv/bin:${PATH}"
export MOLECULE_VAGRANT_PROVIDER="${MOLECULE_VAGRANT_PROVIDER:-libvirt}"
export MOLECULE_VAGRANT_LIBVIRT_DRIVER="${MOLECULE_VAGRANT_LIBVIRT_DRIVER:-qemu}"
export MOLECULE_VAGRANT_DEBIAN_BOX="${MOLECULE_VAGRANT_DEBIAN_BOX:-local/debian12}"
export MOLECULE_VAGRANT_CPUS="${MOLECULE_VAGRANT_CPUS:-2}"
export MOLECULE_VAGRANT_MEMORY="${MOLECULE_VAGRANT_MEMORY:-2048}"
export MOLECULE_NO_LOG="${MOLECULE_NO_LOG:-false}"

if [[ "${1:-}" == --destroy ]]; then
  exec molecule destroy -s vagrant
fi

START=$(date +%s)
stamp() { printf '==> vagrant: %s (+%ss)\n' "$*" "$(( $(date +%s) - START ))"; }

for artifact in .cache/mirror/sandbox-signing-key.asc .cache/images/nginx.tar; do
  [[ -e "${artifact}" ]] || { echo "missing ${artifact}: run sandbox/agents/build.sh and sandbox/images/build.sh" >&2; exit 1; }
done

if [[ -z "${VAGRANT_SKIP_HOST_SETUP:-}" ]]; then
  t=$(date +%s); sandbox/vagrant/install-host.sh; HOST_S=$(( $(date +%s) - t ))
  t=$(date +%s); sandbox/vagrant/build-box.sh; BOX_S=$(( $(date +%s) - t ))
  stamp "host ready: install-host ${HOST_S}s, box ${BOX_S}s"
fi

# molecule's own output, plus a line with the time of every stage and a table at the end
set +e
timeout "${VAGRANT_SCENARIO_TIMEOUT:-3600}" molecule test -s vagrant -p edge-debian12 2>&1 | python3 -u -c '
import re, sys, time
ansi = re.compile(r"\x1b\[[0-9;]*m")
start, began, rows = time.time(), {}, []
for line in sys.stdin:
    sys.stdout.write(line)
    plain = ansi.sub("", line)
    # "vagrant ➜ converge: Executing" on a terminal, "[vagrant > converge] Executing" in a log
    m = re.search(r"vagrant (?:➜|>) ([a-z_-]+)\]?:? (Executing|Executed: (\w+(?: \w+)?))", plain)
    if not m or plain.lstrip().startswith("vagrant ➜"):
        continue
    stage, what, outcome = m.groups()
    if what == "Executing":
        began[stage] = time.time()
    elif stage in began:
        secs = time.time() - began.pop(stage)
        rows.append((stage, outcome, secs))
        print(f"==> vagrant stage {stage}: {outcome} in {secs:.0f} s", flush=True)
print("\n==> vagrant scenario stages")
for stage, outcome, secs in rows:
    print(f"==>   {stage:<12} {outcome:<11} {secs:6.0f} s")
print("==>   %-12s %-11s %6.0f s" % ("total", "", time.time() - start))
'
rc=${PIPESTATUS[0]}
set -e
stamp "molecule test -s vagrant: rc=${rc}"
exit "${rc}"
