"""Operator API: counts, faults, reset, state, clock, virtual instances."""
from __future__ import annotations

import time

import botocore.exceptions
import pytest



def _code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def test_counts_per_operation_and_reset(emu):
    emu.op("POST", "counts/reset")
    ecs = emu.client("ecs")
    for _ in range(3):
        ecs.list_clusters()
    emu.activation()
    emu.client("iam").list_roles()
    emu.client("logs").create_log_group(logGroupName="/ecs/x")
    status, counts = emu.op("GET", "counts")
    assert status == 200
    assert counts["ecs.ListClusters"] == 3
    assert counts["ssm.CreateActivation"] == 1
    assert counts["iam.CreateRole"] == 1 and counts["iam.ListRoles"] == 1
    assert counts["logs.CreateLogGroup"] == 1
    emu.op("POST", "counts/reset")
    assert emu.op("GET", "counts")[1] == {}


def test_throttling_like_ecs_and_ssm(emu):
    status, faults = emu.op("POST", "faults", {"seed": 1, "rules": [
        {"service": "ecs", "operation": "ListClusters", "throttle_rate": 1.0},
        {"service": "ssm", "operation": "*", "throttle_rate": 1.0}]})
    assert status == 200 and len(faults["rules"]) == 2
    ecs, ssm = emu.client("ecs"), emu.client("ssm")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.list_clusters()
    assert _code(exc) == "ThrottlingException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.describe_activations()
    assert _code(exc) == "ThrottlingException"
    ecs.describe_clusters()  # other ECS operations are not affected
    status, raw = emu.raw("AmazonEC2ContainerServiceV20141113.ListClusters", {}, creds=("testing", "testing", None), service="ecs")
    assert (status, raw["__type"]) == (400, "ThrottlingException")
    assert emu.op("GET", "faults")[1]["injected"]["ecs.ListClusters.throttle"] == 2
    emu.op("DELETE", "faults")
    assert ecs.list_clusters()["clusterArns"] == []


def test_server_errors_and_latency(emu):
    emu.op("POST", "faults", {"rules": [{"service": "ecs", "operation": "DescribeClusters", "error_rate": 1.0, "error_status": 503},
                                        {"service": "ecs", "operation": "ListClusters", "latency_ms": 150}]})
    ecs = emu.client("ecs")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.describe_clusters()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert _code(exc) == "ServerException"
    t0 = time.monotonic()
    ecs.list_clusters()
    assert time.monotonic() - t0 >= 0.15
    # IAM (query protocol) throttles the way IAM does
    emu.op("POST", "faults", {"rules": [{"service": "iam", "throttle_rate": 1.0}]})
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        emu.client("iam").list_roles()
    assert _code(exc) == "Throttling"


def _pattern(emu, seed):
    emu.op("POST", "faults", {"seed": seed, "rules": [{"service": "ecs", "throttle_rate": 0.5}]})
    ecs = emu.client("ecs")
    out = []
    for _ in range(24):
        try:
            ecs.list_clusters()
            out.append(0)
        except botocore.exceptions.ClientError as exc:
            assert _code_of(exc) == "ThrottlingException"
            out.append(1)
    return out


def _code_of(exc) -> str:
    return exc.response["Error"]["Code"]


def test_faults_are_deterministic_under_a_seed(emu):
    a = _pattern(emu, 7)
    b = _pattern(emu, 7)
    c = _pattern(emu, 8)
    assert a == b
    assert a != c
    assert 3 <= sum(a) <= 21


def test_bad_fault_rules_are_refused(emu):
    status, out = emu.op("POST", "faults", {"rules": [{"service": "ecs", "throttle_rate": 2}]})
    assert status == 400 and "throttle_rate" in out["error"]
    status, out = emu.op("POST", "faults", {"rules": [{"bogus": 1}]})
    assert status == 400


def test_reset_and_state(emu):
    emu.activation()
    emu.client("ecs").create_cluster(clusterName="c1")
    status, state = emu.op("GET", "state")
    assert status == 200
    assert len(state["ssm"]["activations"]["us-east-1"]) == 1
    assert "ActivationCode" not in state["ssm"]["activations"]["us-east-1"][0]  # no secrets in the dump
    assert [c["clusterName"] for c in state["ecs"]["us-east-1"]["clusters"]] == ["c1"]
    emu.op("POST", "clock", {"advance_seconds": 10})
    assert emu.op("POST", "reset")[0] == 200
    assert emu.client("ecs").list_clusters()["clusterArns"] == []
    assert emu.client("ssm").describe_activations()["ActivationList"] == []
    assert emu.client("iam").list_roles()["Roles"] == []
    assert emu.op("GET", "clock")[1]["offset_seconds"] == 0


def test_clock(emu):
    _, before = emu.op("GET", "clock")
    _, after = emu.op("POST", "clock", {"advance_seconds": 3600})
    assert after["now"] - before["now"] >= 3600
    assert emu.op("POST", "clock", {"advance_seconds": "x"})[0] == 400
    assert emu.op("GET", "nope")[0] == 404


def test_virtual_instances(emu):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="default")
    act = emu.activation(limit=10)
    status, out = emu.op("POST", "virtual-instances", {"cluster": "default", "count": 3, "hostname_prefix": "edge-",
                                                       "activation_id": act["ActivationId"], "cpu": 1024, "memory": 2000})
    assert status == 200 and len(out["instance_ids"]) == 3
    ssm = emu.client("ssm")
    info = ssm.describe_instance_information()["InstanceInformationList"]
    assert sorted(i["ComputerName"] for i in info) == ["edge-1", "edge-2", "edge-3"]
    assert all(i["PingStatus"] == "Online" and i["ActivationId"] == act["ActivationId"] for i in info)
    assert ssm.describe_activations()["ActivationList"][0]["RegistrationsCount"] == 3
    cis = ecs.describe_container_instances(cluster="default", containerInstances=out["container_instance_arns"])["containerInstances"]
    assert sorted(c["ec2InstanceId"] for c in cis) == sorted(out["instance_ids"])
    assert all(c["status"] == "ACTIVE" and c["agentConnected"] for c in cis)
    assert all({"name": "ecs.capability.external"} in c["attributes"] for c in cis)
    assert {r["name"]: r.get("integerValue") for r in cis[0]["registeredResources"]}["CPU"] == 1024
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128,
                                                        "portMappings": [{"containerPort": 80, "hostPort": 8080}]}])
    ecs.create_service(cluster="default", serviceName="web", taskDefinition="web", desiredCount=3, launchType="EXTERNAL")
    svc = ecs.describe_services(cluster="default", services=["web"])["services"][0]
    assert (svc["runningCount"], svc["pendingCount"]) == (3, 0)
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"
    ecs.update_service(cluster="default", service="web", desiredCount=1)
    assert len(ecs.list_tasks(cluster="default", desiredStatus="STOPPED")["taskArns"]) == 2
    stopped = ecs.describe_tasks(cluster="default", tasks=ecs.list_tasks(cluster="default", desiredStatus="STOPPED")["taskArns"])["tasks"]
    assert all(t["lastStatus"] == "STOPPED" for t in stopped)
    # lost agents: ConnectionLost / agentConnected false, and no new tasks for them
    mi = out["instance_ids"][0]
    emu.op("POST", "virtual-instances/connection", {"instance_ids": [mi], "connected": False})
    emu.op("POST", "clock", {"advance_seconds": 600})
    ping = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [mi]}])["InstanceInformationList"][0]
    assert ping["PingStatus"] == "ConnectionLost"
    ci = ecs.describe_container_instances(cluster="default", containerInstances=[out["container_instance_arns"][0]])["containerInstances"][0]
    assert ci["agentConnected"] is False
    # limit of the activation is enforced, unknown cluster refused
    assert emu.op("POST", "virtual-instances", {"count": 8, "activation_id": act["ActivationId"]})[0] == 400
    assert emu.op("POST", "virtual-instances", {"cluster": "nope", "count": 1})[0] == 400


def test_virtual_instances_without_auto_run(emu):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="default")
    _, out = emu.op("POST", "virtual-instances", {"count": 2, "auto_run": False, "hostname_prefix": "lab-"})
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}],
                                 requiresCompatibilities=["EXTERNAL"])
    ecs.create_service(cluster="default", serviceName="web", taskDefinition="web", desiredCount=2, launchType="EXTERNAL")
    svc = ecs.describe_services(cluster="default", services=["web"])["services"][0]
    assert (svc["runningCount"], svc["pendingCount"]) == (0, 2)
    # spread over both instances
    cis = ecs.describe_container_instances(cluster="default", containerInstances=out["container_instance_arns"])["containerInstances"]
    assert [c["pendingTasksCount"] for c in cis] == [1, 1]


def test_seeded_servers_hand_out_the_same_ids():
    from sandbox.emulator.server import EmulatorServer

    from .conftest import Emu

    seen = []
    for _ in range(2):
        with EmulatorServer(port=0, seed=42) as srv:
            e = Emu(srv.url)
            ids = []
            for _ in range(2):  # and again after a reset
                act = e.activation()
                ids += [act["ActivationId"], e.agent(act).mi]
                assert e.op("POST", "reset")[0] == 200
            assert ids[:2] == ids[2:]
            seen.append(ids)
    assert seen[0] == seen[1]


def test_extra_host_serves_the_same_state():
    from sandbox.emulator.server import EmulatorServer

    from .conftest import Emu

    with EmulatorServer(port=0, extra_hosts=("127.0.0.2",)) as srv:
        assert srv.urls == [srv.url, f"http://127.0.0.2:{srv.port}"]
        Emu(srv.urls[0]).client("ecs").create_cluster(clusterName="shared")
        other = Emu(srv.urls[1]).client("ecs")
        assert other.list_clusters()["clusterArns"] == ["arn:aws:ecs:us-east-1:123456789012:cluster/shared"]
        # an agent coming in on the extra address is told to poll that address
        e2 = Emu(srv.urls[1])
        agent = e2.agent(e2.activation())
        agent.register("shared")
        assert agent.poll("shared")["endpoint"] == srv.urls[1]
        assert e2.op("POST", "reset")[0] == 200
