"""The fault catalogue's sandbox: emulator + two edge containers of its own
(name, port and subnet apart from the e2e sandbox, so both run at once)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from sandbox.harness import Sandbox  # noqa: E402  pylint: disable=wrong-import-position

SANDBOX = Sandbox(os.environ.get("FAULTS_SANDBOX", "faults"), os.environ.get("FAULTS_PORT", "4579"),
                  os.environ.get("FAULTS_SUBNET", "172.30.249.0/24"), 2)


@pytest.fixture(scope="session")
def sandbox():
    SANDBOX.up()
    yield SANDBOX
    SANDBOX.down()


@pytest.fixture(scope="session")
def aws(sandbox):
    return sandbox.clients("ecs", "ssm", "iam", "logs")
