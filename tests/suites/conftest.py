"""pytest drives `make test`: one test per suite, stop at the first failure,
and the time table (timeline.py) before pytest's own summary line."""

import time

import timeline
from suites import SUITES, EXTRA_SUITES

STARTED = time.time()


def pytest_sessionfinish(session):  # pylint: disable=unused-argument
    # pytest stops at the first failure: a background suite still running is stopped and undone
    from test_suites import stop_background  # pylint: disable=import-outside-toplevel
    stop_background()


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.section("time table")
    lines, warnings = timeline.table({s.name: s.budget for s in SUITES + EXTRA_SUITES}, STARTED)
    for line in lines:
        tr.write_line(line)
    for line in warnings:
        tr.write_line(line)
    # a part's log, not its suite's (a suite of several parts has no log of its own)
    labels = [s.label for s in timeline.SPANS]
    failed = [s.label for s in timeline.SPANS if s.rc not in (0, None)
              and not any(other.startswith(s.label + ".") for other in labels)]
    if failed:
        tr.write_line("  first failing suite: %s (log: .tmp/logs/%s.log)" % (failed[0], failed[0]))
    tr.write_line("  finished %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
