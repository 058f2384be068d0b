# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Make the checkout importable as ansible_collections.edgeops.ecs_anywhere
(through the .collections symlink) when pytest runs outside ansible-test, and
provide the fake AWS with retrying clients and a fake clock."""

from __future__ import annotations

import os
import sys

import pytest

_COLLECTIONS = os.path.join(os.path.dirname(__file__), "..", "..", ".collections")
try:
    import ansible_collections.edgeops.ecs_anywhere  # noqa: F401  pylint: disable=unused-import
except ImportError:
    sys.path.insert(0, os.path.abspath(_COLLECTIONS))

from ansible_collections.amazon.aws.plugins.module_utils import cloud  # noqa: E402
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
    """``aws.ecs``/``aws.ssm``: retrying clients over the fakes; ``aws.raw_*``: the fakes."""

    class Aws:
        raw_ecs = fakes.FakeEcs()
        raw_ssm = fakes.FakeSsm()
        ecs = RetryingBotoClientWrapper(raw_ecs, common.RETRY_DECORATOR)
        ssm = RetryingBotoClientWrapper(raw_ssm, common.RETRY_DECORATOR)
        time = fake_time

    return Aws()
