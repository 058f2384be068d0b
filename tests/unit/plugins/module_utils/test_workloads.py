# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import workloads
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError

NGINX = {"name": "nginx", "image": "nginx:1.27", "memory": 128,
         "portMappings": [{"containerPort": 80, "hostPort": 8080}]}


def request(**overrides):
    args = dict(containers=[NGINX], network_mode="bridge", memory=256)
    args.update(overrides)
    return ecs.build_task_definition_request("nginx", **args)


def test_request_is_external():
    built = request(execution_role_arn="arn:role")
    assert built["requiresCompatibilities"] == ["EXTERNAL"] and built["memory"] == "256"
    assert built["executionRoleArn"] == "arn:role" and "taskRoleArn" not in built


def test_awsvpc_is_refused():
    with pytest.raises(EcsAnywhereError) as e:
        request(network_mode="awsvpc")
    assert "bridge, host, none" in e.value.msg


def test_task_definition_idempotent_despite_ecs_defaults(aws):
    changed, definition, diff = workloads.ensure_task_definition_present(aws.ecs, request(), check_mode=True)
    assert changed and definition["revision"] == 1 and aws.raw_ecs.task_definitions == {}
    assert diff["before"] == {} and diff["after"]["networkMode"] == "bridge"
    changed, definition, dummy = workloads.ensure_task_definition_present(aws.ecs, request())
    assert changed and definition["revision"] == 1
    for check_mode in (True, False):
        changed, definition, diff = workloads.ensure_task_definition_present(aws.ecs, request(), check_mode=check_mode)
        assert not changed and definition["revision"] == 1 and diff["before"] == diff["after"]
    assert aws.raw_ecs.count("RegisterTaskDefinition") == 1


def test_task_definition_change_makes_new_revision(aws):
    workloads.ensure_task_definition_present(aws.ecs, request())
    changed_image = dict(NGINX, image="nginx:1.28")
    changed, predicted, diff = workloads.ensure_task_definition_present(aws.ecs, request(containers=[changed_image]),
                                                                        check_mode=True)
    assert changed and predicted["revision"] == 2 and predicted["taskDefinitionArn"].endswith("nginx:2")
    assert diff["before"]["containerDefinitions"][0]["image"] == "nginx:1.27"
    assert diff["after"]["containerDefinitions"][0]["image"] == "nginx:1.28"
    changed, definition, dummy = workloads.ensure_task_definition_present(aws.ecs, request(containers=[changed_image]))
    assert changed and definition["revision"] == 2


@pytest.mark.parametrize("change", [
    {"network_mode": "host"}, {"memory": 512}, {"execution_role_arn": "arn:x"},
    {"containers": [dict(NGINX, environment=[{"name": "A", "value": "1"}])]},
    {"containers": [dict(NGINX, portMappings=[{"containerPort": 80, "hostPort": 8081}])]},
])
def test_each_change_is_detected(aws, change):
    workloads.ensure_task_definition_present(aws.ecs, request())
    assert workloads.ensure_task_definition_present(aws.ecs, request(**change))[0]


def test_environment_order_does_not_matter():
    a = request(containers=[dict(NGINX, environment=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])])
    b = request(containers=[dict(NGINX, environment=[{"name": "B", "value": "2"}, {"name": "A", "value": "1"}])])
    assert not ecs.task_definition_differs(a, b)


def test_task_definition_absent(aws):
    workloads.ensure_task_definition_present(aws.ecs, request())
    workloads.ensure_task_definition_present(aws.ecs, request(memory=512))
    aws.raw_ecs.register_task_definition(**ecs.build_task_definition_request("nginx-other", [NGINX]))
    changed, arns, dummy = workloads.ensure_task_definition_absent(aws.ecs, "nginx", check_mode=True)
    assert changed and [a.rsplit(":", 1)[-1] for a in arns] == ["1", "2"]
    changed, arns, dummy = workloads.ensure_task_definition_absent(aws.ecs, "nginx")
    assert changed and len(arns) == 2
    assert workloads.ensure_task_definition_absent(aws.ecs, "nginx")[0] is False
    assert aws.raw_ecs.describe_task_definition(taskDefinition="nginx-other")["taskDefinition"]["status"] == "ACTIVE"


def test_resolve_task_definition(aws):
    workloads.ensure_task_definition_present(aws.ecs, request())
    assert workloads.resolve_task_definition(aws.ecs, "nginx").endswith("task-definition/nginx:1")
    with pytest.raises(EcsAnywhereError) as e:
        workloads.resolve_task_definition(aws.ecs, "missing")
    assert "ecs_external_taskdefinition" in e.value.msg
    warnings = []
    assert workloads.resolve_task_definition(aws.ecs, "missing", check_mode=True, warn=warnings.append) == "missing"
    assert warnings


def test_resolve_refuses_non_external(aws):
    aws.raw_ecs.register_task_definition(family="ec2only", containerDefinitions=[NGINX])
    aws.raw_ecs.task_definitions["arn:aws:ecs:us-east-1:123456789012:task-definition/ec2only:1"]["compatibilities"] = ["EC2"]
    with pytest.raises(EcsAnywhereError) as e:
        workloads.resolve_task_definition(aws.ecs, "ec2only")
    assert "EXTERNAL" in e.value.msg


# ------------------------------------------------------------------ services


@pytest.fixture
def cluster(aws):
    aws.raw_ecs.add_cluster("edge")
    workloads.ensure_task_definition_present(aws.ecs, request())
    return "edge"


TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/nginx:1"


def test_service_create_four_steps(aws, cluster):
    changed, predicted, diff = workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2, check_mode=True)
    assert changed and predicted["launchType"] == "EXTERNAL" and predicted["desiredCount"] == 2
    assert aws.raw_ecs.services == {} and diff["before"] == {}
    changed, service, dummy = workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2)
    assert changed and aws.raw_ecs.count("CreateService") == 1
    (dummy, created), = [c for c in aws.raw_ecs.calls if c[0] == "CreateService"]
    assert created["launchType"] == "EXTERNAL" and created["schedulingStrategy"] == "REPLICA"
    for check_mode in (True, False):
        changed, service, diff = workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2,
                                                                  check_mode=check_mode)
        assert not changed and diff["before"] == diff["after"]
    assert aws.raw_ecs.count("UpdateService") == 0


def test_service_check_mode_before_its_cluster_exists(aws):
    # site.yml --check: aws_cluster would create the cluster first, so the service would be created
    changed, predicted, diff = workloads.ensure_service_present(aws.ecs, "not-yet", "web", TD1, check_mode=True)
    assert changed and predicted["launchType"] == "EXTERNAL" and diff["before"] == {}
    assert aws.raw_ecs.services == {}
    # a real run still refuses clearly
    with pytest.raises(EcsAnywhereError) as e:
        workloads.ensure_service_present(aws.ecs, "not-yet", "web", TD1)
    assert "ClusterNotFound" in e.value.msg


def test_service_update_only_changed_fields(aws, cluster):
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2,
                                     deployment_configuration={"maximumPercent": 100, "minimumHealthyPercent": 50})
    changed, predicted, diff = workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=3,
                                                                deployment_configuration={"maximumPercent": 100},
                                                                check_mode=True)
    assert changed and predicted["desiredCount"] == 3 and aws.raw_ecs.count("UpdateService") == 0
    assert diff["before"]["desired_count"] == 2 and diff["after"]["desired_count"] == 3
    changed, service, dummy = workloads.ensure_service_present(
        aws.ecs, cluster, "web", TD1, desired_count=3, deployment_configuration={"maximumPercent": 100})
    (dummy, update), = [c for c in aws.raw_ecs.calls if c[0] == "UpdateService"]
    assert update == {"cluster": "edge", "service": "web", "desiredCount": 3}
    # unset desired_count keeps the count
    assert not workloads.ensure_service_present(aws.ecs, cluster, "web", TD1)[0]


def test_service_placement_and_task_definition_update(aws, cluster):
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1)
    workloads.ensure_task_definition_present(aws.ecs, request(memory=512))
    td2 = TD1[:-1] + "2"
    changed, service, dummy = workloads.ensure_service_present(
        aws.ecs, cluster, "web", td2, placement_constraints=[{"type": "distinctInstance"}])
    (dummy, update), = [c for c in aws.raw_ecs.calls if c[0] == "UpdateService"]
    assert update["taskDefinition"] == td2 and update["placementConstraints"] == [{"type": "distinctInstance"}]
    assert not workloads.ensure_service_present(aws.ecs, cluster, "web", td2,
                                                placement_constraints=[{"type": "distinctInstance"}])[0]


def test_service_refuses_other_launch_type(aws, cluster):
    aws.raw_ecs.create_service(cluster="edge", serviceName="ec2svc", taskDefinition=TD1, launchType="EC2")
    with pytest.raises(EcsAnywhereError) as e:
        workloads.ensure_service_present(aws.ecs, cluster, "ec2svc", TD1)
    assert "launch type EC2" in e.value.msg and "Nothing was changed" in e.value.msg


def test_wait_steady_success(aws, cluster):
    aws.raw_ecs.polls_to_steady = 3
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2)
    service = workloads.wait_service_steady(aws.ecs, cluster, "web", 60)
    assert service["runningCount"] == 2
    assert aws.time.sleeps == [1.0, 2.0]


def test_wait_steady_timeout_lists_events(aws, cluster):
    aws.raw_ecs.polls_to_steady = 10 ** 6
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2)
    with pytest.raises(EcsAnywhereError) as e:
        workloads.wait_service_steady(aws.ecs, cluster, "web", 20)
    assert "within 20 s" in e.value.msg and "0/2 tasks running" in e.value.msg
    assert "was unable to place a task" in e.value.msg
    assert e.value.details["events"] == ["(service web) was unable to place a task."]


@pytest.mark.parametrize("service,steady", [
    ({"desiredCount": 1, "runningCount": 1, "deployments": [{"rolloutState": "COMPLETED", "runningCount": 1}]}, True),
    ({"desiredCount": 1, "runningCount": 1, "deployments": [{}, {}]}, False),
    ({"desiredCount": 1, "runningCount": 1, "deployments": [{"rolloutState": "IN_PROGRESS", "runningCount": 1}]}, False),
    ({"desiredCount": 2, "runningCount": 1, "deployments": []}, False),
    ({"desiredCount": 1, "runningCount": 1, "pendingCount": 1}, False),
    ({"desiredCount": 0, "runningCount": 0}, True),
])
def test_service_steady(service, steady):
    assert ecs.service_steady(service)[0] is steady


def test_service_absent(aws, cluster):
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2)
    changed, predicted, dummy = workloads.ensure_service_absent(aws.ecs, cluster, "web", check_mode=True)
    assert changed and aws.raw_ecs.services[("edge", "web")]["status"] == "ACTIVE"
    changed, service, dummy = workloads.ensure_service_absent(aws.ecs, cluster, "web")
    assert changed and service["status"] == "INACTIVE"
    ops = [op for op, dummy in aws.raw_ecs.calls]
    assert ops.index("UpdateService") < ops.index("DeleteService")
    assert workloads.ensure_service_absent(aws.ecs, cluster, "web")[0] is False
    assert workloads.ensure_service_absent(aws.ecs, cluster, "never")[0] is False


def test_service_missing_cluster(aws):
    with pytest.raises(EcsAnywhereError) as e:
        workloads.ensure_service_present(aws.ecs, "nope", "web", TD1)
    assert "ClusterNotFound" in e.value.msg and "Nothing was changed" in e.value.msg
    assert workloads.ensure_service_absent(aws.ecs, "nope", "web") == (False, None, {"before": {}, "after": {}})
