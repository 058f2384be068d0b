"""pytest drives `make test`: one test per suite, stop at the first failure,
and a table of suites and times before pytest's own summary line."""

import time

RESULTS = []  # (name, outcome, seconds)


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        name = report.nodeid.split("[", 1)[-1].rstrip("]")
        RESULTS.append((name, report.outcome, report.duration))


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.section("suites")
    total = 0.0
    for name, outcome, seconds in RESULTS:
        total += seconds
        tr.write_line("  %-24s %-8s %7.1f s" % (name, outcome.upper(), seconds))
    tr.write_line("  %-24s %-8s %7.1f s" % ("total", "", total))
    failed = [r[0] for r in RESULTS if r[1] == "failed"]
    if failed:
        tr.write_line("  first failing suite: %s (log: .tmp/logs/%s.log)" % (failed[0], failed[0]))
    tr.write_line("  finished %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
