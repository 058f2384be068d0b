"""ECS for external instances: clusters, container instances, task definitions, services, scheduler."""
from __future__ import annotations

import botocore.exceptions
import pytest

NGINX = [{"name": "nginx", "image": "public.ecr.aws/nginx/nginx:stable", "memory": 256, "cpu": 256,
          "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]


def _code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def _agents(emu, n, cluster="default", **kw):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName=cluster)
    act = emu.activation(limit=max(n, 1))
    agents = []
    for i in range(n):
        a = emu.agent(act, f"edge-{i + 1}")
        a.register(cluster, **kw)
        agents.append(a)
    return ecs, agents


def _taskdef(ecs, family="nginx", containers=None, **kw):
    kw.setdefault("requiresCompatibilities", ["EXTERNAL"])
    kw.setdefault("networkMode", "bridge")
    return ecs.register_task_definition(family=family, containerDefinitions=containers or NGINX, **kw)["taskDefinition"]


def _svc(ecs, name="nginx", cluster="default"):
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]


# ---------------------------------------------------------------- clusters
def test_create_cluster_is_idempotent_and_keeps_settings(emu):
    ecs = emu.client("ecs")
    first = ecs.create_cluster(clusterName="edge", tags=[{"key": "team", "value": "ops"}],
                               settings=[{"name": "containerInsights", "value": "enabled"}])["cluster"]
    again = ecs.create_cluster(clusterName="edge")["cluster"]
    assert again["clusterArn"] == first["clusterArn"] == "arn:aws:ecs:us-east-1:123456789012:cluster/edge"
    desc = ecs.describe_clusters(clusters=["edge"], include=["TAGS", "SETTINGS"])["clusters"][0]
    assert desc["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert desc["tags"] == [{"key": "team", "value": "ops"}]
    assert ecs.list_clusters()["clusterArns"] == [first["clusterArn"]]


def test_delete_cluster_refusals_and_inactive(emu):
    ecs, (agent,) = _agents(emu, 1)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.delete_cluster(cluster="default")
    assert _code(exc) == "ClusterContainsContainerInstancesException"
    ecs.deregister_container_instance(cluster="default", containerInstance=agent.arn)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="s", taskDefinition="nginx", desiredCount=0, launchType="EXTERNAL")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.delete_cluster(cluster="default")
    assert _code(exc) == "ClusterContainsServicesException"
    ecs.delete_service(cluster="default", service="s")
    out = ecs.delete_cluster(cluster="default")["cluster"]
    assert out["status"] == "INACTIVE"
    assert ecs.list_clusters()["clusterArns"] == []
    assert ecs.describe_clusters(clusters=["default"])["clusters"][0]["status"] == "INACTIVE"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.list_container_instances(cluster="default")
    assert _code(exc) == "ClusterNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.delete_cluster(cluster="nope")
    assert _code(exc) == "ClusterNotFoundException"
    missing = ecs.describe_clusters(clusters=["nope"])
    assert missing["clusters"] == [] and missing["failures"][0]["reason"] == "MISSING"
    # re-creating a deleted cluster starts afresh
    assert ecs.create_cluster(clusterName="default")["cluster"]["status"] == "ACTIVE"


# ---------------------------------------------------------------- container instances
def test_register_container_instance_as_managed_instance(emu):
    ecs, (agent,) = _agents(emu, 1)
    ci = ecs.describe_container_instances(cluster="default", containerInstances=[agent.arn], include=["TAGS"])["containerInstances"][0]
    assert ci["ec2InstanceId"] == agent.mi
    assert ci["status"] == "ACTIVE" and ci["agentConnected"] is True
    assert {"name": "ecs.capability.external"} in ci["attributes"]
    assert {"name": "ecs.os-type", "value": "linux"} in ci["attributes"]
    reg = {r["name"]: r for r in ci["registeredResources"]}
    assert reg["CPU"]["integerValue"] == 2048 and reg["MEMORY"]["integerValue"] == 3800
    assert ci["versionInfo"]["agentVersion"] == "1.80.0"
    assert ci["runningTasksCount"] == 0 and ci["pendingTasksCount"] == 0
    # re-registration with the ARN keeps it (and updates resources and tags)
    again = agent.register(memory=4000, containerInstanceArn=agent.arn, tags=[{"key": "site", "value": "a"}])
    assert again["containerInstanceArn"] == ci["containerInstanceArn"]
    assert {r["name"]: r for r in again["registeredResources"]}["MEMORY"]["integerValue"] == 4000
    assert again["tags"] == [{"key": "site", "value": "a"}]
    assert len(ecs.list_container_instances(cluster="default")["containerInstanceArns"]) == 1


def test_register_container_instance_is_idempotent_on_its_client_token(emu):
    """AWS's ECS agent sends a clientToken (its registration token) with each
    registration, and its SDK retries a call that timed out: the retry must
    return the same container instance, not register a second one (seen on a
    loaded machine: one agent, two ACTIVE container instances, a DAEMON task
    pending forever on the disconnected twin)."""
    ecs, (agent,) = _agents(emu, 1)  # registered once, without a token

    def register(token):
        # clientToken is in the agent's ECS model, not in boto3's: a raw call as the agent makes it
        status, out = emu.raw("AmazonEC2ContainerServiceV20141113.RegisterContainerInstance", {
            "cluster": "default", "clientToken": token,
            "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 2048}],
            "attributes": [{"name": "ecs.capability.external"}]}, creds=agent.creds, service="ecs")
        assert status == 200, out
        return out["containerInstance"]["containerInstanceArn"]

    first = register("token-1")
    assert register("token-1") == first
    assert register("token-2") not in (first, agent.arn)
    assert len(ecs.list_container_instances(cluster="default")["containerInstanceArns"]) == 3


def test_register_container_instance_needs_instance_credentials(emu):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="default")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.register_container_instance(cluster="default", instanceIdentityDocument="")
    assert _code(exc) == "ClientException"
    act = emu.activation()
    agent = emu.agent(act)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        agent.register("nope")
    assert _code(exc) == "ClientException"
    assert exc.value.response["Error"]["Message"] == "Cluster not found."


def test_list_container_instances_filter_and_status(emu):
    ecs, agents = _agents(emu, 3)
    ecs.put_attributes(cluster="default", attributes=[{"name": "site", "value": "paris", "targetType": "container-instance",
                                                       "targetId": agents[0].arn}])
    ecs.update_container_instances_state(cluster="default", containerInstances=[agents[2].arn], status="DRAINING")

    def listed(**kw):
        return sorted(ecs.list_container_instances(cluster="default", **kw)["containerInstanceArns"])

    assert listed() == sorted(a.arn for a in agents)
    assert listed(status="DRAINING") == [agents[2].arn]
    assert listed(status="ACTIVE") == sorted([agents[0].arn, agents[1].arn])
    assert listed(filter="attribute:site == paris") == [agents[0].arn]
    assert listed(filter="attribute:site exists") == [agents[0].arn]
    assert listed(filter=f"ec2InstanceId == {agents[1].mi}") == [agents[1].arn]
    assert listed(filter=f"ec2InstanceId in [{agents[0].mi}, {agents[1].mi}]") == sorted([agents[0].arn, agents[1].arn])
    assert listed(filter="attribute:ecs.capability.external exists and attribute:site != paris") == sorted([agents[1].arn, agents[2].arn])
    attrs = ecs.list_attributes(cluster="default", targetType="container-instance", attributeName="site")["attributes"]
    assert attrs == [{"name": "site", "value": "paris", "targetType": "container-instance", "targetId": agents[0].arn}]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.list_container_instances(cluster="default", filter="attribute:site ==")
    assert _code(exc) == "InvalidParameterException"
    page = ecs.list_container_instances(cluster="default", maxResults=2)
    assert len(page["containerInstanceArns"]) == 2
    rest = ecs.list_container_instances(cluster="default", maxResults=2, nextToken=page["nextToken"])
    assert len(rest["containerInstanceArns"]) == 1 and "nextToken" not in rest


def test_agent_connected_follows_discover_poll_endpoint(emu):
    ecs, (agent,) = _agents(emu, 1)
    emu.op("POST", "clock", {"advance_seconds": 200})

    def connected():
        return ecs.describe_container_instances(cluster="default", containerInstances=[agent.arn])["containerInstances"][0]["agentConnected"]

    assert connected() is False
    out = agent.poll()
    assert out["endpoint"].startswith("http://127.0.0.1:")
    assert connected() is True
    emu.op("POST", "clock", {"advance_seconds": 100})
    agent.poll()
    emu.op("POST", "clock", {"advance_seconds": 100})
    assert connected() is True
    assert sorted(ecs.list_container_instances(cluster="default", filter="agentConnected == true")["containerInstanceArns"]) == [agent.arn]


def test_describe_container_instances_failures_and_batch_limits(emu):
    ecs, (agent,) = _agents(emu, 1)
    out = ecs.describe_container_instances(cluster="default", containerInstances=[agent.arn, "0" * 32])
    assert len(out["containerInstances"]) == 1 and out["failures"][0]["reason"] == "MISSING"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.describe_container_instances(cluster="default", containerInstances=["x"] * 101)
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.update_container_instances_state(cluster="default", containerInstances=["x"] * 11, status="DRAINING")
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.update_container_instances_state(cluster="default", containerInstances=[agent.arn], status="BOGUS")
    assert _code(exc) == "InvalidParameterException"


def test_deregister_refuses_with_tasks_unless_forced(emu):
    ecs, (agent,) = _agents(emu, 1)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    agent.sync()
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.deregister_container_instance(cluster="default", containerInstance=agent.arn)
    assert _code(exc) == "InvalidParameterException"
    out = ecs.deregister_container_instance(cluster="default", containerInstance=agent.arn, force=True)["containerInstance"]
    assert out["status"] == "INACTIVE"
    assert ecs.list_container_instances(cluster="default")["containerInstanceArns"] == []
    assert ecs.list_container_instances(cluster="default", status="INACTIVE")["containerInstanceArns"] == [agent.arn]
    desc = ecs.describe_container_instances(cluster="default", containerInstances=[agent.arn])["containerInstances"][0]
    assert desc["status"] == "INACTIVE" and desc["runningTasksCount"] == 0
    svc = _svc(ecs)
    assert svc["runningCount"] == 0 and svc["pendingCount"] == 0
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.deregister_container_instance(cluster="default", containerInstance=agent.arn)
    assert _code(exc) == "InvalidParameterException"


# ---------------------------------------------------------------- task definitions
@pytest.mark.parametrize("mode", ["bridge", "host", "none"])
def test_task_definition_keeps_external_and_network_mode(emu, mode):
    ecs = emu.client("ecs")
    containers = [dict(NGINX[0], portMappings=[] if mode == "none" else [{"containerPort": 80}])]
    td = _taskdef(ecs, containers=containers, networkMode=mode)
    assert td["requiresCompatibilities"] == ["EXTERNAL"]
    assert "EXTERNAL" in td["compatibilities"]
    assert td["networkMode"] == mode
    assert td["revision"] == 1 and td["taskDefinitionArn"].endswith(":task-definition/nginx:1")
    got = ecs.describe_task_definition(taskDefinition="nginx")["taskDefinition"]
    assert got["networkMode"] == mode and got["requiresCompatibilities"] == ["EXTERNAL"]
    if mode == "host":
        assert got["containerDefinitions"][0]["portMappings"][0]["hostPort"] == 80


def test_task_definition_errors_revisions_deregister(emu):
    ecs = emu.client("ecs")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        _taskdef(ecs, networkMode="awsvpc")
    assert _code(exc) == "ClientException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        _taskdef(ecs, containers=[{"name": "x", "image": "y"}])
    assert _code(exc) == "ClientException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.describe_task_definition(taskDefinition="nope")
    assert _code(exc) == "ClientException"
    _taskdef(ecs, tags=[{"key": "a", "value": "b"}])
    td2 = _taskdef(ecs)
    assert td2["revision"] == 2
    assert ecs.list_task_definitions(familyPrefix="nginx")["taskDefinitionArns"] == [
        td2["taskDefinitionArn"][:-1] + "1", td2["taskDefinitionArn"]]
    out = ecs.deregister_task_definition(taskDefinition="nginx:2")["taskDefinition"]
    assert out["status"] == "INACTIVE"
    assert ecs.describe_task_definition(taskDefinition="nginx")["taskDefinition"]["revision"] == 1
    assert ecs.describe_task_definition(taskDefinition="nginx:1", include=["TAGS"])["tags"] == [{"key": "a", "value": "b"}]
    assert ecs.list_task_definition_families()["families"] == ["nginx"]


# ---------------------------------------------------------------- services and scheduler
def test_service_external_pending_until_agent_reports_running(emu):
    ecs, (agent,) = _agents(emu, 1)
    _taskdef(ecs)
    svc = ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1,
                             launchType="EXTERNAL")["service"]
    assert svc["launchType"] == "EXTERNAL" and svc["status"] == "ACTIVE"
    assert svc["serviceArn"] == "arn:aws:ecs:us-east-1:123456789012:service/default/nginx"
    svc = _svc(ecs)
    assert (svc["runningCount"], svc["pendingCount"]) == (0, 1)
    assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    tasks = agent.assigned()
    assert len(tasks) == 1
    t = tasks[0]
    assert t["lastStatus"] == "PENDING" and t["desiredStatus"] == "RUNNING" and t["launchType"] == "EXTERNAL"
    assert t["containerInstanceArn"] == agent.arn and t["group"] == "service:nginx"
    assert t["containers"][0]["networkBindings"][0]["hostPort"] == 8080
    ci = ecs.describe_container_instances(cluster="default", containerInstances=[agent.arn])["containerInstances"][0]
    assert ci["pendingTasksCount"] == 1
    rem = {r["name"]: r for r in ci["remainingResources"]}
    assert rem["CPU"]["integerValue"] == 2048 - 256 and rem["MEMORY"]["integerValue"] == 3800 - 256
    assert "8080" in rem["PORTS"]["stringSetValue"]
    agent.ecs.submit_task_state_change(cluster="default", task=t["taskArn"], status="RUNNING",
                                       containers=[{"containerName": "nginx", "status": "RUNNING", "runtimeId": "abc"}])
    svc = _svc(ecs)
    assert (svc["runningCount"], svc["pendingCount"]) == (1, 0)
    dep = svc["deployments"][0]
    assert dep["status"] == "PRIMARY" and dep["rolloutState"] == "COMPLETED" and dep["runningCount"] == 1
    assert svc["events"][0]["message"] == "service nginx has reached a steady state."
    ci = ecs.describe_container_instances(cluster="default", containerInstances=[agent.arn])["containerInstances"][0]
    assert ci["runningTasksCount"] == 1
    clus = ecs.describe_clusters(clusters=["default"])["clusters"][0]
    assert clus["runningTasksCount"] == 1 and clus["activeServicesCount"] == 1
    assert clus["registeredContainerInstancesCount"] == 1


def test_container_state_changes_drive_the_task(emu):
    ecs, (agent,) = _agents(emu, 1)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    t = agent.assigned()[0]
    agent.ecs.submit_container_state_change(cluster="default", task=t["taskArn"], containerName="nginx", status="RUNNING")
    t = agent.ecs.describe_tasks(cluster="default", tasks=[t["taskArn"]])["tasks"][0]
    assert t["lastStatus"] == "RUNNING" and t["containers"][0]["lastStatus"] == "RUNNING"
    # the essential container exits: the task stops and the service starts a replacement
    agent.ecs.submit_container_state_change(cluster="default", task=t["taskArn"], containerName="nginx",
                                            status="STOPPED", exitCode=1)
    t = agent.ecs.describe_tasks(cluster="default", tasks=[t["taskArn"]])["tasks"][0]
    assert t["lastStatus"] == "STOPPED" and t["stopCode"] == "EssentialContainerExited"
    assert t["containers"][0]["exitCode"] == 1
    new = agent.assigned()
    assert len(new) == 1 and new[0]["taskArn"] != t["taskArn"]


def test_agent_cannot_report_someone_elses_task(emu):
    ecs, (a, b) = _agents(emu, 2)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    owner, other = (a, b) if a.assigned() else (b, a)
    task = owner.assigned()[0]["taskArn"]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        other.ecs.submit_task_state_change(cluster="default", task=task, status="RUNNING")
    assert _code(exc) == "AccessDeniedException"


def test_scheduler_honours_host_ports_and_explains_unplaceable_tasks(emu):
    ecs, agents = _agents(emu, 2)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=3, launchType="EXTERNAL")
    placed = {a.arn: len(a.assigned()) for a in agents}
    assert sorted(placed.values()) == [1, 1]  # host port 8080 once per instance
    svc = _svc(ecs)
    assert svc["pendingCount"] == 2 and svc["desiredCount"] == 3
    msgs = [e["message"] for e in svc["events"]]
    assert any("unable to place a task" in m and "already using a port" in m for m in msgs), msgs
    assert any(m.startswith("service nginx has started 2 tasks") for m in msgs)


def test_scheduler_honours_cpu_memory_and_distinct_instance(emu):
    ecs, agents = _agents(emu, 2, cpu=1024, memory=1024)
    big = [{"name": "big", "image": "busybox", "cpu": 600, "memory": 600}]
    _taskdef(ecs, family="big", containers=big)
    ecs.create_service(cluster="default", serviceName="big", taskDefinition="big", desiredCount=3, launchType="EXTERNAL")
    assert sorted(len(a.assigned()) for a in agents) == [1, 1]
    msgs = " ".join(e["message"] for e in _svc(ecs, "big")["events"])
    assert "insufficient CPU units" in msgs
    small = [{"name": "small", "image": "busybox", "cpu": 10, "memory": 10}]
    _taskdef(ecs, family="small", containers=small)
    ecs.create_service(cluster="default", serviceName="small", taskDefinition="small", desiredCount=3,
                       launchType="EXTERNAL", placementConstraints=[{"type": "distinctInstance"}])
    svc = _svc(ecs, "small")
    assert svc["pendingCount"] == 2
    assert "distinctInstance" in " ".join(e["message"] for e in svc["events"])


def test_no_instances_event_and_later_placement(emu):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="default")
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    svc = _svc(ecs)
    assert svc["pendingCount"] == 0
    assert "No Container Instances were found in your cluster" in svc["events"][0]["message"]
    act = emu.activation()
    agent = emu.agent(act)
    agent.register()
    assert len(agent.assigned()) == 1


def test_disconnected_agents_get_no_tasks(emu):
    ecs, (agent,) = _agents(emu, 1)
    emu.op("POST", "clock", {"advance_seconds": 300})
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    assert "not connected" in _svc(ecs)["events"][0]["message"]
    agent.poll()
    assert len(agent.assigned()) == 1


def test_draining_stops_service_tasks_and_replaces_them_elsewhere(emu):
    ecs, (a, b) = _agents(emu, 2)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    owner, other = (a, b) if a.assigned() else (b, a)
    owner.sync()
    assert _svc(ecs)["runningCount"] == 1
    ecs.update_container_instances_state(cluster="default", containerInstances=[owner.arn], status="DRAINING")
    stopping = owner.assigned(desired="STOPPED")
    assert len(stopping) == 1 and stopping[0]["lastStatus"] == "RUNNING"
    assert len(other.assigned()) == 1
    owner.sync()
    other.sync()
    svc = _svc(ecs)
    assert svc["runningCount"] == 1
    ci = ecs.describe_container_instances(cluster="default", containerInstances=[owner.arn, other.arn])["containerInstances"]
    counts = {c["containerInstanceArn"]: (c["status"], c["runningTasksCount"]) for c in ci}
    assert counts == {owner.arn: ("DRAINING", 0), other.arn: ("ACTIVE", 1)}
    # back to ACTIVE: nothing moves back by itself
    ecs.update_container_instances_state(cluster="default", containerInstances=[owner.arn], status="ACTIVE")
    assert owner.assigned() == []


def test_update_service_rolls_a_new_deployment(emu):
    ecs, agents = _agents(emu, 2)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    for a in agents:
        a.sync()
    v2 = [dict(NGINX[0], portMappings=[{"containerPort": 80, "hostPort": 8081}])]
    _taskdef(ecs, containers=v2)
    svc = ecs.update_service(cluster="default", service="nginx", taskDefinition="nginx:2")["service"]
    assert [d["status"] for d in svc["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert svc["taskDefinition"].endswith("nginx:2")
    for _ in range(3):
        for a in agents:
            a.sync()
    svc = _svc(ecs)
    assert [d["status"] for d in svc["deployments"]] == ["PRIMARY"]
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED" and svc["runningCount"] == 1
    running = [t for a in agents for t in a.assigned() if t["lastStatus"] == "RUNNING"]
    assert [t["taskDefinitionArn"].rsplit(":", 1)[-1] for t in running] == ["2"]
    # scale out and in
    ecs.update_service(cluster="default", service="nginx", desiredCount=2)
    for a in agents:
        a.sync()
    assert _svc(ecs)["runningCount"] == 2
    ecs.update_service(cluster="default", service="nginx", desiredCount=0)
    for a in agents:
        a.sync()
    svc = _svc(ecs)
    assert (svc["runningCount"], svc["pendingCount"], svc["desiredCount"]) == (0, 0, 0)


def test_service_errors_and_delete(emu):
    ecs, (agent,) = _agents(emu, 1)
    _taskdef(ecs)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.create_service(cluster="nope", serviceName="x", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    assert _code(exc) == "ClusterNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.create_service(cluster="default", serviceName="x", taskDefinition="nginx", desiredCount=1, launchType="BOGUS")
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.create_service(cluster="default", serviceName="x", taskDefinition="nope", desiredCount=1, launchType="EXTERNAL")
    assert _code(exc) == "InvalidParameterException"
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.update_service(cluster="default", service="nope", desiredCount=1)
    assert _code(exc) == "ServiceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.delete_service(cluster="default", service="nginx")
    assert _code(exc) == "InvalidParameterException"
    assert ecs.list_services(cluster="default")["serviceArns"] == [
        "arn:aws:ecs:us-east-1:123456789012:service/default/nginx"]
    out = ecs.delete_service(cluster="default", service="nginx", force=True)["service"]
    assert out["status"] in ("DRAINING", "INACTIVE")
    assert ecs.list_services(cluster="default")["serviceArns"] == []
    assert _svc(ecs)["status"] == "DRAINING"  # until the agent reports its (pending) task stopped
    agent.sync()
    assert _svc(ecs)["status"] == "INACTIVE"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.update_service(cluster="default", service="nginx", desiredCount=1)
    assert _code(exc) == "ServiceNotActiveException"
    missing = ecs.describe_services(cluster="default", services=["nope"])
    assert missing["services"] == [] and missing["failures"][0]["reason"] == "MISSING"


def test_delete_service_drains_until_the_agent_stopped_its_tasks(emu):
    ecs, (agent,) = _agents(emu, 1)
    _taskdef(ecs)
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    agent.sync()
    ecs.update_service(cluster="default", service="nginx", desiredCount=0)
    out = ecs.delete_service(cluster="default", service="nginx")["service"]
    assert out["status"] == "DRAINING"
    agent.sync()
    assert _svc(ecs)["status"] == "INACTIVE"


# ---------------------------------------------------------------- tasks
def test_list_tasks_defaults_service_name_and_unknown_tasks(emu):
    ecs, (agent,) = _agents(emu, 1)
    _taskdef(ecs)
    _taskdef(ecs, family="other", containers=[{"name": "o", "image": "busybox", "memory": 64}])
    ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=1, launchType="EXTERNAL")
    ran = ecs.run_task(cluster="default", taskDefinition="other", launchType="EXTERNAL", count=2, startedBy="me")
    assert len(ran["tasks"]) == 2 and ran["failures"] == []
    agent.sync()
    all_running = ecs.list_tasks(cluster="default")["taskArns"]
    assert len(all_running) == 3
    svc_tasks = ecs.list_tasks(cluster="default", serviceName="nginx")["taskArns"]
    assert len(svc_tasks) == 1
    assert len(ecs.list_tasks(cluster="default", family="other")["taskArns"]) == 2
    assert len(ecs.list_tasks(cluster="default", startedBy="me")["taskArns"]) == 2
    stopped = ecs.stop_task(cluster="default", task=ran["tasks"][0]["taskArn"], reason="bye")["task"]
    assert stopped["desiredStatus"] == "STOPPED" and stopped["stoppedReason"] == "bye"
    agent.sync()
    assert len(ecs.list_tasks(cluster="default")["taskArns"]) == 2  # stopped tasks are not listed by default
    gone = ecs.list_tasks(cluster="default", desiredStatus="STOPPED")["taskArns"]
    assert gone == [ran["tasks"][0]["taskArn"]]
    t = ecs.describe_tasks(cluster="default", tasks=gone)["tasks"][0]
    assert t["lastStatus"] == "STOPPED" and t["stopCode"] == "UserInitiated"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.list_tasks(cluster="default", serviceName="nope")
    assert _code(exc) == "ServiceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.stop_task(cluster="default", task="0" * 32)
    assert _code(exc) == "InvalidParameterException"
    out = ecs.describe_tasks(cluster="default", tasks=["0" * 32])
    assert out["tasks"] == [] and out["failures"][0]["reason"] == "MISSING"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.submit_task_state_change(cluster="default", task="0" * 32, status="RUNNING")
    assert _code(exc) == "InvalidParameterException"


def test_describe_tasks_is_stable(emu):
    """moto advances a task one state per describe; the emulator must not."""
    ecs, (agent,) = _agents(emu, 1)
    _taskdef(ecs)
    arn = ecs.run_task(cluster="default", taskDefinition="nginx", launchType="EXTERNAL")["tasks"][0]["taskArn"]
    agent.sync()
    for _ in range(5):
        assert ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0]["lastStatus"] == "RUNNING"


def test_tags_on_ecs_resources(emu):
    ecs, (agent,) = _agents(emu, 1)
    td = _taskdef(ecs)
    svc = ecs.create_service(cluster="default", serviceName="nginx", taskDefinition="nginx", desiredCount=0,
                             launchType="EXTERNAL", tags=[{"key": "app", "value": "web"}])["service"]
    cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/default"
    for arn in (cluster_arn, svc["serviceArn"], agent.arn, td["taskDefinitionArn"]):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
        assert {"key": "k", "value": "v"} in ecs.list_tags_for_resource(resourceArn=arn)["tags"]
        ecs.untag_resource(resourceArn=arn, tagKeys=["k"])
        assert {"key": "k", "value": "v"} not in ecs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert ecs.list_tags_for_resource(resourceArn=svc["serviceArn"])["tags"] == [{"key": "app", "value": "web"}]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.list_tags_for_resource(resourceArn="arn:aws:ecs:us-east-1:123456789012:cluster/nope")
    assert _code(exc) == "ResourceNotFoundException"


def test_daemon_service_runs_one_task_per_instance(emu):
    ecs, agents = _agents(emu, 2)
    _taskdef(ecs, family="agent", containers=[{"name": "a", "image": "busybox", "memory": 32}])
    svc = ecs.create_service(cluster="default", serviceName="daemon", taskDefinition="agent", launchType="EXTERNAL",
                             schedulingStrategy="DAEMON")["service"]
    assert svc["schedulingStrategy"] == "DAEMON"
    assert [len(a.assigned()) for a in agents] == [1, 1]
    act = emu.client("ssm").create_activation(IamRole="ecsAnywhereRole")
    late = emu.agent(act, "late")
    late.register()
    assert len(late.assigned()) == 1
    assert _svc(ecs, "daemon")["desiredCount"] == 3


def _virtual(emu, count, cluster="default", **kw):
    status, out = emu.op("POST", "virtual-instances", dict({"cluster": cluster, "count": count}, **kw))
    assert status == 200, out
    return out


def _service_tasks(ecs, name, desired="RUNNING", cluster="default"):
    arns = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus=desired)["taskArns"]
    return ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []


def test_daemon_service_follows_active_instances(emu):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="daemon")
    vis = _virtual(emu, 3, cluster="daemon")
    _taskdef(ecs)
    ecs.create_service(cluster="daemon", serviceName="nginx", taskDefinition="nginx", launchType="EXTERNAL",
                       schedulingStrategy="DAEMON")
    svc = _svc(ecs, cluster="daemon")
    assert (svc["desiredCount"], svc["runningCount"]) == (3, 3)
    assert sorted(t["containerInstanceArn"] for t in _service_tasks(ecs, "nginx", cluster="daemon")) == sorted(
        vis["container_instance_arns"])
    # a new instance gets a task without any call to the service
    late = _virtual(emu, 1, cluster="daemon")
    svc = _svc(ecs, cluster="daemon")
    assert (svc["desiredCount"], svc["runningCount"]) == (4, 4)
    # a draining instance loses its task, and nothing replaces it elsewhere
    ecs.update_container_instances_state(cluster="daemon", containerInstances=late["container_instance_arns"],
                                         status="DRAINING")
    svc = _svc(ecs, cluster="daemon")
    assert (svc["desiredCount"], svc["runningCount"]) == (3, 3)
    assert late["container_instance_arns"][0] not in [t["containerInstanceArn"]
                                                      for t in _service_tasks(ecs, "nginx", cluster="daemon")]
    # a deregistered one too
    ecs.deregister_container_instance(cluster="daemon", containerInstance=vis["container_instance_arns"][0], force=True)
    assert _svc(ecs, cluster="daemon")["runningCount"] == 2


def test_daemon_service_refuses_count_and_placement_strategy(emu):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="daemon2")
    _taskdef(ecs)
    base = dict(cluster="daemon2", serviceName="nginx", taskDefinition="nginx", launchType="EXTERNAL",
                schedulingStrategy="DAEMON")
    for extra in ({"desiredCount": 1}, {"placementStrategy": [{"type": "spread", "field": "instanceId"}]}):
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            ecs.create_service(**base, **extra)
        assert _code(exc) == "InvalidParameterException"
    ecs.create_service(**base)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.update_service(cluster="daemon2", service="nginx", placementStrategy=[{"type": "random"}])
    assert _code(exc) == "InvalidParameterException"
    assert _svc(ecs, cluster="daemon2")["placementStrategy"] == []


def test_virtual_start_failure_stops_tasks_with_the_reason(emu):
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="fails")
    good = _virtual(emu, 1, cluster="fails")
    reason = ("CannotStartContainerError: Error response from daemon: driver failed programming external "
              "connectivity: listen tcp4 0.0.0.0:8080: bind: address already in use")
    bad = _virtual(emu, 1, cluster="fails", start_failure=reason)
    _taskdef(ecs)
    ecs.create_service(cluster="fails", serviceName="nginx", taskDefinition="nginx", launchType="EXTERNAL",
                       schedulingStrategy="DAEMON")
    # each call lets the failing agent fail one more start (as time passes for a real one)
    for _ in range(3):
        _svc(ecs, cluster="fails")
    svc = _svc(ecs, cluster="fails")
    assert (svc["desiredCount"], svc["runningCount"]) == (2, 1)
    stopped = _service_tasks(ecs, "nginx", desired="STOPPED", cluster="fails")
    assert len(stopped) >= 3
    for task in stopped:
        assert task["containerInstanceArn"] == bad["container_instance_arns"][0]
        assert task["stopCode"] == "TaskFailedToStart" and task["stoppedReason"].startswith("CannotStartContainerError")
        assert task["containers"][0]["reason"] == reason and "startedAt" not in task
    running = _service_tasks(ecs, "nginx", cluster="fails")
    assert [t["containerInstanceArn"] for t in running if t["lastStatus"] == "RUNNING"] == good["container_instance_arns"]
    # the operator frees the port: the next task starts
    status, out = emu.op("POST", "virtual-instances/start-failure", {"instance_ids": bad["instance_ids"], "reason": None})
    assert status == 200, out
    assert _svc(ecs, cluster="fails")["runningCount"] == 2
    assert emu.op("POST", "virtual-instances/start-failure", {"instance_ids": ["mi-00000000000000000"]})[0] == 400
