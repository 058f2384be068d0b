"""`make bench`: wall time and AWS API calls of the quick start on the sandbox.

Runs site.yml on a fresh sandbox with 1 and with 4 edge hosts, the no-op
re-run, and the decommissioning of one host; reads the emulator's
per-operation call counts after each; prints one table and the targets of
issue 8 (measured, not asserted: this is a benchmark, not a test).
Environment: BENCH_SIZES (default "1,4"), BENCH_PROFILE=1 adds the
profile_tasks callback's top tasks to the output."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANDBOX, PORT, SUBNET = "bench", "4588", "172.30.252.0/24"
GATEWAY = SUBNET.rsplit(".", 1)[0] + ".1"
EMU = "http://127.0.0.1:%s" % PORT


def env():
    e = dict(os.environ)
    e.update({"SANDBOX": SANDBOX, "PORT": PORT, "SUBNET": SUBNET, "SANDBOX_PORT": PORT,
              "SANDBOX_GATEWAY": GATEWAY, "AWS_ENDPOINT_URL": EMU, "AWS_DEFAULT_REGION": "us-east-1",
              "AWS_ACCESS_KEY_ID": "sandbox-access-key", "AWS_SECRET_ACCESS_KEY": "sandbox-secret-key",
              "PATH": os.path.join(ROOT, ".venv", "bin") + os.pathsep + os.environ["PATH"],
              "ANSIBLE_NOCOLOR": "1"})
    if os.environ.get("BENCH_PROFILE"):
        e["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
    return e


def sandbox(action, edges):
    e = env()
    e["EDGES"] = str(edges)
    subprocess.run([os.path.join(ROOT, "sandbox", "sandbox.sh"), action], env=e, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def emulator(path, method="GET"):
    req = urllib.request.Request(EMU + "/_emulator/" + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def inventory(edges):
    d = tempfile.mkdtemp(prefix="bench-inv-")
    shutil.copytree(os.path.join(ROOT, "inventories", "sandbox", "group_vars"), os.path.join(d, "group_vars"))
    p = os.path.join(d, "group_vars", "ecs_anywhere_edge.yml")
    with open(p) as f:
        text = f.read().replace("{{ inventory_dir }}/../..", ROOT)
    with open(p, "w") as f:
        f.write(text)
    with open(os.path.join(d, "hosts.yml"), "w") as f:
        f.write("all:\n  children:\n    ecs_anywhere_edge:\n      hosts:\n")
        for i in range(1, edges + 1):
            f.write("        %s-edge-%d:\n" % (SANDBOX, i))
    return d


def timed(inv, *args):
    emulator("counts/reset", "POST")
    start = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", inv] + list(args), cwd=ROOT, env=env(), check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-5000:])
        raise SystemExit("bench: ansible-playbook %s failed" % " ".join(args))
    counts = emulator("counts")
    changed = sum(int(x) for x in re.findall(r"changed=(\d+)", proc.stdout))
    if os.environ.get("BENCH_PROFILE"):
        tail = proc.stdout[proc.stdout.rfind("=" * 20):]
        print("\n".join(tail.splitlines()[:25]))
    return seconds, counts, changed


def main():
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "1,4").split(",")]
    rows = []
    for n in sizes:
        sandbox("down", n)
        sandbox("up", n)
        inv = inventory(n)
        rows.append(("site.yml, %d host(s)" % n, n) + timed(inv, "site.yml"))
        if n == max(sizes):
            rows.append(("re-run (no-op), %d host(s)" % n, n) + timed(inv, "site.yml"))
            rows.append(("decommission 1 of %d" % n, 1) + timed(
                inv, "playbooks/decommission.yml", "--limit", "%s-edge-%d" % (SANDBOX, n)))
        sandbox("down", n)
        shutil.rmtree(inv)

    print("\n%-30s %9s %8s %10s %10s %12s" % ("operation", "wall (s)", "changed", "AWS calls", "per host", "activations"))
    for name, hosts, seconds, counts, changed in rows:
        calls = sum(counts.values())
        activations = counts.get("ssm.CreateActivation", 0)
        print("%-30s %9.1f %8d %10d %10.1f %12d" % (name, seconds, changed, calls, calls / hosts, activations))
    print("\nAWS calls by operation:")
    ops = sorted({op for r in rows for op in r[3]})
    print("%-44s" % "operation" + "".join("%12s" % r[0].split(",")[0][:11] for r in rows))
    for op in ops:
        print("%-44s" % op + "".join("%12d" % r[3].get(op, 0) for r in rows))

    by = {r[0]: r for r in rows}
    if len(sizes) >= 2:
        one, four = by["site.yml, %d host(s)" % sizes[0]], by["site.yml, %d host(s)" % sizes[-1]]
        noop = by["re-run (no-op), %d host(s)" % sizes[-1]]
        print("\ntargets:")
        ratio = four[2] / one[2]
        print("  %d-host run <= 1.5 x 1-host run: %.2f x  %s" % (sizes[-1], ratio, "met" if ratio <= 1.5 else "MISSED"))
        frac = noop[2] / four[2]
        print("  no-op re-run <= 1/5 of first run: %.2f, changed=%d  %s" % (
            frac, noop[4], "met" if frac <= 0.2 and noop[4] == 0 else "MISSED"))
        acts = [r[3].get("ssm.CreateActivation", 0) for r in (one, four)]
        print("  one activation per run: %s  %s" % (acts, "met" if acts == [1, 1] else "MISSED"))
        per = [sum(r[3].values()) / r[1] for r in (one, four)]
        print("  AWS calls per host: %.1f -> %.1f  %s" % (per[0], per[1], "met" if per[1] <= per[0] else "MISSED"))


if __name__ == "__main__":
    main()
