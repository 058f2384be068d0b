"""Each suite of `make test` is one test here (see suites.py)."""

import os
import subprocess
import sys
import time

import pytest

from suites import ROOT, selected

LOGS = os.path.join(ROOT, ".tmp", "logs")
TAIL = 80


@pytest.mark.parametrize("name,command,purpose", selected(), ids=[s[0] for s in selected()])
def test_suite(name, command, purpose):
    os.makedirs(LOGS, exist_ok=True)
    log = os.path.join(LOGS, name + ".log")
    env = dict(os.environ)
    env["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    sys.stdout.write("\n==> %s: %s\n    $ %s\n" % (name, purpose, command))
    sys.stdout.flush()
    start = time.monotonic()
    with open(log, "w") as out:
        rc = subprocess.call(command, shell=True, cwd=ROOT, env=env, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - start
    with open(log, errors="replace") as f:
        lines = f.readlines()
    # Suites may print lines starting with '>>' to report stages and figures in CI.
    for line in lines:
        if line.startswith(">> "):
            sys.stdout.write("    " + line)
    sys.stdout.write("<== %s %s in %.1f s (log: .tmp/logs/%s.log)\n"
                     % (name, "passed" if rc == 0 else "FAILED (exit %d)" % rc, seconds, name))
    if rc != 0:
        pytest.fail("suite %s failed with exit code %d; last %d lines of %s:\n%s"
                    % (name, rc, TAIL, log, "".join(lines[-TAIL:])), pytrace=False)
