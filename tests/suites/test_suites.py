"""Each suite of `make test` is one test here (see suites.py). A suite whose
command is a list of (part, command) runs its parts concurrently. A
background suite is started by its test and waited for by test_wait, after
the other suites; conftest.py prints the time table."""

import os
import signal
import subprocess
import sys
import time

import pytest

import timeline
from suites import ROOT, selected

LOGS = os.path.join(ROOT, ".tmp", "logs")
TAIL = 80
# Lines that say why a run failed, wherever they are in the log (Ansible's
# "fatal:" results and the message lines after them, pytest's "E " lines).
WHY = 12
# How long a background suite may take to get ready before the runner gives up on it.
READY_TIMEOUT = 1200
NICE = ["nice", "-n", "10"]


def _why(lines):
    """The failure messages of a log: each Ansible fatal/FAILED! result with the
    lines that follow it, and pytest's error lines; at most a few of each."""
    picked = []
    for i, line in enumerate(lines):
        if line.startswith("fatal: [") or "FAILED! =>" in line:
            picked.append("".join(lines[i:i + WHY]))
        elif line.startswith("E   "):
            picked.append(line)
    return picked[:8]


def _env():
    env = dict(os.environ)
    env["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    return env


class Part:
    """One command of a suite, running with its output in its own log."""

    def __init__(self, label, cmd, nice):
        self.label, self.cmd = label, cmd
        self.log = os.path.join(LOGS, label + ".log")
        sys.stdout.write("    $ %s%s    (log: .tmp/logs/%s.log)\n" % ("nice " if nice else "", cmd, label))
        self.out = open(self.log, "w")  # pylint: disable=consider-using-with  # closed in finish()
        argv = (NICE if nice else []) + ["bash", "-c", cmd]
        # its own session: the runner can stop it and everything it started
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=_env(), stdout=self.out,  # pylint: disable=consider-using-with
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.span = timeline.begin(label)

    def poll(self):
        if self.span.end is None and self.proc.poll() is not None:
            timeline.end(self.span, self.proc.returncode)
        return self.proc.returncode

    def log_has(self, text):
        with open(self.log, errors="replace") as f:
            return any(text in line for line in f)

    def finish(self):
        """Its result: the report lines and, when it failed, why."""
        rc = self.proc.wait()
        self.poll()
        self.out.close()
        with open(self.log, errors="replace") as f:
            lines = f.readlines()
        # Suites report stages and figures for CI on lines starting with '>> ' or '==> '.
        for line in lines:
            if line.startswith((">> ", "==> ")):
                sys.stdout.write("    " + line)
        result = "passed" if rc == 0 else "FAILED (exit %d)" % rc
        sys.stdout.write("<== %s %s in %.1f s\n" % (self.label, result, self.span.seconds()))
        if rc == 0:
            return None
        why = _why(lines)
        return ("suite %s failed with exit code %d%s; last %d lines of %s:\n%s"
                % (self.label, rc, (", because:\n" + "".join(why) + "\n") if why else "",
                   TAIL, self.log, "".join(lines[-TAIL:])))

    def session(self):
        """The pids of its session: what it started, whatever process group
        they put themselves in (molecule gives ansible-playbook its own)."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[3]) == self.proc.pid:  # field 6 of stat: the session id
                    pids.append(int(entry))
        return pids

    def stop(self):
        """Stop it and what it started (the runner stops early)."""
        for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 5)):
            for pid in self.session():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while self.proc.poll() is None or self.session():
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            if not self.session():
                break
        self.poll()
        self.out.close()


BACKGROUND = {}  # name -> (Suite, [Part])
SUITE_SPANS = {}  # name -> the Span of a suite of several parts
READY = set()  # the background suites that reported ready


def _start(suite):
    os.makedirs(LOGS, exist_ok=True)
    sys.stdout.write("\n==> %s: %s\n" % (suite.name, suite.purpose))
    parts = suite.command if isinstance(suite.command, list) else [(None, suite.command)]
    nice = suite.nice and any(p.poll() is None for running in BACKGROUND.values() for p in running[1])
    if len(parts) > 1:  # the suite's own span, its parts' beside it
        SUITE_SPANS[suite.name] = timeline.begin(suite.name)
    started = [Part(suite.name if part is None else "%s.%s" % (suite.name, part), cmd, nice) for part, cmd in parts]
    sys.stdout.flush()
    return started


def _finish(suite, parts, began):
    # poll every part, and the background suites' too: each one's own end time
    while [p for p in parts if p.poll() is None]:
        for running in BACKGROUND.values():
            for part in running[1]:
                part.poll()
        time.sleep(0.2)
    failures = [f for f in (p.finish() for p in parts) if f]
    if suite.name in SUITE_SPANS:
        timeline.end(SUITE_SPANS.pop(suite.name), 1 if failures else 0)
        sys.stdout.write("<== %s: %d part(s) in %.1f s\n" % (suite.name, len(parts), time.monotonic() - began))
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


def _wait_ready():
    """Wait until every background suite is ready (its VM booted): the suites
    that run beside it start then, not before (a boot under load timed out once)."""
    for name, (suite, parts) in list(BACKGROUND.items()):
        if suite.name in READY:
            continue
        began = time.monotonic()
        deadline = began + READY_TIMEOUT
        while not all(p.log_has(suite.ready) for p in parts):
            if any(p.poll() is not None for p in parts):
                del BACKGROUND[name]
                _finish(suite, parts, began)  # ended before it was ready: its result now
                return
            if time.monotonic() > deadline:
                pytest.fail("%s: not ready ('%s' in its log) after %d s" % (suite.name, suite.ready, READY_TIMEOUT),
                            pytrace=False)
            time.sleep(1)
        READY.add(suite.name)
        sys.stdout.write("<== %s ready (waited %.0f s for it); it goes on in the background\n" % (
            suite.name, time.monotonic() - began))
        sys.stdout.flush()


@pytest.mark.parametrize("suite", selected(), ids=[s.name for s in selected()])
def test_suite(suite):
    if suite.nice:
        _wait_ready()
    began = time.monotonic()
    parts = _start(suite)
    if suite.background:
        BACKGROUND[suite.name] = (suite, parts)
    else:
        _finish(suite, parts, began)


def wait(suite):
    """The background suite's result, once it ends."""
    _wait_ready()
    if suite.name not in BACKGROUND:
        return  # it ended before it was ready: test_suite had its result
    parts = BACKGROUND.pop(suite.name)[1]
    sys.stdout.write("\n==> waiting for %s\n" % suite.name)
    _finish(suite, parts, time.monotonic())


# waited for after every other suite (a test only when a background suite is selected)
if any(s.background for s in selected()):
    test_wait = pytest.mark.parametrize("suite", [s for s in selected() if s.background],
                                        ids=[s.name for s in selected() if s.background])(wait)


def stop_background():
    """Stop the background suites that are still running (another suite
    failed and pytest stops), and undo what they made."""
    for name, (suite, parts) in list(BACKGROUND.items()):
        for part in parts:
            if part.proc.poll() is None:
                sys.stdout.write("\n==> stopping %s (the run stops early)\n" % part.label)
                part.stop()
                if suite.cleanup:
                    subprocess.run(["bash", "-c", suite.cleanup], cwd=ROOT, env=_env(), check=False,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                   timeout=600)
        del BACKGROUND[name]
