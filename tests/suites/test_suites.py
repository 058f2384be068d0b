"""Each suite of `make test` is one test here (see suites.py). A suite whose
command is a list of (part, command) runs its parts concurrently."""

import os
import subprocess
import sys
import time

import pytest

from suites import ROOT, selected

LOGS = os.path.join(ROOT, ".tmp", "logs")
TAIL = 80
# Lines that say why a run failed, wherever they are in the log (Ansible's
# "fatal:" results and the message lines after them, pytest's "E " lines).
WHY = 12


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


@pytest.mark.parametrize("name,command,purpose", selected(), ids=[s[0] for s in selected()])
def test_suite(name, command, purpose):
    os.makedirs(LOGS, exist_ok=True)
    parts = command if isinstance(command, list) else [(None, command)]
    sys.stdout.write("\n==> %s: %s\n" % (name, purpose))
    runs = []
    start = time.monotonic()
    for part, cmd in parts:
        label = name if part is None else "%s.%s" % (name, part)
        log = os.path.join(LOGS, label + ".log")
        sys.stdout.write("    $ %s    (log: .tmp/logs/%s.log)\n" % (cmd, label))
        out = open(log, "w")  # pylint: disable=consider-using-with  # closed below
        proc = subprocess.Popen(cmd, shell=True, cwd=ROOT, env=_env(), stdout=out,  # pylint: disable=consider-using-with
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        runs.append((label, log, out, proc, time.monotonic()))
    sys.stdout.flush()
    ended = {}
    while len(ended) < len(runs):  # note each part's own end time
        for label, _log, _out, proc, began in runs:
            if label not in ended and proc.poll() is not None:
                ended[label] = time.monotonic() - began
        time.sleep(0.2)
    failures = []
    for label, log, out, proc, began in runs:
        rc = proc.wait()
        out.close()
        seconds = ended[label]
        with open(log, errors="replace") as f:
            lines = f.readlines()
        # Suites report stages and figures for CI on lines starting with '>> ' or '==> '.
        for line in lines:
            if line.startswith((">> ", "==> ")):
                sys.stdout.write("    " + line)
        sys.stdout.write("<== %s %s in %.1f s\n" % (label, "passed" if rc == 0 else "FAILED (exit %d)" % rc, seconds))
        if rc != 0:
            why = _why(lines)
            failures.append("suite %s failed with exit code %d%s; last %d lines of %s:\n%s"
                            % (label, rc, (", because:\n" + "".join(why) + "\n") if why else "",
                               TAIL, log, "".join(lines[-TAIL:])))
    if len(parts) > 1:
        sys.stdout.write("<== %s: %d part(s) in %.1f s\n" % (name, len(parts), time.monotonic() - start))
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
