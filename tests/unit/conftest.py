# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Make the checkout importable as ansible_collections.edgeops.ecs_anywhere
(through the .collections symlink) when pytest runs outside ansible-test, and
provide the whole unit test harness: the fake AWS with retrying clients, a fake
clock, and the runners of a module's main() (``run_module``, and ``run`` for
the AWS modules over the fakes)."""

from __future__ import annotations

import os
import sys

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

_COLLECTIONS = os.path.join(os.path.dirname(__file__), "..", "..", ".collections")
try:
    import ansible_collections.edgeops.ecs_anywhere  # noqa: F401  pylint: disable=unused-import
except ImportError:
    sys.path.insert(0, os.path.abspath(_COLLECTIONS))

from ansible_collections.amazon.aws.plugins.module_utils import cloud  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import common  # noqa: E402
from ansible_collections.edgeops.ecs_anywhere.tests.unit import fakes  # noqa: E402


class FakeTime:
    """Replaces the ``time`` module for retries and waiters: sleeping advances the clock."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self):
        return self.now

    def time(self):
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(cloud, "time", clock)
    monkeypatch.setattr(common, "time", clock)
    return clock


@pytest.fixture
def aws(fake_time):
    """``aws.ecs``/``aws.ssm``: retrying clients over the fakes; ``aws.raw_*``: the fakes (IAM too)."""

    class Aws:
        raw_ecs = fakes.FakeEcs()
        raw_ssm = fakes.FakeSsm()
        raw_iam = fakes.FakeIam()
        ecs = RetryingBotoClientWrapper(raw_ecs, common.RETRY_DECORATOR)
        ssm = RetryingBotoClientWrapper(raw_ssm, common.RETRY_DECORATOR)
        time = fake_time

    return Aws()


class ModuleExit(Exception):
    """Raised by exit_json; ``args[0]`` is the result."""


class ModuleFail(Exception):
    """Raised by fail_json; ``args[0]`` is the result."""


@pytest.fixture
def run_module(monkeypatch):
    """``run_module(module, args, check_mode=False, diff=False, no_log=False, fail=False)``:
    run ``module.main()`` with ``args`` and return what it passed to exit_json
    (``fail=True``: to fail_json; the other one fails the test)."""

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs)

    def fail_json(self, **kwargs):
        raise ModuleFail(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def _run(module, args, check_mode=False, diff=False, no_log=False, fail=False):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_no_log=no_log)
        with patch_module_args(args):
            with pytest.raises(ModuleFail if fail else ModuleExit) as e:
                module.main()
        return e.value.args[0]

    return _run


@pytest.fixture
def run(aws, run_module, monkeypatch):
    """``run_module`` for the AWS modules: their clients (with the module's retry
    decorator) talk to ``aws.raw_ecs`` / ``aws.raw_ssm`` / ``aws.raw_iam``, region us-east-1."""

    def client(self, service, retry_decorator=None, **kwargs):
        raw = {"ecs": aws.raw_ecs, "ssm": aws.raw_ssm, "iam": aws.raw_iam}[service]
        return RetryingBotoClientWrapper(raw, retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", client)

    def _run(module, args, **kwargs):
        return run_module(module, dict(args, region="us-east-1"), **kwargs)

    return _run
