"""Docker plumbing of the real-agent tests (test_real_ssm_agent.py, test_real_ecs_agent.py).

One edge container (sandbox/images/run-edge.sh: systemd, its own dockerd) on a
throwaway docker network, and an emulator listening on the network's gateway.
Everything it creates is removed afterwards, whatever happened.
"""
from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from sandbox.emulator.server import EmulatorServer

ROOT = Path(__file__).resolve().parents[3]
EDGE_IMAGE = os.environ.get("EDGE_IMAGE", "edgeops/edge-debian12:latest")
#: the real-agent tests fail instead of skipping when their prerequisites are missing
REQUIRED = os.environ.get("EDGEOPS_REAL_AGENTS_REQUIRED") == "1"


def run(*args: str, input: str | None = None, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), input=input, capture_output=True, text=True, check=check, timeout=timeout)


def docker_skip_reason() -> str | None:
    """Why no edge container can run here (docker, its engine, the edge image), or None."""
    if shutil.which("docker") is None:
        return "docker is not installed"
    try:
        if run("docker", "info", check=False, timeout=20).returncode != 0:
            return "the docker engine does not answer"
    except subprocess.TimeoutExpired:
        return "the docker engine does not answer"
    if run("docker", "image", "inspect", EDGE_IMAGE, check=False).returncode != 0:
        return f"edge image {EDGE_IMAGE} missing (sandbox/images/build.sh)"
    return None


def skip_unless_runnable(reason: str | None, what: str) -> pytest.MarkDecorator:
    """The module's pytestmark: skipped with `reason`; with EDGEOPS_REAL_AGENTS_REQUIRED=1 an error instead."""
    if reason and REQUIRED:
        raise RuntimeError(f"the {what} test cannot run: {reason}")
    return pytest.mark.skipif(reason is not None, reason=reason or "")


class Edge:
    """The edge container: shell commands run in it with `docker exec`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def sh(self, script: str, input: str | None = None, check: bool = True, timeout: float = 120):
        stdin = ["-i"] if input is not None else []
        return run("docker", "exec", *stdin, self.name, "sh", "-c", script, input=input, check=check, timeout=timeout)

    def read(self, path: str) -> str:
        """The file's text ('' when it is missing)."""
        return self.sh(f"cat {path} 2>/dev/null", check=False).stdout


def _network(net: str) -> str:
    """Create `net` on a /24 in 172.30.200.0-172.30.239.255 nobody else uses; -> its gateway."""
    r = None
    for _ in range(20):
        third = random.randint(200, 239)
        r = run("docker", "network", "create", "--subnet", f"172.30.{third}.0/24",
                "--gateway", f"172.30.{third}.1", net, check=False)
        if r.returncode == 0:
            return f"172.30.{third}.1"
    message = f"no free /24 in 172.30.200.0-172.30.239.255 for a docker network: {r.stderr.strip()}"
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def edge_lab(prefix: str, ready: str, ready_required: bool = True,
             edge_cls: type[Edge] = Edge) -> Iterator[tuple[EmulatorServer, Edge, str]]:
    """-> (emulator server, Edge, gateway): a network `<prefix>-<tag>`, its edge `<prefix>-edge-<tag>`.

    `ready` is a shell command that succeeds in the edge once it is up (waited for up
    to 60 s; then the test fails, unless `ready_required` is false). The server, the
    container, its docker volume and the network are always removed.
    """
    tag = uuid.uuid4().hex[:8]
    net, name = f"{prefix}-{tag}", f"{prefix}-edge-{tag}"
    created: list[tuple[str, ...]] = []
    srv = None
    try:
        gateway = _network(net)
        created.append(("docker", "network", "rm", net))
        srv = EmulatorServer(port=0, extra_hosts=[gateway]).start()
        created.append(("docker", "volume", "rm", "-f", f"{name}-docker"))
        created.append(("docker", "rm", "-f", name))
        run(str(ROOT / "sandbox/images/run-edge.sh"), name, net)
        edge = edge_cls(name)
        for _ in range(60):
            if edge.sh(ready, check=False).returncode == 0:
                break
            time.sleep(1)
        else:
            if ready_required:
                pytest.fail(f"the edge host is not up after 60 s ({ready!r} fails)")
        yield srv, edge, gateway
    finally:
        if srv is not None:
            srv.stop()
        for cmd in reversed(created):
            subprocess.run(cmd, capture_output=True, timeout=120)
