"""The end-to-end sandbox: emulator + four edge containers, shared by the e2e
tests (one session-scoped sandbox, torn down at the end). Four hosts, so that
two concurrent runs over disjoint halves (the way AWX job slicing splits an
inventory) and a --limit run on one host can be told from a full run."""

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from sandbox.harness import Sandbox, edge  # noqa: E402  pylint: disable=wrong-import-position

SANDBOX = Sandbox(os.environ.get("E2E_SANDBOX", "e2e"), os.environ.get("E2E_PORT", "4577"),
                  os.environ.get("E2E_SUBNET", "172.30.251.0/24"), os.environ.get("E2E_EDGES", "4"))
HOSTS = SANDBOX.hosts
CLUSTER = "sandbox"
__all__ = ["CLUSTER", "HOSTS", "edge"]


@pytest.fixture(scope="session")
def sandbox():
    SANDBOX.up()
    yield SANDBOX
    SANDBOX.down()


@pytest.fixture(scope="session")
def playbook(sandbox):
    return sandbox.playbook


@pytest.fixture(scope="session")
def playbooks_at_once(sandbox):
    return sandbox.playbooks_at_once


@pytest.fixture(scope="session")
def aws(sandbox):
    return sandbox.clients("ecs", "ssm", "iam", "logs")
