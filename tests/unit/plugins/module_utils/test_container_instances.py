# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import container_instances as ci
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError


def fleet(aws, n, cluster="edge", prefix="edge"):
    """n hosts registered in SSM and as ACTIVE container instances; returns [(mi, arn)]."""
    if cluster not in aws.raw_ecs.clusters:
        aws.raw_ecs.add_cluster(cluster)
    hosts = []
    for i in range(n):
        mi = aws.raw_ssm.add_managed(f"{prefix}-{i:03d}")
        hosts.append((mi, aws.raw_ecs.add_instance(cluster, mi)))
    return hosts


def select(aws, **selectors):
    return ci.select_instances(aws.ecs, aws.ssm, "edge", **selectors)


# ------------------------------------------------------------------ selection


def test_missing_cluster_fails_before_anything(aws):
    with pytest.raises(EcsAnywhereError) as e:
        ci.select_instances(aws.ecs, aws.ssm, "nope", hostnames=["a"], region="us-east-1")
    assert "'nope' does not exist in region us-east-1" in e.value.msg
    assert "Nothing was changed" in e.value.msg


def test_select_by_each_selector_and_unmatched(aws):
    hosts = fleet(aws, 3)
    selection = select(aws, container_instance_arns=[hosts[0][1], "deadbeef"],
                       managed_instance_ids=[hosts[1][0], "mi-0000000000000dead"],
                       hostnames=["edge-002", "ghost"])
    arns = sorted(t["instance"]["containerInstanceArn"] for t in selection.targets)
    assert arns == sorted(h[1] for h in hosts)
    assert all(t["info"] for t in selection.targets)
    assert selection.unmatched == {"container_instance_arns": ["deadbeef"],
                                   "managed_instance_ids": ["mi-0000000000000dead"], "hostnames": ["ghost"]}


def test_select_by_instance_id_suffix(aws):
    hosts = fleet(aws, 1)
    selection = select(aws, container_instance_arns=[hosts[0][1].rsplit("/", 1)[-1]])
    assert [t["instance"]["containerInstanceArn"] for t in selection.targets] == [hosts[0][1]]


def test_hostname_matches_case_and_short_name(aws):
    aws.raw_ecs.add_cluster("edge")
    mi = aws.raw_ssm.add_managed("Edge-7.Example.COM")
    aws.raw_ecs.add_instance("edge", mi)
    assert len(select(aws, hostnames=["edge-7"]).targets) == 1
    assert len(select(aws, hostnames=["edge-7.example.com"]).targets) == 1
    assert select(aws, hostnames=["edge"]).targets == []


def test_arn_of_another_cluster_fails(aws):
    fleet(aws, 1)
    other = fleet(aws, 1, cluster="other", prefix="o")
    with pytest.raises(EcsAnywhereError) as e:
        select(aws, container_instance_arns=[other[0][1]])
    assert "cluster other" in e.value.msg and "Set cluster" in e.value.msg


def test_managed_instance_of_another_cluster_fails(aws):
    fleet(aws, 1)
    other = fleet(aws, 1, cluster="other", prefix="o")
    with pytest.raises(EcsAnywhereError) as e:
        select(aws, managed_instance_ids=[other[0][0]])
    assert other[0][0] in e.value.msg and "cluster other" in e.value.msg


def test_ssm_only_instance_is_selected(aws):
    fleet(aws, 1)
    mi = aws.raw_ssm.add_managed("half-registered")
    selection = select(aws, managed_instance_ids=[mi])
    assert [(t["instance"], t["info"]["InstanceId"]) for t in selection.targets] == [(None, mi)]


def test_selection_of_250_instances_by_mi_batches(aws):
    hosts = fleet(aws, 250)
    aws.raw_ssm.page_size = 50
    selection = select(aws, managed_instance_ids=[mi for mi, dummy in hosts])
    assert len(selection.targets) == 250
    assert aws.raw_ecs.count("ListContainerInstances") == 3  # pages of 100
    assert aws.raw_ecs.count("DescribeContainerInstances") == 3  # 100 a call
    assert aws.raw_ssm.count("DescribeInstanceInformation") == 5  # 50 ids a call


def test_hostname_selection_lists_ssm_pages(aws):
    fleet(aws, 120)
    aws.raw_ssm.page_size = 50
    selection = select(aws, hostnames=["edge-119", "edge-000"])
    assert len(selection.targets) == 2
    assert aws.raw_ssm.count("DescribeInstanceInformation") == 3


# -------------------------------------------------------------------- absent


def test_absent_idle_instances(aws):
    hosts = fleet(aws, 2)
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, hostnames=["edge-000", "edge-001"]))
    assert changed
    assert {r["status_before"] for r in results} == {"ACTIVE"}
    assert {r["status_after"] for r in results} == {"INACTIVE"}
    assert all(r["deregistered"] == {"container_instance": True, "managed_instance": True} for r in results)
    assert all(aws.raw_ecs.instances[arn]["status"] == "INACTIVE" for dummy, arn in hosts)
    assert aws.raw_ssm.managed == {}
    # idempotent: SSM forgot the host names, ECS lists no instance
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, hostnames=["edge-000", "edge-001"]))
    assert (changed, results) == (False, [])


def test_absent_again_by_arn_reports_inactive_unchanged(aws):
    hosts = fleet(aws, 1)
    ci.ensure_absent(aws.ecs, aws.ssm, select(aws, container_instance_arns=[hosts[0][1]]))
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, container_instance_arns=[hosts[0][1]]))
    assert not changed
    assert results[0]["status_before"] == results[0]["status_after"] == "INACTIVE"
    assert results[0]["deregistered"] == {"container_instance": False, "managed_instance": False}


def test_absent_drains_stops_tasks_then_deregisters(aws):
    hosts = fleet(aws, 2)
    (mi, arn), (dummy, other) = hosts
    standalone = aws.raw_ecs.add_task("edge", arn)
    service_task = aws.raw_ecs.add_task("edge", arn, started_by="ecs-svc/123")
    bystander = aws.raw_ecs.add_task("edge", other)
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]))
    assert changed
    assert results[0]["tasks_stopped"] == sorted([standalone, service_task])
    assert aws.raw_ecs.tasks[standalone]["lastStatus"] == "STOPPED"
    assert aws.raw_ecs.tasks[service_task]["lastStatus"] == "STOPPED"
    assert aws.raw_ecs.tasks[bystander]["lastStatus"] == "RUNNING"
    ops = [op for op, dummy in aws.raw_ecs.calls]
    # drained first, then the standalone task stopped (only it: the scheduler moves service tasks), then deregistered
    assert ops.index("UpdateContainerInstancesState") < ops.index("StopTask") < ops.index("DeregisterContainerInstance")
    assert [kw["task"] for op, kw in aws.raw_ecs.calls if op == "StopTask"] == [standalone]
    dereg = [kw for op, kw in aws.raw_ecs.calls if op == "DeregisterContainerInstance"]
    assert dereg == [{"cluster": "edge", "containerInstance": arn, "force": False}]
    assert aws.raw_ecs.instances[other]["status"] == "ACTIVE"
    assert mi not in aws.raw_ssm.managed and hosts[1][0] in aws.raw_ssm.managed


def test_absent_refuses_busy_instance_without_drain_or_force(aws):
    (mi, arn), = fleet(aws, 1)
    aws.raw_ecs.add_task("edge", arn)
    with pytest.raises(EcsAnywhereError) as e:
        ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]), drain=False, force=False)
    assert "Refusing to deregister" in e.value.msg and "force: true" in e.value.msg and "drain: true" in e.value.msg
    assert aws.raw_ecs.instances[arn]["status"] == "ACTIVE"
    assert mi in aws.raw_ssm.managed
    mutating = {"UpdateContainerInstancesState", "StopTask", "DeregisterContainerInstance"}
    assert not [op for op, dummy in aws.raw_ecs.calls if op in mutating]


def test_absent_force_without_drain(aws):
    (mi, arn), = fleet(aws, 1)
    task = aws.raw_ecs.add_task("edge", arn)
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]), drain=False, force=True)
    assert changed and results[0]["tasks_stopped"] == []
    assert aws.raw_ecs.tasks[task]["lastStatus"] == "RUNNING"
    assert aws.raw_ecs.instances[arn]["status"] == "INACTIVE"


def test_absent_drain_timeout_fails_and_deregisters_nothing(aws):
    (mi, arn), = fleet(aws, 1)
    aws.raw_ecs.add_task("edge", arn, started_by="ecs-svc/1", stuck=True)
    with pytest.raises(EcsAnywhereError) as e:
        ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]), wait_timeout=30)
    assert "Timed out after 30 s" in e.value.msg and "none was deregistered" in e.value.msg
    assert e.value.details["container_instances_draining"] == [arn]
    assert aws.raw_ecs.instances[arn]["status"] == "DRAINING"
    assert mi in aws.raw_ssm.managed
    assert aws.time.now - 1000.0 == pytest.approx(30)


def test_absent_drain_timeout_with_force_deregisters(aws):
    (mi, arn), = fleet(aws, 1)
    aws.raw_ecs.add_task("edge", arn, started_by="ecs-svc/1", stuck=True)
    warnings = []
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]), force=True,
                                              wait_timeout=5, warn=warnings.append)
    assert changed and warnings and "force is true" in warnings[0]
    assert [kw["force"] for op, kw in aws.raw_ecs.calls if op == "DeregisterContainerInstance"] == [True]


def test_absent_keep_managed_instance(aws):
    (mi, arn), = fleet(aws, 1)
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]),
                                              deregister_managed_instance=False)
    assert results[0]["deregistered"] == {"container_instance": True, "managed_instance": False}
    assert results[0]["managed_instance_registered_after"] is True
    assert mi in aws.raw_ssm.managed
    # second run: the SSM-only instance is left alone too
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]),
                                              deregister_managed_instance=False)
    assert not changed


def test_absent_finishes_ssm_only_instance(aws):
    fleet(aws, 1)
    mi = aws.raw_ssm.add_managed("half")
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, hostnames=["half"]))
    assert changed and results[0]["deregistered"] == {"container_instance": False, "managed_instance": True}
    assert mi not in aws.raw_ssm.managed


def test_absent_check_mode_predicts_and_changes_nothing(aws):
    (mi, arn), = fleet(aws, 1)
    task = aws.raw_ecs.add_task("edge", arn)
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi]), check_mode=True)
    assert changed
    assert results[0]["status_after"] == "INACTIVE" and results[0]["tasks_stopped"] == [task]
    assert results[0]["deregistered"] == {"container_instance": True, "managed_instance": True}
    read_only = {"DescribeClusters", "ListContainerInstances", "DescribeContainerInstances", "ListTasks", "DescribeTasks"}
    assert {op for op, dummy in aws.raw_ecs.calls} <= read_only
    assert {op for op, dummy in aws.raw_ssm.calls} == {"DescribeInstanceInformation"}
    assert aws.raw_ecs.instances[arn]["status"] == "ACTIVE"
    assert diff == ci.diff_of(results)
    assert diff["before"]["container_instances"][arn] == {"status": "ACTIVE", "managed_instance_registered": True}
    assert diff["after"]["container_instances"][arn] == {"status": "INACTIVE", "managed_instance_registered": False}


def test_absent_500_instances_is_linear(aws):
    hosts = fleet(aws, 500)
    for dummy, arn in hosts[:30]:
        aws.raw_ecs.add_task("edge", arn, started_by="ecs-svc/1")
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi for mi, dummy in hosts]))
    assert changed and len(results) == 500
    ecs = aws.raw_ecs
    assert ecs.count("DeregisterContainerInstance") == 500
    assert aws.raw_ssm.count("DeregisterManagedInstance") == 500
    assert ecs.count("UpdateContainerInstancesState") == 50
    assert ecs.count("ListContainerInstances") == 5
    # selection (5) + drain wait over the 30 busy ones (1) + INACTIVE wait (5)
    assert ecs.count("DescribeContainerInstances") == 11
    assert ecs.count("ListTasks") == 1 and ecs.count("DescribeTasks") == 1
    assert all(i["status"] == "INACTIVE" for i in ecs.instances.values())


# ---------------------------------------------------------- draining/active


def test_draining_then_active(aws):
    (mi, arn), = fleet(aws, 1)
    aws.raw_ecs.add_task("edge", arn, started_by="ecs-svc/1")
    changed, results, diff = ci.ensure_status(aws.ecs, select(aws, managed_instance_ids=[mi]), "DRAINING", check_mode=True)
    assert changed and results[0]["status_after"] == "DRAINING"
    assert aws.raw_ecs.instances[arn]["status"] == "ACTIVE"
    changed, results, diff = ci.ensure_status(aws.ecs, select(aws, managed_instance_ids=[mi]), "DRAINING")
    assert changed and aws.raw_ecs.instances[arn]["status"] == "DRAINING"
    assert aws.raw_ecs.instances[arn]["runningTasksCount"] == 0
    changed, results, diff = ci.ensure_status(aws.ecs, select(aws, managed_instance_ids=[mi]), "DRAINING")
    assert not changed and results[0]["status_before"] == "DRAINING"
    changed, results, diff = ci.ensure_status(aws.ecs, select(aws, managed_instance_ids=[mi]), "ACTIVE")
    assert changed and aws.raw_ecs.instances[arn]["status"] == "ACTIVE"


def test_draining_wait_timeout_names_standalone_tasks(aws):
    (mi, arn), = fleet(aws, 1)
    aws.raw_ecs.add_task("edge", arn)
    with pytest.raises(EcsAnywhereError) as e:
        ci.ensure_status(aws.ecs, select(aws, managed_instance_ids=[mi]), "DRAINING", wait_timeout=10)
    assert "standalone tasks" in e.value.msg and arn in e.value.msg
    assert aws.raw_ecs.instances[arn]["status"] == "DRAINING"


def test_state_batches_of_ten(aws):
    hosts = fleet(aws, 25)
    selection = select(aws, container_instance_arns=[a for dummy, a in hosts])
    changed, dummy, diff = ci.ensure_status(aws.ecs, selection, "DRAINING", wait=False)
    assert changed
    sizes = [len(kw["containerInstances"]) for op, kw in aws.raw_ecs.calls if op == "UpdateContainerInstancesState"]
    assert sizes == [10, 10, 5]


def test_throttled_absent_still_converges(aws):
    hosts = fleet(aws, 3)
    for op in ("DescribeContainerInstances", "UpdateContainerInstancesState", "DeregisterContainerInstance", "ListContainerInstances"):
        aws.raw_ecs.throttle[op] = 2
    aws.raw_ssm.throttle["DeregisterManagedInstance"] = 2
    aws.raw_ssm.throttle["DescribeInstanceInformation"] = 2
    changed, results, diff = ci.ensure_absent(aws.ecs, aws.ssm, select(aws, managed_instance_ids=[mi for mi, dummy in hosts]))
    assert changed and all(r["deregistered"]["container_instance"] for r in results)
    assert aws.raw_ssm.managed == {}


# ------------------------------------------------------------------ listing


def test_gather_joins_ssm_and_filters(aws):
    hosts = fleet(aws, 3)
    aws.raw_ecs.instances[hosts[2][1]]["status"] = "DRAINING"
    entries = ci.gather(aws.ecs, aws.ssm, "edge")
    assert [e["hostname"] for e in entries] == ["edge-000", "edge-001", "edge-002"]
    first = entries[0]
    assert first["managed_instance_id"] == hosts[0][0] and first["ping_status"] == "Online"
    assert first["attributes"]["ecs.os-type"] == "linux" and first["agent_version"] == "1.89.2"
    drained = ci.gather(aws.ecs, aws.ssm, "edge", statuses=["DRAINING"])
    assert [e["container_instance_arn"] for e in drained] == [hosts[2][1]]
    assert ci.filter_listing(entries, hostnames=["EDGE-001"])[0]["managed_instance_id"] == hosts[1][0]
    assert len(ci.filter_listing(entries, managed_instance_ids=[hosts[0][0]], container_instance_arns=[hosts[2][1]])) == 2
    assert ci.filter_listing(entries, hostnames=[]) == []
    assert ci.filter_listing(entries) == entries
