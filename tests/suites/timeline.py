"""When each suite (and each part of one) ran, how busy the machine's CPUs were
meanwhile, and what ran beside it: the table `make test` and `.ci/run` end with.

.ci/run's own phases (installs, builds before `make test`) come from the file
named by EDGEOPS_CI_PHASES: one `<phase>\\t<seconds>` line each."""

import os
import time


def cpu_ticks():
    """(busy, total) jiffies of all CPUs so far, from /proc/stat (None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user
    return total - idle, total


class Span:
    def __init__(self, label):
        self.label, self.start, self.end, self.rc = label, time.time(), None, None
        self.ticks0, self.ticks1 = cpu_ticks(), None

    def seconds(self):
        return (self.end if self.end is not None else time.time()) - self.start

    def busy(self):
        """The machine's CPU use over the span, in percent of all its cores."""
        if not self.ticks0 or not self.ticks1 or self.ticks1[1] == self.ticks0[1]:
            return None
        return 100.0 * (self.ticks1[0] - self.ticks0[0]) / (self.ticks1[1] - self.ticks0[1])


SPANS = []


def begin(label):
    span = Span(label)
    SPANS.append(span)
    return span


def end(span, rc):
    if span.end is None:
        span.end, span.rc, span.ticks1 = time.time(), rc, cpu_ticks()


def beside(span):
    """The other spans that overlapped this one (a suite's own parts apart)."""
    own = span.label.split(".", 1)[0]
    names = []
    for other in SPANS:
        name = other.label.split(".", 1)[0]
        if name == own or name in names:
            continue
        if other.start < (span.end or time.time()) and (other.end or time.time()) > span.start:
            names.append(name)
    return names


def ci_phases():
    path = os.environ.get("EDGEOPS_CI_PHASES", "")
    rows = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 2 and fields[0]:
                    rows.append((fields[0], float(fields[1])))
    return rows


def table(budgets, started):
    """The lines of the time table, and the warnings for suites over budget."""
    lines = ["  %-26s %-7s %8s %8s %5s  %s" % ("phase / suite", "result", "wall s", "budget", "cpu%", "beside")]
    phases = ci_phases()
    for name, seconds in phases:
        lines.append("  %-26s %-7s %8.0f %8s %5s  %s" % ("ci: " + name, "", seconds, "", "", ""))
    warnings = []
    for span in SPANS:
        suite = span.label.split(".", 1)[0]
        budget = budgets.get(span.label) if "." not in span.label else None
        busy = span.busy()
        result = "running" if span.end is None else ("passed" if span.rc == 0 else "FAILED")
        lines.append("  %-26s %-7s %8.0f %8s %5s  %s" % (
            span.label, result, span.seconds(), budget or "", "%.0f" % busy if busy is not None else "",
            ", ".join(beside(span)) or "-"))
        if budget and span.seconds() > budget:
            warnings.append("WARNING: suite %s took %.0f s, over its budget of %d s (tests/suites/suites.py)"
                            % (suite, span.seconds(), budget))
    runner = time.time() - started
    lines.append("  %-26s %-7s %8.0f" % ("make test (wall)", "", runner))
    if phases:
        lines.append("  %-26s %-7s %8.0f" % (".ci/run (wall)", "", runner + sum(row[1] for row in phases)))
    return lines, warnings
