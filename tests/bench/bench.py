"""`make bench`: wall time, controller CPU and AWS API calls of the quick start
on the sandbox (sandbox/harness.py), with AWS's agents on the edge hosts.

For each size of BENCH_SIZES (default "1,4,16"): site.yml on a fresh sandbox;
for the largest size also the no-op re-run and the decommissioning of one
host; and, on a fresh sandbox of the second-largest size, site.yml the way AWX
job slicing runs it (BENCH_SLICES runs at once, default 2, each over its slice
of the hosts + localhost). Prints one table, the AWS calls by operation and
the targets of the issues (measured, not asserted: a benchmark, not a test).
The table gives, per operation, the controller's CPU per host and the task
iterations per host (what a no-op costs an execution node).
BENCH_PROFILE=1 adds the profile_tasks callback's top tasks of each run."""

import os
import resource
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)

from sandbox.harness import Sandbox  # noqa: E402  pylint: disable=wrong-import-position

NAME, PORT, SUBNET = "bench", 4588, "172.30.252.0/24"


# Calls AWS's agents make on their own (registration, heartbeats, polling, task
# state, metrics, awslogs): they grow with hosts x minutes, whatever the
# collection does. The rest are the collection's (the playbooks' modules).
AGENT_OPERATIONS = ("ec2messages.", "ecs.ACS.", "ecs.TCS.", "ecs.DiscoverPollEndpoint", "ecs.RegisterContainerInstance",
                    "ecs.SubmitTaskStateChange", "logs.CreateLogStream", "logs.PutLogEvents",
                    "ssm.ListInstanceAssociations", "ssm.RegisterManagedInstance",
                    "ssm.RequestManagedInstanceRoleToken", "ssm.UpdateInstanceInformation",
                    "ssm.UpdateManagedInstancePublicKey")


def collection_calls(counts):
    """The AWS calls of the collection's own modules in a row's counts."""
    return sum(n for op, n in counts.items() if not op.startswith(AGENT_OPERATIONS))


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def host_tasks(run):
    """Tasks run per host, from the recap: ok (changed included) + skipped + failed + rescued."""
    return sum(r.get("ok", 0) + r.get("skipped", 0) + r.get("failed", 0) + r.get("rescued", 0)
               for r in run.recap().values())


def measure(box, *runs):
    """Run the argument lists at the same moment (one: a plain run); the row's figures."""
    box.emulator("counts/reset", "POST")
    cpu, start = children_cpu(), time.monotonic()
    env = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks"} if os.environ.get("BENCH_PROFILE") else {}
    if len(runs) == 1:
        done = [box.playbook(*runs[0], env=env)]
    else:
        done = box.playbooks_at_once(*runs)
    seconds, cpu = time.monotonic() - start, children_cpu() - cpu
    counts = box.emulator("counts")
    changed = sum(r.get("changed", 0) for run in done for h, r in run.recap().items() if h != "localhost")
    tasks = sum(host_tasks(run) for run in done)
    if os.environ.get("BENCH_PROFILE"):
        for run in done:
            tail = run.out[run.out.rfind("=" * 20):]
            print("\n".join(tail.splitlines()[:25]))
    return {"seconds": seconds, "cpu": cpu, "counts": counts, "changed": changed, "tasks": tasks}


def edge_memory(host):
    """Resident memory of everything in one edge container (agents, dockerd, nginx), summed
    from `docker top`: docker stats reads the memory cgroup, which this engine may not account."""
    out = subprocess.run(["docker", "top", host, "-o", "pid,rss"],  # docker top needs the pid column
                         capture_output=True, text=True, check=False).stdout.splitlines()
    rss = [line.split()[-1] for line in out[1:]]
    kib = sum(int(v) for v in rss if v.isdigit())
    return "%.0f MiB" % (kib / 1024.0) if kib else "?"


def main():
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "1,4,16").split(",")]
    slices = int(os.environ.get("BENCH_SLICES", "2"))
    rows = []  # (name, hosts, figures)
    memory = "?"
    for n in sizes:
        box = Sandbox(NAME, PORT, SUBNET, n).up()
        try:
            rows.append(("site.yml, %d host(s)" % n, n, measure(box, ["site.yml"])))
            if n == max(sizes):
                memory = edge_memory(box.hosts[0])
                rows.append(("re-run (no-op), %d host(s)" % n, n, measure(box, ["site.yml"])))
                rows.append(("decommission 1 of %d" % n, 1, measure(
                    box, ["playbooks/decommission.yml", "--limit", box.hosts[-1]])))
        finally:
            box.down()
    sliced_size = sorted(sizes)[-2] if len(sizes) > 1 else sizes[0]
    if slices > 1 and sliced_size >= slices:
        box = Sandbox(NAME, PORT, SUBNET, sliced_size).up()
        try:
            parts = [box.hosts[i::slices] for i in range(slices)]
            rows.append(("site.yml, %d slices of %d" % (slices, sliced_size), sliced_size, measure(
                box, *[["site.yml", "--limit", ",".join(p + ["localhost"])] for p in parts])))
        finally:
            box.down()

    print("\n%-30s %8s %8s %9s %9s %9s %10s %9s %8s %9s %10s" % (
        "operation", "wall s", "changed", "AWS calls", "ours", "ours/host", "activation", "CPU s", "CPU/task",
        "CPU/host", "tasks/host"))
    for name, hosts, f in rows:
        calls, ours = sum(f["counts"].values()), collection_calls(f["counts"])
        print("%-30s %8.1f %8d %9d %9d %9.1f %10d %9.1f %8.3f %9.2f %10.1f" % (
            name, f["seconds"], f["changed"], calls, ours, ours / hosts, f["counts"].get("ssm.CreateActivation", 0),
            f["cpu"], f["cpu"] / max(f["tasks"], 1), f["cpu"] / hosts, f["tasks"] / hosts))
    print("(tasks/host: task iterations on the edge hosts, ok + skipped + failed, from the recap, per host;"
          " CPU: the controller's, ansible-playbook and its children)")
    print("\nmemory of one edge host (RSS summed, %d-host sandbox after site.yml): %s" % (max(sizes), memory))
    print("\nAWS calls by operation:")
    ops = sorted({op for r in rows for op in r[2]["counts"]})
    print("%-44s" % "operation" + "".join("%12s" % (r[0].split(",")[0][:8] + "/" + str(r[1])) for r in rows))
    for op in ops:
        print("%-44s" % op + "".join("%12d" % r[2]["counts"].get(op, 0) for r in rows))

    by = {r[0]: r for r in rows}
    first = {n: by["site.yml, %d host(s)" % n][2] for n in sizes}
    print("\ntargets:")

    def verdict(ok):
        return "met" if ok else "MISSED"

    if 1 in first and 4 in first:
        ratio = first[4]["seconds"] / first[1]["seconds"]
        print("  P1  4 hosts / 1 host <= 1.3: %.2f  %s" % (ratio, verdict(ratio <= 1.3)))
    big = max(sizes)
    noop = by["re-run (no-op), %d host(s)" % big][2]
    frac = noop["seconds"] / first[big]["seconds"]
    print("  P2  no-op re-run / first run <= 0.15, changed=0: %.2f, changed=%d  %s" % (
        frac, noop["changed"], verdict(frac <= 0.15 and noop["changed"] == 0)))
    print("  cost no-op CPU/host <= 2.0 s: %.2f  %s" % (noop["cpu"] / big, verdict(noop["cpu"] / big <= 2.0)))
    per_host = first[big]["cpu"] / big
    print("  cost first-run CPU/host <= 12 s: %.2f  %s" % (per_host, verdict(per_host <= 12)))
    print("  cost no-op wall / first-run wall <= 0.10: %.2f  %s" % (frac, verdict(frac <= 0.10)))
    if 1 in first and 16 in first:
        ratio = first[16]["seconds"] / first[1]["seconds"]
        print("  P5  16 hosts / 1 host <= 2.5: %.2f  %s" % (ratio, verdict(ratio <= 2.5)))
    acts = [first[n]["counts"].get("ssm.CreateActivation", 0) for n in sizes]
    sliced = [r for r in rows if "slices" in r[0]]
    if sliced:
        acts.append(sliced[0][2]["counts"].get("ssm.CreateActivation", 0))
    expected = [1] * len(sizes) + ([slices] if sliced else [])
    print("  P3  one activation per run (per slice): %s  %s" % (acts, verdict(acts == expected)))
    per = [collection_calls(first[n]["counts"]) / n for n in sizes]
    print("  P3  the collection's AWS calls per host as hosts are added (agents' own calls aside): %s  %s" % (
        " -> ".join("%.1f" % p for p in per), verdict(all(b <= a * 1.05 for a, b in zip(per, per[1:])))))
    if sliced:
        one = first.get(sliced_size)
        print("  slicing: %d slices of %d hosts at once %.1f s; one run over all %s" % (
            slices, sliced_size, sliced[0][2]["seconds"], "%.1f s" % one["seconds"] if one else "not measured"))


if __name__ == "__main__":
    main()
