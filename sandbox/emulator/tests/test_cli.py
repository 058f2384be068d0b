"""The command line entry point: start-up time, banner, refusing wide binds, --faults."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _start(*args):
    return subprocess.Popen([sys.executable, "-m", "sandbox.emulator", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_starts_in_under_3_seconds_and_serves():
    t0 = time.monotonic()
    proc = _start("--port", "0", "--faults", json.dumps({"seed": 3, "rules": [{"service": "ecs", "operation": "ListClusters", "throttle_rate": 1.0}]}))
    try:
        line = proc.stdout.readline()
        elapsed = time.monotonic() - t0
        m = re.fullmatch(r"ready on (http://127\.0\.0\.1:(\d+))\n", line)
        assert m, f"unexpected banner {line!r} (stderr: {proc.stderr.read() if proc.poll() is not None else ''})"
        assert elapsed < 3.0, f"start-up took {elapsed:.2f}s"
        with urllib.request.urlopen(m.group(1) + "/_emulator/faults", timeout=5) as resp:
            faults = json.loads(resp.read())
        assert faults["seed"] == 3 and faults["rules"][0]["throttle_rate"] == 1.0
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "8.8.8.8"])
def test_refuses_non_local_bind(host):
    proc = _start("--port", "0", "--host", host)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "refusing" in err
