# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ssm
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError

NOW = datetime.datetime(2026, 11, 27, 1, 0, tzinfo=datetime.timezone.utc)


def present(aws, check_mode=False, **overrides):
    args = dict(name="edge", iam_role="ecsAnywhereRole", registration_limit=2, expiration_seconds=3600,
                check_mode=check_mode, now=NOW)
    args.update(overrides)
    return ssm.ensure_activation_present(aws.ssm, **args)


def test_create_returns_code_once(aws):
    changed, info, diff = present(aws)
    activation = info["activation"]
    assert changed and info["created"] and info["deleted_activation_ids"] == []
    activation_id = activation["activation_id"]
    assert activation["activation_code"] == aws.raw_ssm.codes[activation_id]
    assert activation["expiration_date"] == "2026-11-27T02:00:00+00:00"
    created = aws.raw_ssm.activations[activation_id]
    assert created["DefaultInstanceName"] == "edge" and {"Key": "Name", "Value": "edge"} in created["Tags"]
    assert created["RegistrationLimit"] == 2
    # second run: unchanged, same activation, and no code
    changed, info, diff = present(aws)
    activation = info["activation"]
    assert not changed and activation["activation_id"] == activation_id
    assert "activation_code" not in activation
    assert diff["before"] == diff["after"]


def test_check_mode_predicts_without_calling_create(aws):
    changed, info, diff = present(aws, check_mode=True)
    activation = info["activation"]
    assert changed and info["created"] and activation["activation_id"] is None
    assert "activation_code" not in activation
    assert activation["registration_limit"] == 2 and activation["registrations_count"] == 0
    assert aws.raw_ssm.activations == {}
    assert {op for op, dummy in aws.raw_ssm.calls} == {"DescribeActivations"}
    assert diff["before"] == {} and diff["after"]["name"] == "edge"


@pytest.mark.parametrize("setup,replace_when,reason", [
    (dict(expired=True), ["expired"], "it has expired"),
    (dict(limit=2, count=2), ["exhausted"], "all 2 registrations are used"),
    (dict(limit=2), ["always"], "replace_when contains always"),
    (dict(limit=5), [], "registration_limit differs (5 -> 2)"),
    (dict(limit=2, role="otherRole"), [], "iam_role differs (otherRole -> ecsAnywhereRole)"),
])
def test_replacement(aws, setup, replace_when, reason):
    old = aws.raw_ssm.add_activation("edge", NOW - datetime.timedelta(hours=1), **setup)
    changed, info, diff = present(aws, replace_when=replace_when)
    activation = info["activation"]
    assert changed and reason in info["replace_reasons"]
    assert info["deleted_activation_ids"] == [old]
    assert old not in aws.raw_ssm.activations
    assert activation["activation_code"] and activation["activation_id"] in aws.raw_ssm.activations


def test_expired_but_not_asked_to_replace(aws):
    old = aws.raw_ssm.add_activation("edge", NOW, expired=True, limit=2)
    changed, info, diff = present(aws, replace_when=["exhausted"])
    activation = info["activation"]
    assert not changed and activation["activation_id"] == old and activation["expired"] is True


def test_role_arn_and_name_compare_equal(aws):
    old = aws.raw_ssm.add_activation("edge", NOW, limit=2, role="ecsAnywhereRole")
    changed, outcome, dummy = present(aws, iam_role="arn:aws:iam::123456789012:role/ecsAnywhereRole")
    activation = outcome["activation"]
    assert not changed and activation["activation_id"] == old


def test_tags_difference_replaces_and_unset_tags_do_not(aws):
    aws.raw_ssm.add_activation("edge", NOW, limit=2, tags={"team": "a"})
    assert not present(aws)[0]
    changed, info, diff = present(aws, tags={"team": "b"})
    activation = info["activation"]
    assert changed and "tags differ" in info["replace_reasons"] and activation["tags"] == {"team": "b"}


def test_duplicates_are_deleted_newest_kept(aws):
    older = aws.raw_ssm.add_activation("edge", NOW - datetime.timedelta(hours=2), limit=2)
    newer = aws.raw_ssm.add_activation("edge", NOW - datetime.timedelta(hours=1), limit=2)
    changed, info, diff = present(aws)
    activation = info["activation"]
    assert changed and activation["activation_id"] == newer and info["deleted_activation_ids"] == [older]
    assert not info["created"] and "activation_code" not in activation


def test_other_names_are_ignored(aws):
    other = aws.raw_ssm.add_activation("edge-other", NOW, limit=2)
    present(aws)
    assert other in aws.raw_ssm.activations


def test_refuses_to_create_without_no_log(aws):
    with pytest.raises(EcsAnywhereError) as e:
        present(aws, may_return_code=False)
    assert "no_log: true" in e.value.msg and "Nothing was changed" in e.value.msg
    assert aws.raw_ssm.activations == {}
    # nothing to create: fine without no_log
    aws.raw_ssm.add_activation("edge", NOW, limit=2)
    assert present(aws, may_return_code=False)[0] is False


def test_absent(aws):
    first = aws.raw_ssm.add_activation("edge", NOW)
    second = aws.raw_ssm.add_activation("edge", NOW - datetime.timedelta(hours=1))
    changed, outcome, diff = ssm.ensure_activation_absent(aws.ssm, "edge", check_mode=True)
    ids = outcome["deleted_activation_ids"]
    assert outcome["activation"] == {} and not outcome["created"] and outcome["replace_reasons"] == []
    assert changed and sorted(ids) == sorted([first, second]) and len(aws.raw_ssm.activations) == 2
    assert diff["before"]["activation_id"] == first and diff["after"] == {}
    changed, outcome, dummy = ssm.ensure_activation_absent(aws.ssm, "edge")
    assert sorted(outcome["deleted_activation_ids"]) == sorted([first, second])
    assert changed and aws.raw_ssm.activations == {}
    assert ssm.ensure_activation_absent(aws.ssm, "edge")[0] is False


def test_describe_activations_pages(aws):
    aws.raw_ssm.page_size = 2
    for i in range(5):
        aws.raw_ssm.add_activation("edge", NOW - datetime.timedelta(minutes=i))
    aws.raw_ssm.add_activation("other", NOW)
    assert len(ssm.describe_activations(aws.ssm, name="edge")) == 5
    assert aws.raw_ssm.count("DescribeActivations") == 3
    assert len(ssm.describe_activations(aws.ssm)) == 6


def test_describe_instance_information_batches_of_50(aws):
    ids = [aws.raw_ssm.add_managed(f"h{i}") for i in range(120)]
    found = ssm.describe_instance_information(aws.ssm, ids + ids[:3])
    assert sorted(i["InstanceId"] for i in found) == sorted(ids)
    sizes = [len(kw["Filters"][0]["Values"]) for op, kw in aws.raw_ssm.calls]
    assert sizes == [50, 50, 20]


def test_activation_summary_never_has_code(aws):
    activation_id = present(aws)[1]["activation"]["activation_id"]
    summary = ssm.activation_summary(aws.raw_ssm.activations[activation_id], NOW)
    assert "activation_code" not in summary and summary["name"] == "edge" and summary["tags"] == {}
    assert summary["expired"] is False and summary["exhausted"] is False


def test_expiration_date_passed_is_datetime(aws):
    present(aws, expiration_seconds=7200)
    (dummy, kwargs), = [c for c in aws.raw_ssm.calls if c[0] == "CreateActivation"]
    assert kwargs["ExpirationDate"] == NOW + datetime.timedelta(hours=2)
