# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import common
from ansible_collections.edgeops.ecs_anywhere.tests.unit import fakes


def test_chunks_keeps_order_and_sizes():
    assert common.chunks(range(25), 10) == [list(range(10)), list(range(10, 20)), list(range(20, 25))]
    assert common.chunks([], 10) == []


def test_paginate_follows_tokens_and_passes_aws_retry():
    calls = []
    pages = {None: {"items": [1, 2], "nextToken": "a"}, "a": {"items": [3], "nextToken": "b"}, "b": {"items": [4]}}

    def call(aws_retry=False, **kwargs):
        calls.append((aws_retry, kwargs.get("nextToken"), kwargs.get("cluster")))
        return pages[kwargs.get("nextToken")]

    assert common.paginate(call, "items", cluster="c") == [1, 2, 3, 4]
    assert calls == [(True, None, "c"), (True, "a", "c"), (True, "b", "c")]


def test_paginate_single_page_without_token():
    assert common.paginate(lambda aws_retry, **kw: {"x": [1]}, "x") == [1]
    assert common.paginate(lambda aws_retry, **kw: {}, "x") == []


def test_wait_for_success_after_polls(fake_time):
    answers = iter([(False, 1), (False, 2), (True, 3)])
    assert common.wait_for(lambda: next(answers), timeout=60) == 3
    # doubling delays starting at WAIT_DELAY_MIN
    assert fake_time.sleeps == [1.0, 2.0]


def test_wait_for_immediate_success_does_not_sleep(fake_time):
    assert common.wait_for(lambda: (True, "x"), timeout=0) == "x"
    assert fake_time.sleeps == []


def test_wait_for_timeout_carries_last_value(fake_time):
    values = iter(range(100))
    with pytest.raises(common.WaitTimeout) as e:
        common.wait_for(lambda: (False, next(values)), timeout=30)
    assert e.value.timeout == 30
    # 1 + 2 + 4 + 8 + 10 + 5 (clipped to the remaining time) = 30
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 5.0]
    assert e.value.last == 6


def test_wait_for_timeout_zero_checks_once(fake_time):
    with pytest.raises(common.WaitTimeout) as e:
        common.wait_for(lambda: (False, "busy"), timeout=0)
    assert e.value.last == "busy"
    assert fake_time.sleeps == []


@pytest.mark.parametrize("text,seconds", [("90", 90), ("30m", 1800), ("1h", 3600), ("1d12h", 129600),
                                          ("2w", 1209600), (" 1h 30m ", 5400), ("45s", 45)])
def test_parse_duration(text, seconds):
    assert common.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "1h-", "one day", "1.5h"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        common.parse_duration(text)


def test_short_list():
    assert common.short_list(["a", "b"]) == "a, b"
    assert common.short_list(range(12), limit=3) == "0, 1, 2 (and 9 more)"


def test_retry_on_throttling_exception(fake_time):
    raw = fakes.FakeEcs()
    raw.add_cluster("edge")
    raw.throttle["DescribeClusters"] = 3
    client = RetryingBotoClientWrapper(raw, common.RETRY_DECORATOR)
    response = client.describe_clusters(aws_retry=True, clusters=["edge"])
    assert response["clusters"][0]["clusterName"] == "edge"
    assert raw.count("DescribeClusters") == 4
    assert len(fake_time.sleeps) == 3


def test_no_retry_without_aws_retry(fake_time):
    raw = fakes.FakeEcs()
    raw.throttle["ListClusters"] = 1
    client = RetryingBotoClientWrapper(raw, common.RETRY_DECORATOR)
    with pytest.raises(fakes.ClientError):
        client.list_clusters()
    assert fake_time.sleeps == []


def test_other_errors_are_not_retried(fake_time):
    raw = fakes.FakeSsm()
    client = RetryingBotoClientWrapper(raw, common.RETRY_DECORATOR)
    with pytest.raises(fakes.ClientError) as e:
        client.deregister_managed_instance(aws_retry=True, InstanceId="mi-00000000000000001")
    assert e.value.response["Error"]["Code"] == "InvalidInstanceId"
    assert raw.count("DeregisterManagedInstance") == 1
    assert fake_time.sleeps == []


def test_retry_gives_up_after_ten_attempts(fake_time):
    raw = fakes.FakeEcs()
    raw.throttle["ListClusters"] = 50
    client = RetryingBotoClientWrapper(raw, common.RETRY_DECORATOR)
    with pytest.raises(fakes.ClientError):
        client.list_clusters(aws_retry=True)
    assert raw.count("ListClusters") == 10


def test_aws_client_passes_retry_decorator():
    seen = {}

    class Module:
        def client(self, service, retry_decorator=None):
            seen[service] = retry_decorator
            return "client"

    assert common.aws_client(Module(), "ecs") == "client"
    assert seen["ecs"] is common.RETRY_DECORATOR


# ------------------------------------------------ amazon.aws error handling


GoneHandler = common.gone_error_handler("NotThere", "AlsoGone")


@GoneHandler.deletion_error_handler("delete the thing")
def _delete(error=None):
    if error:
        raise fakes.client_error(error, "it says no")
    return True


@pytest.mark.parametrize("code", ["NotThere", "AlsoGone"])
def test_gone_error_handler_means_already_gone(code):
    assert _delete(code) is False


def test_gone_error_handler_deleted():
    assert _delete() is True


def test_gone_error_handler_wraps_other_errors():
    with pytest.raises(AnsibleAWSError) as e:
        _delete("AccessDeniedException")
    assert e.value.message == "Failed to delete the thing"
    assert e.value.exception.response["Error"]["Code"] == "AccessDeniedException"


class FailingModule:
    def __init__(self):
        self.failed = None

    def fail_json(self, **kwargs):
        self.failed = ("fail_json", kwargs)
        raise SystemExit(1)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        self.failed = ("fail_json_aws", exception, msg)
        raise SystemExit(1)


DENIED = fakes.client_error("AccessDenied")


@pytest.mark.parametrize("raised,expected", [
    (common.EcsAnywhereError("fix it", error_code="X"), ("fail_json", {"msg": "fix it", "error_code": "X"})),
    (AnsibleAWSError(message="Failed to delete x", exception=DENIED),
     ("fail_json_aws", DENIED, "ECS call failed for y: Failed to delete x")),
    (AnsibleAWSError(message="Failed to delete x"), ("fail_json", {"msg": "ECS call failed for y: Failed to delete x"})),
    (DENIED, ("fail_json_aws", DENIED, "ECS call failed for y")),
])
def test_module_errors_fail_the_module(raised, expected):
    module = FailingModule()
    with pytest.raises(SystemExit):
        with common.module_errors(module, "ECS call failed for y"):
            raise raised
    assert module.failed == expected


def test_module_errors_lets_other_exceptions_through():
    with pytest.raises(KeyError):
        with common.module_errors(FailingModule(), "x"):
            raise KeyError("bug")
