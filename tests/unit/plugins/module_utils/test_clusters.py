# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import clusters
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError

WRITES = ("CreateCluster", "UpdateClusterSettings", "TagResource", "UntagResource", "DeleteCluster")


def writes(aws):
    return [op for op, dummy in aws.raw_ecs.calls if op in WRITES]


def stored(aws, name="edge"):
    """The cluster as the fake holds it (settings and tags included)."""
    return aws.raw_ecs.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])["clusters"][0]


def test_create_check_mode_predicts_and_creates_nothing(aws):
    changed, cluster, diff = clusters.ensure_cluster_present(
        aws.ecs, "edge", container_insights="enabled", tags={"team": "edge"}, check_mode=True)
    result = clusters.cluster_result(cluster)
    assert changed and result["cluster_arn"] is None and result["status"] == "ACTIVE"
    assert result["container_insights"] == "enabled" and result["tags"] == {"team": "edge"}
    assert diff["before"] == {}
    assert diff["after"] == {"cluster_name": "edge", "container_insights": "enabled", "tags": {"team": "edge"}}
    assert aws.raw_ecs.clusters == {} and writes(aws) == []


def test_create_sends_settings_and_tags_in_one_call(aws):
    changed, cluster, dummy = clusters.ensure_cluster_present(
        aws.ecs, "edge", container_insights="enhanced", tags={"team": "edge", "n": 1})
    assert changed and writes(aws) == ["CreateCluster"]
    request = [kw for op, kw in aws.raw_ecs.calls if op == "CreateCluster"][0]
    assert request["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert request["tags"] == [{"key": "n", "value": "1"}, {"key": "team", "value": "edge"}]
    result = clusters.cluster_result(cluster)
    assert result["cluster_arn"].endswith(":cluster/edge") and result["container_insights"] == "enhanced"
    assert stored(aws)["settings"] == [{"name": "containerInsights", "value": "enhanced"}]


def test_create_without_insights_sends_no_settings(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge")
    request = [kw for op, kw in aws.raw_ecs.calls if op == "CreateCluster"][0]
    assert "settings" not in request and "tags" not in request


@pytest.mark.parametrize("check_mode", [True, False])
def test_unchanged_cluster_makes_no_write(aws, check_mode):
    clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="disabled", tags={"team": "edge"})
    del aws.raw_ecs.calls[:]
    changed, cluster, diff = clusters.ensure_cluster_present(
        aws.ecs, "edge", container_insights="disabled", tags={"team": "edge"}, check_mode=check_mode)
    assert not changed and writes(aws) == [] and diff["before"] == diff["after"]
    assert clusters.cluster_result(cluster)["cluster_arn"].endswith(":cluster/edge")


def test_describe_asks_for_settings_and_tags(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge")
    describe = [kw for op, kw in aws.raw_ecs.calls if op == "DescribeClusters"][0]
    assert sorted(describe["include"]) == ["SETTINGS", "TAGS"]


def test_insights_change_check_mode_then_real(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="disabled")
    del aws.raw_ecs.calls[:]
    changed, cluster, diff = clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="enabled",
                                                             check_mode=True)
    assert changed and writes(aws) == [] and stored(aws)["settings"][0]["value"] == "disabled"
    assert diff["before"]["container_insights"] == "disabled" and diff["after"]["container_insights"] == "enabled"
    assert clusters.cluster_result(cluster)["container_insights"] == "enabled"
    changed, cluster, dummy = clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="enabled")
    assert changed and writes(aws) == ["UpdateClusterSettings"]
    assert stored(aws)["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert clusters.cluster_result(cluster)["container_insights"] == "enabled"


def test_insights_unset_leaves_setting(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="enhanced")
    changed, dummy, dummy2 = clusters.ensure_cluster_present(aws.ecs, "edge", tags={"a": "b"})
    assert changed and "UpdateClusterSettings" not in writes(aws)
    assert stored(aws)["settings"][0]["value"] == "enhanced"


def test_tags_only_differences_are_sent(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1", "change": "old", "extra": "x"})
    del aws.raw_ecs.calls[:]
    changed, cluster, diff = clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1", "change": "new"})
    assert changed and writes(aws) == ["TagResource"]
    tag_call = [kw for op, kw in aws.raw_ecs.calls if op == "TagResource"][0]
    assert tag_call["tags"] == [{"key": "change", "value": "new"}]
    # no purge: "extra" stays
    assert clusters.cluster_result(cluster)["tags"] == {"keep": "1", "change": "new", "extra": "x"}
    assert diff["before"]["tags"]["change"] == "old" and diff["after"]["tags"]["change"] == "new"


def test_purge_tags_untags_only_unlisted(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1", "extra": "x"})
    del aws.raw_ecs.calls[:]
    changed, dummy, dummy2 = clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1"}, purge_tags=True,
                                                             check_mode=True)
    assert changed and writes(aws) == []
    changed, cluster, dummy2 = clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1"}, purge_tags=True)
    assert changed and writes(aws) == ["UntagResource"]
    assert [kw for op, kw in aws.raw_ecs.calls if op == "UntagResource"][0]["tagKeys"] == ["extra"]
    assert clusters.cluster_result(stored(aws))["tags"] == {"keep": "1"}
    assert not clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1"}, purge_tags=True)[0]


def test_purge_tags_keeps_aws_reserved_tags(aws):
    # A cluster CloudFormation (or another AWS service) created carries aws:* tags that
    # nobody can remove: purging must leave them (amazon.aws compare_aws_tags), not fail.
    clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1", "extra": "x"})
    aws.raw_ecs.clusters["edge"]["tags"].append({"key": "aws:cloudformation:stack-name", "value": "edge"})
    del aws.raw_ecs.calls[:]
    changed, cluster, diff = clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1"}, purge_tags=True)
    assert changed and [kw for op, kw in aws.raw_ecs.calls if op == "UntagResource"][0]["tagKeys"] == ["extra"]
    assert clusters.cluster_result(stored(aws))["tags"] == {"keep": "1", "aws:cloudformation:stack-name": "edge"}
    assert diff["after"]["tags"] == {"keep": "1", "aws:cloudformation:stack-name": "edge"}
    assert not clusters.ensure_cluster_present(aws.ecs, "edge", tags={"keep": "1"}, purge_tags=True)[0]


def test_tag_values_are_sent_as_text(aws):
    changed, cluster, dummy = clusters.ensure_cluster_present(aws.ecs, "edge", tags={"site": 42, "on": True})
    assert stored(aws)["tags"] == [{"key": "on", "value": "True"}, {"key": "site", "value": "42"}]
    assert not clusters.ensure_cluster_present(aws.ecs, "edge", tags={"site": 42, "on": True})[0]


def test_tags_unset_with_purge_leaves_tags(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge", tags={"a": "1"})
    assert not clusters.ensure_cluster_present(aws.ecs, "edge", purge_tags=True)[0]
    assert clusters.cluster_result(stored(aws))["tags"] == {"a": "1"}


def test_inactive_cluster_is_created_again(aws):
    clusters.ensure_cluster_present(aws.ecs, "edge")
    clusters.ensure_cluster_absent(aws.ecs, "edge")
    changed, cluster, dummy = clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="enabled")
    assert changed and cluster["status"] == "ACTIVE" and writes(aws).count("CreateCluster") == 2


def test_throttled_calls_are_retried(aws):
    aws.raw_ecs.throttle = {"DescribeClusters": 2, "CreateCluster": 1, "UpdateClusterSettings": 1, "TagResource": 1}
    clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="disabled")
    changed, cluster, dummy = clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="enabled",
                                                              tags={"a": "1"})
    assert changed and clusters.cluster_result(cluster)["container_insights"] == "enabled"
    assert aws.raw_ecs.count("CreateCluster") == 2 and aws.raw_ecs.count("UpdateClusterSettings") == 2
    assert aws.time.sleeps


def test_bad_insights_value_is_refused(aws):
    with pytest.raises(EcsAnywhereError) as e:
        clusters.ensure_cluster_present(aws.ecs, "edge", container_insights="on")
    assert "enabled, disabled, enhanced" in e.value.msg and writes(aws) == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_deletes(aws, check_mode):
    clusters.ensure_cluster_present(aws.ecs, "edge", tags={"a": "1"})
    changed, cluster, diff = clusters.ensure_cluster_absent(aws.ecs, "edge", check_mode=check_mode)
    assert changed and cluster["status"] == "INACTIVE" and diff["after"] == {} and diff["before"]["tags"] == {"a": "1"}
    assert aws.raw_ecs.clusters["edge"]["status"] == ("ACTIVE" if check_mode else "INACTIVE")
    if not check_mode:
        assert clusters.ensure_cluster_absent(aws.ecs, "edge") == (False, None, {"before": {}, "after": {}})


def test_absent_missing_cluster_is_unchanged(aws):
    assert clusters.ensure_cluster_absent(aws.ecs, "nothing")[0] is False and writes(aws) == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_refuses_cluster_with_instances_and_services(aws, check_mode):
    aws.raw_ecs.create_cluster(clusterName="edge")
    aws.raw_ecs.add_instance("edge", "mi-0123456789abcdef0")
    aws.raw_ecs.create_service(cluster="edge", serviceName="nginx", taskDefinition="nginx:1", desiredCount=1)
    del aws.raw_ecs.calls[:]
    with pytest.raises(EcsAnywhereError) as e:
        clusters.ensure_cluster_absent(aws.ecs, "edge", check_mode=check_mode)
    assert "1 container instance(s) are still registered" in e.value.msg
    assert "1 service(s) are still active" in e.value.msg
    assert "decommission" in e.value.msg and "teardown" in e.value.msg
    assert e.value.details["cluster"]["registered_container_instances_count"] == 1
    assert writes(aws) == [] and aws.raw_ecs.clusters["edge"]["status"] == "ACTIVE"


def test_delete_refusal_from_ecs_becomes_actionable(aws):
    """An instance registered between describe and delete: ECS's refusal is translated."""
    aws.raw_ecs.create_cluster(clusterName="edge")
    original = aws.raw_ecs.describe_clusters

    def describe_then_register(**kw):
        answer = original(**kw)
        aws.raw_ecs.add_instance("edge", "mi-0123456789abcdef0")
        return answer

    aws.raw_ecs.describe_clusters = describe_then_register
    with pytest.raises(EcsAnywhereError) as e:
        clusters.ensure_cluster_absent(aws.ecs, "edge")
    assert "container instances are still registered" in e.value.msg
    assert e.value.details["error_code"] == "ClusterContainsContainerInstancesException"
