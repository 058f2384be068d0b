# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ecs_anywhere_iam_role_info over the fake IAM: several roles in one run, in
amazon.aws's form, the missing names, throttling, no deprecation warning."""

from __future__ import annotations

from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_anywhere_iam_role_info

CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def test_reads_each_role_once_in_order_with_tags_trust_and_policies(run, aws):
    aws.raw_iam.add_role("theirs", tags={"team": "payments"})
    aws.raw_iam.add_role("ours", tags={"ecs-anywhere-cluster": "edge"}, policies=[CORE])
    r = run(ecs_anywhere_iam_role_info, {"names": ["ours", "gone", "theirs", "ours"]})
    assert not r["changed"]
    assert [x["role_name"] for x in r["iam_roles"]] == ["ours", "theirs"]
    assert r["missing_names"] == ["gone"]
    ours = r["iam_roles"][0]
    assert ours["tags"] == {"ecs-anywhere-cluster": "edge"}
    assert ours["arn"] == "arn:aws:iam::123456789012:role/ours"
    assert ours["managed_policies"] == [{"policy_name": "AmazonSSMManagedInstanceCore", "policy_arn": CORE}]
    # the trust policy keeps IAM's own spelling, as amazon.aws returns it
    assert ours["assume_role_policy_document"]["Statement"][0]["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert "assume_role_policy_document_raw" not in ours
    assert r["iam_roles"][1]["tags"] == {"team": "payments"} and r["iam_roles"][1]["managed_policies"] == []
    assert "deprecations" not in r
    assert aws.raw_iam.count("GetRole") == 3


def test_no_names_makes_no_call(run, aws):
    r = run(ecs_anywhere_iam_role_info, {"names": []}, check_mode=True)
    assert r["iam_roles"] == [] and r["missing_names"] == [] and aws.raw_iam.calls == []


def test_throttled_reads_are_retried(run, aws):
    aws.raw_iam.add_role("ours")
    aws.raw_iam.throttle = {"GetRole": 2, "ListAttachedRolePolicies": 1}
    r = run(ecs_anywhere_iam_role_info, {"names": ["ours"]})
    assert [x["role_name"] for x in r["iam_roles"]] == ["ours"]
    assert aws.raw_iam.count("GetRole") == 3


def test_a_denied_read_fails_naming_the_roles(run, aws):
    aws.raw_iam.add_role("ours")
    aws.raw_iam.errors = {"GetRole": "AccessDenied"}
    r = run(ecs_anywhere_iam_role_info, {"names": ["ours"]}, fail=True)
    assert "Failed to read the IAM roles ours" in r["msg"] and "get role" in r["msg"]


EXEC = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
OWNER = {"key": "ecs-anywhere-cluster", "value": "edge"}


def test_requirements_tell_ours_absent_and_foreign_roles_and_what_the_foreign_lack(run, aws):
    aws.raw_iam.add_role("ours", tags={"ecs-anywhere-cluster": "edge"})   # ours lacks the policy: fixed by the role
    aws.raw_iam.add_role("other-cluster", tags={"ecs-anywhere-cluster": "other"}, policies=[CORE])
    aws.raw_iam.add_role("theirs-wrong-trust", service="ec2.amazonaws.com", policies=[EXEC])
    r = run(ecs_anywhere_iam_role_info, {"owner_tag": OWNER, "requirements": [
        {"name": "ours", "service": "ssm.amazonaws.com", "policies": [CORE]},
        {"name": "absent", "service": "ssm.amazonaws.com", "policies": [CORE]},
        {"name": "other-cluster", "service": "ssm.amazonaws.com", "policies": [CORE]},
        {"name": "theirs-wrong-trust", "service": "ecs-tasks.amazonaws.com", "policies": [EXEC, CORE]},
    ]})
    ours, absent, other, theirs = r["checks"]
    assert (ours["owned"], ours["foreign"], ours["missing_policies"], ours["missing"]) == (True, False, [CORE], [])
    assert (absent["exists"], absent["foreign"], absent["missing"]) == (False, False, [])
    assert r["missing_names"] == ["absent"]
    # another cluster's tag value is not ours
    assert (other["foreign"], other["trusted"], other["missing"]) == (True, True, [])
    assert theirs["foreign"] and not theirs["trusted"]
    assert theirs["missing"] == ["trust in ecs-tasks.amazonaws.com (an Allow statement for sts:AssumeRole)",
                                 "the managed policy %s" % CORE]
    assert theirs["arn"] == "arn:aws:iam::123456789012:role/theirs-wrong-trust"


def test_requirements_need_the_owner_tag(run, aws):
    r = run(ecs_anywhere_iam_role_info, {"requirements": [{"name": "x", "service": "ssm.amazonaws.com"}]}, fail=True)
    assert "owner_tag" in r["msg"] and aws.raw_iam.calls == []
