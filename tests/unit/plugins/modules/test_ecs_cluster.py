# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""edgeops.ecs_anywhere.ecs_cluster end to end over the fake AWS."""

from __future__ import annotations

from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_cluster


def test_four_steps_then_change_and_absent(run, aws):
    args = {"name": "edge", "container_insights": "disabled", "tags": {"team": "edge"}}
    r = run(ecs_cluster, args, check_mode=True, diff=True)
    assert r["changed"] and r["cluster"]["cluster_arn"] is None and r["diff"]["before"] == {}
    assert aws.raw_ecs.clusters == {}
    r = run(ecs_cluster, args)
    assert r["changed"] and r["cluster"]["cluster_arn"].endswith(":cluster/edge") and "diff" not in r
    assert r["cluster"]["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert r["cluster"]["tags"] == {"team": "edge"} and r["cluster"]["registered_container_instances_count"] == 0
    for check_mode in (True, False):
        assert not run(ecs_cluster, args, check_mode=check_mode)["changed"]
    r = run(ecs_cluster, dict(args, container_insights="enabled"), diff=True)
    assert r["changed"] and r["cluster"]["container_insights"] == "enabled"
    assert r["diff"]["before"]["container_insights"] == "disabled"
    r = run(ecs_cluster, {"name": "edge", "state": "absent"})
    assert r["changed"] and r["cluster"]["status"] == "INACTIVE"
    r = run(ecs_cluster, {"name": "edge", "state": "absent"})
    assert not r["changed"] and r["cluster"] == {}


def test_absent_refused_with_instances(run, aws):
    aws.raw_ecs.create_cluster(clusterName="edge")
    aws.raw_ecs.add_instance("edge", "mi-0123456789abcdef0")
    r = run(ecs_cluster, {"name": "edge", "state": "absent"}, fail=True)
    assert "decommission" in r["msg"] and r["cluster"]["registered_container_instances_count"] == 1
    assert aws.raw_ecs.clusters["edge"]["status"] == "ACTIVE"


def test_bad_choice(run, aws):
    r = run(ecs_cluster, {"name": "edge", "container_insights": "on"}, fail=True)
    assert "container_insights" in r["msg"]
