# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The six modules end to end over the fake AWS: argument handling, check
mode, --diff, return keys and failure messages."""

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_container_instance
from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_container_instance_info
from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_external_service
from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_external_taskdefinition
from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ssm_activation
from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ssm_activation_info
from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ssm_managed_instance_info


def edge(aws, n=1):
    aws.raw_ecs.add_cluster("edge")
    hosts = []
    for i in range(n):
        mi = aws.raw_ssm.add_managed(f"edge-{i}")
        hosts.append((mi, aws.raw_ecs.add_instance("edge", mi)))
    return hosts


# ------------------------------------------------------------ ecs_container_instance


def test_container_instance_four_steps_with_running_task(run, aws):
    (mi, arn), = edge(aws)
    task = aws.raw_ecs.add_task("edge", arn)
    args = {"cluster": "edge", "hostnames": ["edge-0"], "state": "absent"}
    r = run(ecs_container_instance, args, check_mode=True, diff=True)
    assert r["changed"] and r["matched"] == 1
    assert r["container_instances"][0]["tasks_stopped"] == [task]
    assert r["diff"]["after"]["container_instances"][arn]["status"] == "INACTIVE"
    assert aws.raw_ecs.instances[arn]["status"] == "ACTIVE"
    r = run(ecs_container_instance, args)
    entry = r["container_instances"][0]
    assert r["changed"] and entry["status_before"] == "ACTIVE" and entry["status_after"] == "INACTIVE"
    assert entry["deregistered"] == {"container_instance": True, "managed_instance": True}
    assert entry["hostname"] == "edge-0" and entry["managed_instance_id"] == mi
    for check_mode in (True, False):
        r = run(ecs_container_instance, args, check_mode=check_mode)
        assert not r["changed"] and r["matched"] == 0 and r["unmatched"]["hostnames"] == ["edge-0"]
        assert "matched no container instance" in r["msg"]


def test_container_instance_refuses_clearly(run, aws):
    (mi, arn), = edge(aws)
    aws.raw_ecs.add_task("edge", arn)
    r = run(ecs_container_instance, {"cluster": "edge", "managed_instance_ids": [mi], "state": "absent",
                                     "drain": False, "force": False}, fail=True)
    assert "Refusing to deregister" in r["msg"] and "Nothing was changed" in r["msg"]
    assert aws.raw_ecs.instances[arn]["status"] == "ACTIVE"


def test_container_instance_needs_a_selector(run, aws):
    edge(aws)
    r = run(ecs_container_instance, {"cluster": "edge", "state": "absent"}, fail=True)
    assert "one of the following is required" in r["msg"]


def test_container_instance_empty_selector_matches_nothing(run, aws):
    (mi, arn), = edge(aws)
    r = run(ecs_container_instance, {"cluster": "edge", "hostnames": [], "managed_instance_ids": [],
                                     "state": "absent"})
    assert not r["changed"] and r["matched"] == 0
    assert aws.raw_ecs.instances[arn]["status"] == "ACTIVE"


def test_container_instance_missing_cluster(run, aws):
    r = run(ecs_container_instance, {"cluster": "nope", "hostnames": ["x"], "state": "draining"}, fail=True)
    assert "'nope' does not exist in region us-east-1" in r["msg"]


def test_container_instance_throttled_api_error_is_reported(run, aws):
    edge(aws)
    aws.raw_ecs.throttle["DescribeClusters"] = 100
    r = run(ecs_container_instance, {"cluster": "edge", "hostnames": ["x"], "state": "active"}, fail=True)
    assert "ECS/SSM call failed" in r["msg"]
    assert aws.raw_ecs.count("DescribeClusters") == 10


def test_container_instance_info(run, aws):
    hosts = edge(aws, 2)
    r = run(ecs_container_instance_info, {"cluster": "edge", "hostnames": ["edge-1"]}, check_mode=True)
    assert not r["changed"] and [e["managed_instance_id"] for e in r["container_instances"]] == [hosts[1][0]]
    assert r["cluster_arn"].endswith(":cluster/edge")
    r = run(ecs_container_instance_info, {"cluster": "edge", "status": ["DRAINING"]})
    assert r["container_instances"] == []


# ------------------------------------------------------------------ ssm_activation


def test_ssm_activation_four_steps(run, aws):
    args = {"name": "edge", "iam_role": "ecsAnywhereRole", "registration_limit": 3, "expiration": "2h"}
    r = run(ssm_activation, args, check_mode=True, diff=True, no_log=True)
    assert r["changed"] and r["created"] and r["activation"]["activation_id"] is None
    assert "activation_code" not in r["activation"] and aws.raw_ssm.activations == {}
    r = run(ssm_activation, args, no_log=True)
    activation_id = r["activation"]["activation_id"]
    assert r["changed"] and r["activation"]["activation_code"] == aws.raw_ssm.codes[activation_id]
    assert r["activation"]["registration_limit"] == 3 and r["activation"]["expired"] is False
    for check_mode in (True, False):
        r = run(ssm_activation, args, check_mode=check_mode)  # no no_log needed: nothing is created
        assert not r["changed"] and r["activation"]["activation_id"] == activation_id
        assert "activation_code" not in r["activation"]


def test_ssm_activation_requires_no_log_to_create(run, aws):
    r = run(ssm_activation, {"name": "edge", "iam_role": "r"}, fail=True)
    assert "no_log: true" in r["msg"]
    assert aws.raw_ssm.activations == {}


@pytest.mark.parametrize("args,message", [
    ({"registration_limit": 0}, "between 1 and 1000"),
    ({"registration_limit": 1001}, "between 1 and 1000"),
    ({"expiration": "31d"}, "at most 30 days"),
    ({"expiration": "soon"}, "not a duration"),
])
def test_ssm_activation_validation(run, aws, args, message):
    r = run(ssm_activation, dict({"name": "edge", "iam_role": "r"}, **args), fail=True, no_log=True)
    assert message in r["msg"]
    assert aws.raw_ssm.calls == []


def test_ssm_activation_absent_and_info(run, aws):
    run(ssm_activation, {"name": "edge", "iam_role": "r"}, no_log=True)
    run(ssm_activation, {"name": "other", "iam_role": "r"}, no_log=True)
    r = run(ssm_activation_info, {"name": "edge"})
    assert [a["name"] for a in r["activations"]] == ["edge"]
    assert all("activation_code" not in a for a in r["activations"])
    assert len(run(ssm_activation_info, {})["activations"]) == 2
    r = run(ssm_activation, {"name": "edge", "state": "absent"}, check_mode=True, diff=True)
    assert r["changed"] and r["diff"]["after"] == {} and len(aws.raw_ssm.activations) == 2
    r = run(ssm_activation, {"name": "edge", "state": "absent"})
    assert r["changed"] and len(r["deleted_activation_ids"]) == 1
    assert not run(ssm_activation, {"name": "edge", "state": "absent"})["changed"]
    assert run(ssm_activation_info, {"name": "edge"})["activations"] == []
    assert run(ssm_activation_info, {"activation_ids": []})["activations"] == []


def test_ssm_activation_result_keys_are_the_same_for_both_states(run, aws):
    keys = {"changed", "activation", "created", "deleted_activation_ids", "replace_reasons"}
    assert set(run(ssm_activation, {"name": "edge", "iam_role": "r"}, no_log=True)) == keys
    assert set(run(ssm_activation, {"name": "edge", "iam_role": "r"})) == keys
    r = run(ssm_activation, {"name": "edge", "state": "absent"}, diff=True)
    assert set(r) == keys | {"diff"} and r["activation"] == {} and r["created"] is False
    assert r["replace_reasons"] == [] and len(r["deleted_activation_ids"]) == 1


def test_ssm_activation_delete_denied_fails_saying_which_call(run, aws):
    run(ssm_activation, {"name": "edge", "iam_role": "r"}, no_log=True)
    aws.raw_ssm.errors["DeleteActivation"] = "AccessDeniedException"
    r = run(ssm_activation, {"name": "edge", "state": "absent"}, fail=True)
    assert r["msg"].startswith("SSM activation call failed for activation edge: Failed to delete the SSM activation: ")
    assert "AccessDeniedException" in r["msg"]
    assert r["error"]["code"] == "AccessDeniedException" and len(aws.raw_ssm.activations) == 1


def test_container_instance_managed_instance_gone_meanwhile_is_not_an_error(run, aws):
    (mi, arn), = edge(aws)
    aws.raw_ssm.errors["DeregisterManagedInstance"] = "InvalidInstanceId"
    r = run(ecs_container_instance, {"cluster": "edge", "managed_instance_ids": [mi], "state": "absent"}, diff=True)
    assert r["changed"] and aws.raw_ecs.instances[arn]["status"] == "INACTIVE"
    assert r["container_instances"][0]["deregistered"] == {"container_instance": True, "managed_instance": False}
    assert r["diff"]["after"]["container_instances"][arn]["status"] == "INACTIVE"


def test_ssm_managed_instance_info_names_the_instances_ssm_forgot(run, aws):
    known = [aws.raw_ssm.add_managed("edge-%d" % i) for i in range(60)]
    gone = "mi-0000000000000dead"
    r = run(ssm_managed_instance_info, {"instance_ids": [known[0], gone] + known[1:]}, check_mode=True)
    assert not r["changed"]
    assert [i["managed_instance_id"] for i in r["managed_instances"]] == known
    assert r["missing_instance_ids"] == [gone]
    # 61 ids: two filtered calls of at most 50 ids
    assert aws.raw_ssm.count("DescribeInstanceInformation") == 2
    before = len(aws.raw_ssm.calls)
    assert run(ssm_managed_instance_info, {"instance_ids": []}) == {
        "changed": False, "managed_instances": [], "missing_instance_ids": []}
    assert len(aws.raw_ssm.calls) == before


# ------------------------------------------------------- task definitions, services

TASKDEF = {"family": "nginx", "memory": "256",
           "containers": [{"name": "nginx", "image": "nginx:1.27", "memory": 128,
                           "portMappings": [{"containerPort": 80, "hostPort": 8080}],
                           "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/edge"}}}]}


def test_taskdefinition_four_steps(run, aws):
    r = run(ecs_external_taskdefinition, TASKDEF, check_mode=True, diff=True)
    assert r["changed"] and r["task_definition"]["revision"] == 1 and r["task_definition"]["task_definition_arn"] is None
    assert aws.raw_ecs.task_definitions == {}
    r = run(ecs_external_taskdefinition, TASKDEF)
    td = r["task_definition"]
    assert r["changed"] and td["task_definition_arn"].endswith("nginx:1")
    assert td["requires_compatibilities"] == ["EXTERNAL"] and td["network_mode"] == "bridge"
    # user-keyed maps keep their keys
    assert td["container_definitions"][0]["log_configuration"]["options"] == {"awslogs-group": "/ecs/edge"}
    for check_mode in (True, False):
        r = run(ecs_external_taskdefinition, TASKDEF, check_mode=check_mode)
        assert not r["changed"] and r["task_definition"]["revision"] == 1


def test_taskdefinition_deregister_denied_fails_saying_which_call(run, aws):
    args = {"family": "web", "containers": [{"name": "web", "image": "nginx", "memory": 128}]}
    run(ecs_external_taskdefinition, args)
    aws.raw_ecs.errors["DeregisterTaskDefinition"] = "AccessDeniedException"
    r = run(ecs_external_taskdefinition, {"family": "web", "state": "absent"}, fail=True)
    assert r["msg"].startswith("ECS call failed for task definition family web: "
                               "Failed to deregister the task definition revision: ")
    assert r["error"]["code"] == "AccessDeniedException"


def test_taskdefinition_needs_name_and_image(run, aws):
    r = run(ecs_external_taskdefinition, {"family": "x", "containers": [{"name": "a"}]}, fail=True)
    assert "needs a name and an image" in r["msg"]


def test_service_four_steps_and_absent(run, aws):
    aws.raw_ecs.add_cluster("edge")
    run(ecs_external_taskdefinition, TASKDEF)
    args = {"name": "web", "cluster": "edge", "task_definition": "nginx", "desired_count": 2,
            "deployment_configuration": {"maximum_percent": 100, "minimum_healthy_percent": 50,
                                         "deployment_circuit_breaker": {"enable": True, "rollback": True}},
            "placement_constraints": [{"type": "distinctInstance"}], "wait_timeout": 30}
    r = run(ecs_external_service, args, check_mode=True, diff=True)
    assert r["changed"] and r["service"]["launch_type"] == "EXTERNAL" and aws.raw_ecs.services == {}
    assert r["diff"]["after"]["desired_count"] == 2
    r = run(ecs_external_service, args)
    assert r["changed"] and r["service"]["running_count"] == 2 and r["service"]["status"] == "ACTIVE"
    (dummy, created), = [c for c in aws.raw_ecs.calls if c[0] == "CreateService"]
    assert created["deploymentConfiguration"] == {
        "maximumPercent": 100, "minimumHealthyPercent": 50,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    assert created["placementConstraints"] == [{"type": "distinctInstance"}]
    for check_mode in (True, False):
        assert not run(ecs_external_service, args, check_mode=check_mode)["changed"]
    r = run(ecs_external_service, {"name": "web", "cluster": "edge", "state": "absent"})
    assert r["changed"] and r["service"]["status"] == "INACTIVE"
    assert not run(ecs_external_service, {"name": "web", "cluster": "edge", "state": "absent"})["changed"]


def test_service_wait_timeout_fails_with_events(run, aws):
    aws.raw_ecs.add_cluster("edge")
    aws.raw_ecs.polls_to_steady = 10 ** 6
    run(ecs_external_taskdefinition, TASKDEF)
    r = run(ecs_external_service, {"name": "web", "cluster": "edge", "task_definition": "nginx", "wait_timeout": 5},
            fail=True)
    assert "did not reach a steady state within 5 s" in r["msg"] and "unable to place a task" in r["msg"]
    assert r["events"] and r["service"]["service_name"] == "web"


def test_service_missing_task_definition(run, aws):
    aws.raw_ecs.add_cluster("edge")
    r = run(ecs_external_service, {"name": "web", "cluster": "edge", "task_definition": "ghost"}, fail=True)
    assert "Register it first" in r["msg"] and aws.raw_ecs.count("CreateService") == 0
    r = run(ecs_external_service, {"name": "web", "cluster": "edge", "task_definition": "ghost"}, check_mode=True)
    assert r["changed"]
