# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import fleet
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError


def _fleet(aws, hosts=3, cluster="edge"):
    aws.raw_ecs.add_cluster(cluster)
    mis = []
    for n in range(1, hosts + 1):
        mi = aws.raw_ssm.add_managed(f"edge-{n}")
        aws.raw_ecs.add_instance(cluster, mi)
        mis.append(mi)
    return mis


def test_join_lists_every_managed_instance_with_its_container_instance(aws):
    mis = _fleet(aws, 2)
    plain = aws.raw_ssm.add_managed("plain-1")           # SSM only
    aws.raw_ssm.managed["i-0abc"] = {"InstanceId": "i-0abc", "ComputerName": "ec2-host"}  # an EC2 node
    ssm_gone = "mi-%017x" % 999
    aws.raw_ecs.add_instance("edge", ssm_gone)           # ECS only: SSM deregistered
    aws.raw_ecs.add_instance("edge", "i-0def")           # an EC2 container instance
    records, warnings = fleet.collect(aws.ecs, aws.ssm, ["edge"], region="us-east-1")
    assert warnings == []
    by_mi = {r["managed_instance_id"]: r for r in records}
    assert sorted(by_mi) == sorted(mis + [plain, ssm_gone])
    edge1 = by_mi[mis[0]]
    assert edge1["computer_name"] == "edge-1" and edge1["cluster"] == "edge"
    assert edge1["ecs_status"] == "ACTIVE" and edge1["agent_connected"] is True
    assert edge1["ecs_agent_version"] == "1.89.2" and edge1["ssm_agent_version"] == "3.3.1142.0"
    assert edge1["attributes"]["ecs.os-type"] == "linux"
    assert edge1["container_instance_id"] == edge1["container_instance_arn"].rsplit("/", 1)[-1]
    assert edge1["registered_at"] == "2026-11-27T00:00:00+00:00"  # JSON-safe (cacheable)
    assert (edge1["ssm_registered"], edge1["ecs_registered"], edge1["region"]) == (True, True, "us-east-1")
    assert by_mi[plain]["cluster"] is None and by_mi[plain]["ecs_registered"] is False
    assert by_mi[plain]["container_instance_arn"] is None
    assert by_mi[ssm_gone]["ssm_registered"] is False and by_mi[ssm_gone]["computer_name"] is None
    assert by_mi[ssm_gone]["ecs_registered"] is True
    # sorted by computer name (records without one first)
    assert [r["computer_name"] for r in records] == [None, "edge-1", "edge-2", "plain-1"]


def test_pagination_beyond_one_page(aws):
    aws.raw_ecs.add_cluster("big")
    for n in range(120):
        mi = aws.raw_ssm.add_managed(f"edge-{n:03d}")
        aws.raw_ecs.add_instance("big", mi)
    for n in range(110):  # ECS only (SSM side gone): container instances > 200 in all
        aws.raw_ecs.add_instance("big", "mi-%017x" % (5000 + n))
    records, dummy = fleet.collect(aws.ecs, aws.ssm, ["big"])
    assert len(records) == 230
    assert sum(1 for r in records if r["ssm_registered"]) == 120
    assert aws.raw_ssm.count("DescribeInstanceInformation") == 3  # 50 + 50 + 20
    assert aws.raw_ecs.count("ListContainerInstances") == 3       # 100 + 100 + 30
    assert aws.raw_ecs.count("DescribeContainerInstances") == 3   # batches of 100 (the fake enforces it)


def test_ssm_filters_are_sent_and_matching_container_instances_kept(aws):
    mis = _fleet(aws, 2)
    other = mis[1]
    aws.raw_ssm.managed[mis[0]]["ActivationId"] = "act-1"
    original = aws.raw_ssm.describe_instance_information

    def describe(**kw):
        result = original(**kw)
        for f in kw.get("Filters", []):
            if f["Key"] == "ActivationIds":
                result["InstanceInformationList"] = [i for i in result["InstanceInformationList"]
                                                     if i.get("ActivationId") in f["Values"]]
        return result

    aws.raw_ssm.describe_instance_information = describe
    ssm_gone = "mi-%017x" % 777
    aws.raw_ecs.add_instance("edge", ssm_gone)
    records, dummy = fleet.collect(aws.ecs, aws.ssm, ["edge"], activation_ids=["act-1"], tags={"Team": "edge"})
    first = aws.raw_ssm.calls[0][1]
    assert first["Filters"] == [{"Key": "ActivationIds", "Values": ["act-1"]},
                                {"Key": "tag:Team", "Values": ["edge"]}]
    ids = {r["managed_instance_id"] for r in records}
    # the other fleet's host (exists in SSM, filtered out) is left out; the SSM-less one is kept
    assert ids == {mis[0], ssm_gone}
    assert other not in ids


def test_ssm_filters_shapes():
    assert fleet.ssm_filters() == []
    assert fleet.ssm_filters(tags={"Site": ["a", "b"], "Env": None}) == [
        {"Key": "tag-key", "Values": ["Env"]}, {"Key": "tag:Site", "Values": ["a", "b"]}]


def test_ssm_names_patterns(aws):
    mis = _fleet(aws, 2)
    aws.raw_ssm.managed[mis[0]]["Name"] = "ecs-anywhere-edge-run1"
    aws.raw_ssm.managed[mis[1]]["Name"] = "someone-else"
    records, dummy = fleet.collect(aws.ecs, aws.ssm, ["edge"], ssm_names=["ecs-anywhere-edge-*"])
    assert [r["managed_instance_id"] for r in records] == [mis[0]]


def test_missing_cluster_fails_with_what_to_fix(aws):
    _fleet(aws, 1)
    with pytest.raises(EcsAnywhereError) as e:
        fleet.collect(aws.ecs, aws.ssm, ["edge", "nope"], region="eu-west-1")
    assert "nope" in e.value.msg and "eu-west-1" in e.value.msg and "aws_cluster" in e.value.msg


def test_instance_live_in_two_clusters_warns(aws):
    mis = _fleet(aws, 1, "a")
    aws.raw_ecs.add_cluster("b")
    aws.raw_ecs.add_instance("b", mis[0])
    records, warnings = fleet.collect(aws.ecs, aws.ssm, ["a", "b"])
    assert len(records) == 1 and records[0]["cluster"] == "a"
    assert len(warnings) == 1 and "clusters a and b" in warnings[0]


# ------------------------------------------------------------------ health


def _records(aws):
    mis = _fleet(aws, 4)
    ecs = aws.raw_ecs
    arn_of = {i["ec2InstanceId"]: a for a, i in ecs.instances.items()}
    ecs.instances[arn_of[mis[1]]]["agentConnected"] = False                      # edge-2 disconnected
    aws.raw_ssm.managed[mis[2]]["PingStatus"] = "ConnectionLost"                  # edge-3 ping lost
    aws.raw_ssm.managed[mis[3]]["PingStatus"] = "Inactive"                        # edge-4 inactive
    ecs.instances[arn_of[mis[3]]]["versionInfo"]["agentVersion"] = "1.90.0"        # edge-4 newer ECS agent
    aws.raw_ssm.add_managed("plain-1")
    records, dummy = fleet.collect(aws.ecs, aws.ssm, ["edge"])
    return mis, records


def test_health_report_finds_every_kind(aws):
    mis, records = _records(aws)
    report = fleet.health_report(records, ["edge"], expected_hosts=["edge-1", "EDGE-2.example.com", mis[2], "edge-4", "gone-1"],
                                 ssm_agent_version="3.3.1142.0", ecs_init_version="1.89.2-1")
    edge = report["clusters"]["edge"]
    assert report["healthy"] is False
    assert [e["host"] for e in edge["agent_disconnected"]] == ["edge-2"]
    assert [(e["host"], e["ping_status"]) for e in edge["ping_lost"]] == [("edge-3", "ConnectionLost"), ("edge-4", "Inactive")]
    assert [(e["host"], e["component"], e["running"], e["pinned"], e["relation"]) for e in edge["version_drift"]] == [
        ("edge-4", "ecs-agent", "1.90.0", "1.89.2", "newer")]
    assert edge["orphans"] == []
    assert [o["host"] for o in report["unclustered"]["orphans"]] == ["plain-1"]
    assert report["unclustered"]["orphans"][0]["monthly_cost"] == 0.0   # SSM standard tier: free
    assert report["not_registered"] == [{"host": "gone-1", "reason": "registered in neither SSM nor ECS"}]
    assert report["counts"] == {"hosts": 5, "agent_disconnected": 1, "ping_lost": 2, "version_drift": 1,
                                "orphans": 1, "not_registered": 1}
    assert report["pinned"]["ecs_agent_version"] == "1.89.2"
    text = "\n".join(report["summary"])
    assert text.startswith("fleet UNHEALTHY: 5 hosts")
    assert "ECS agent disconnected: edge-2" in text and "inventory host not registered: gone-1" in text


def test_health_orphans_in_ecs_cost_money_and_unclustered_hosts_are_not_registered(aws):
    mis, records = _records(aws)
    report = fleet.health_report(records, ["edge"], expected_hosts=["edge-1", "plain-1"])
    orphans = report["clusters"]["edge"]["orphans"]
    assert sorted(o["host"] for o in orphans) == ["edge-2", "edge-3", "edge-4"]
    assert all(o["monthly_cost"] == 7.48 and o["registered_in"] == ["ecs", "ssm"] for o in orphans)
    assert report["orphan_monthly_cost"] == 22.44  # 3 x 0.01025 x 730
    assert report["not_registered"][0]["host"] == "plain-1"
    assert "in none of the clusters" in report["not_registered"][0]["reason"]


def test_health_without_expected_hosts_skips_orphans_and_a_healthy_fleet_is_healthy(aws):
    _fleet(aws, 2)
    records, dummy = fleet.collect(aws.ecs, aws.ssm, ["edge"])
    report = fleet.health_report(records, ["edge"], ssm_agent_version="3.3.1142.0", ecs_init_version="1.89.2-1")
    assert report["healthy"] is True and report["orphan_check"] is False
    assert report["summary"][0].startswith("fleet HEALTHY: 2 hosts")
    report = fleet.health_report(records, ["edge"], expected_hosts=["edge-1", "edge-2"])
    assert report["healthy"] is True


def test_versions():
    assert fleet.agent_version_of_ecs_init("1.89.2-1") == "1.89.2"
    assert fleet.compare_versions("3.3.987.0", "3.3.1957.0") == "older"  # numeric, not text order
    assert fleet.compare_versions("1.89.2", "1.89.2") == "equal"
    assert fleet.compare_versions("1.100.0", "1.89.2") == "newer"


def test_name_matches():
    record = {"managed_instance_id": "mi-0123456789abcdef0", "computer_name": "Edge-1.site.example"}
    assert fleet.name_matches(record, "edge-1")
    assert fleet.name_matches(record, "edge-1.site.example")
    assert fleet.name_matches(record, "mi-0123456789abcdef0")
    assert not fleet.name_matches(record, "edge-10")
    assert not fleet.name_matches({"managed_instance_id": "mi-1", "computer_name": None}, "edge-1")


def test_managed_instance_id_regex_anchors_with_Z():
    assert fleet.is_managed_instance_id("mi-0123456789abcdef0")
    assert not fleet.is_managed_instance_id("mi-0123456789abcdef0\n")
    assert not fleet.is_managed_instance_id("i-0123456789abcdef0")
