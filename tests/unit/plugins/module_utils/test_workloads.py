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


# ---------------------------------------------------------- DAEMON services


def test_daemon_service_four_steps_sends_no_count(aws, cluster):
    args = dict(scheduling_strategy="DAEMON", deployment_configuration={"maximumPercent": 100, "minimumHealthyPercent": 0})
    changed, predicted, diff = workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, check_mode=True, **args)
    assert changed and predicted["schedulingStrategy"] == "DAEMON" and "desiredCount" not in predicted
    assert aws.raw_ecs.services == {} and diff["after"]["scheduling_strategy"] == "DAEMON"
    changed, service, dummy = workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, **args)
    (dummy, created), = [c for c in aws.raw_ecs.calls if c[0] == "CreateService"]
    assert changed and created["schedulingStrategy"] == "DAEMON" and "desiredCount" not in created
    for check_mode in (True, False):
        assert not workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, check_mode=check_mode, **args)[0]
    assert aws.raw_ecs.count("UpdateService") == 0


@pytest.mark.parametrize("option,text", [
    ({"desired_count": 3}, "desired_count (3)"),
    ({"placement_strategy": [{"type": "spread", "field": "instanceId"}]}, "placement_strategy"),
    ({"deployment_configuration": {"maximumPercent": 200}}, "maximum_percent 200"),
])
@pytest.mark.parametrize("check_mode", [True, False])
def test_daemon_refuses_what_it_does_not_take(aws, cluster, option, text, check_mode):
    with pytest.raises(EcsAnywhereError) as e:
        workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, scheduling_strategy="DAEMON",
                                         check_mode=check_mode, **option)
    assert text in e.value.msg and "Nothing was changed" in e.value.msg
    assert aws.raw_ecs.count("CreateService") == 0
    # an existing DAEMON service refuses them too when the strategy is left unset
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, scheduling_strategy="DAEMON")
    with pytest.raises(EcsAnywhereError):
        workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, check_mode=check_mode, **option)
    assert aws.raw_ecs.count("UpdateService") == 0


@pytest.mark.parametrize("check_mode", [True, False])
def test_replica_to_daemon_fails_before_any_change(aws, cluster, check_mode):
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2)
    workloads.ensure_task_definition_present(aws.ecs, request(memory=512))
    calls = len(aws.raw_ecs.calls)
    with pytest.raises(EcsAnywhereError) as e:
        workloads.ensure_service_present(aws.ecs, cluster, "web", TD1[:-1] + "2", scheduling_strategy="DAEMON",
                                         check_mode=check_mode)
    msg = e.value.msg
    assert "uses scheduling strategy REPLICA" in msg and "Nothing was changed" in msg
    assert "nginx_service_scheduling_strategy: REPLICA" in msg and "nginx_service_desired_count" in msg
    assert "state: absent" in msg and e.value.details["error_code"] == "SchedulingStrategyChange"
    assert [op for op, dummy in aws.raw_ecs.calls[calls:]] == ["DescribeServices"]
    assert aws.raw_ecs.services[("edge", "web")]["taskDefinition"] == TD1


def test_daemon_to_replica_says_how_to_keep_daemon(aws, cluster):
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, scheduling_strategy="DAEMON")
    with pytest.raises(EcsAnywhereError) as e:
        workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, scheduling_strategy="REPLICA", desired_count=2)
    assert "uses scheduling strategy DAEMON" in e.value.msg and "without nginx_service_desired_count" in e.value.msg


# ------------------------------------------------- failed task starts while waiting

PORT_TAKEN = ("CannotStartContainerError: Error response from daemon: driver failed programming external "
              "connectivity on endpoint ecs-nginx-1: listen tcp4 0.0.0.0:8080: bind: address already in use")


@pytest.fixture
def failing(aws, cluster):
    """A REPLICA service of 2 that never gets steady, on instances ``good`` and ``bad``;
    ``fail_on_describe(arn)`` adds a failed start on ``arn`` at each DescribeServices."""
    raw = aws.raw_ecs
    raw.polls_to_steady = 10 ** 6
    good = raw.add_instance("edge", "mi-0000000000000000a")
    bad = raw.add_instance("edge", "mi-0000000000000000b")
    workloads.ensure_service_present(aws.ecs, cluster, "web", TD1, desired_count=2)

    class Failing:
        arns = []

        @staticmethod
        def fail_on_describe(arn, reason=PORT_TAKEN, **kw):
            raw.on_describe_services.append(
                lambda: Failing.arns.append(raw.add_stopped_task("edge", arn, "web", reason, **kw)))

    Failing.good, Failing.bad = good, bad
    return Failing


def test_wait_fails_early_naming_host_reason_and_fix(aws, cluster, failing):
    # failures from before this run (a port fixed since) do not count
    old = {aws.raw_ecs.add_stopped_task("edge", failing.good, "web", PORT_TAKEN) for dummy in range(5)}
    baseline = workloads.stopped_task_arns(aws.ecs, cluster, "web")
    assert baseline == old
    failing.fail_on_describe(failing.bad)
    with pytest.raises(EcsAnywhereError) as e:
        workloads.wait_service_steady(aws.ecs, cluster, "web", 600, stopped_baseline=baseline,
                                      describe_hosts=lambda ids: {"mi-0000000000000000b": "edge-17"})
    msg = e.value.msg
    assert "cannot start its tasks on 1 container instance(s)" in msg
    assert "edge-17 (mi-0000000000000000b, container instance " + failing.bad.rsplit("/", 1)[-1] + ")" in msg
    assert "3 tasks stopped before running" in msg and "address already in use" in msg and "ss -ltnp" in msg
    assert "within" not in msg and sum(aws.time.sleeps) < 10
    (detail,) = e.value.details["start_failures"]
    assert detail["managed_instance_id"] == "mi-0000000000000000b" and detail["hostname"] == "edge-17"
    assert detail["failed_starts"] == 3 and detail["stop_code"] == "TaskFailedToStart"
    assert detail["container_reasons"] == {"nginx": PORT_TAKEN} and set(detail["task_arns"]) == set(failing.arns)
    # each poll describes only the tasks it had not seen
    described = [a for op, kw in aws.raw_ecs.calls if op == "DescribeTasks" for a in kw["tasks"]]
    assert not set(described) & old and len(described) == len(set(described))


def test_wait_without_hostnames_still_names_the_instance(aws, cluster, failing):
    failing.fail_on_describe(failing.bad)

    def no_ssm(ids):
        raise RuntimeError("AccessDenied")

    with pytest.raises(EcsAnywhereError) as e:
        workloads.wait_service_steady(aws.ecs, cluster, "web", 600, stopped_baseline=set(), describe_hosts=no_ssm)
    assert "mi-0000000000000000b (container instance" in e.value.msg


@pytest.mark.parametrize("kw", [{"stop_code": "ServiceSchedulerInitiated"}, {"started": True}])
def test_deliberate_stops_and_crashes_after_start_do_not_fail_early(aws, cluster, failing, kw):
    failing.fail_on_describe(failing.bad, reason="Scaling activity initiated by (deployment ecs-svc/1)", **kw)
    with pytest.raises(EcsAnywhereError) as e:
        workloads.wait_service_steady(aws.ecs, cluster, "web", 30, stopped_baseline=set())
    assert "within 30 s" in e.value.msg and "start_failures" not in e.value.details


def test_timeout_mentions_fewer_failed_starts(aws, cluster, failing):
    failing.fail_on_describe(failing.bad)
    with pytest.raises(EcsAnywhereError) as e:
        workloads.wait_service_steady(aws.ecs, cluster, "web", 2, stopped_baseline=set(), start_failures_to_fail=10)
    assert "within 2 s" in e.value.msg and "stopped before running since the change: 3 on container instance" in e.value.msg


def test_stopped_task_arns_of_a_missing_service_or_cluster(aws, cluster):
    assert workloads.stopped_task_arns(aws.ecs, cluster, "never") == set()
    assert workloads.stopped_task_arns(aws.ecs, "nope", "web") == set()


@pytest.mark.parametrize("task,reason", [
    ({"stopCode": "TaskFailedToStart", "stoppedReason": "CannotPullContainerError: x"}, "CannotPullContainerError: x"),
    ({"stopCode": "EssentialContainerExited", "containers": [{"reason": "OutOfMemoryError"}]}, "OutOfMemoryError"),
    ({"stopCode": "EssentialContainerExited", "startedAt": 1, "containers": [{"reason": "x"}]}, None),
    ({"stopCode": "ServiceSchedulerInitiated", "stoppedReason": "Scaling activity"}, None),
    ({"stopCode": "UserInitiated", "containers": [{"reason": "x"}]}, None),
])
def test_start_failure(task, reason):
    assert workloads.start_failure(task) == reason


@pytest.mark.parametrize("reason,hint", [
    (PORT_TAKEN, "ss -ltnp"), ("Bind for 0.0.0.0:8080 failed: port is already allocated", "nginx_service_host_port"),
    ("CannotPullContainerError: pull access denied", "pull the image"), ("something else", "ecs-agent.log"),
])
def test_start_failure_hint(reason, hint):
    assert hint in workloads.start_failure_hint(reason)
