"""Operator API for fleet tests: SSM-only virtual instances and chosen agent versions."""
from __future__ import annotations


def test_virtual_instances_ssm_only_and_agent_versions(emu):
    ecs = emu.client("ecs")
    ssm = emu.client("ssm")
    ecs.create_cluster(clusterName="fleet")
    # SSM only: no cluster needed, no container instance anywhere
    status, out = emu.op("POST", "virtual-instances", {"count": 2, "ecs": False, "hostname_prefix": "plain-",
                                                       "cluster": "no-such-cluster"})
    assert status == 200 and len(out["instance_ids"]) == 2
    assert out["container_instance_arns"] == []
    assert [i["container_instance_arn"] for i in out["instances"]] == [None, None]
    info = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": out["instance_ids"]}])
    assert sorted(i["ComputerName"] for i in info["InstanceInformationList"]) == ["plain-1", "plain-2"]
    assert ecs.list_container_instances(cluster="fleet")["containerInstanceArns"] == []
    # "false" as a string (Ansible's uri) works too
    _, out2 = emu.op("POST", "virtual-instances", {"count": 1, "ecs": "false", "hostname_prefix": "plain-"})
    assert out2["container_instance_arns"] == []

    # chosen agent versions, reported by SSM and ECS
    _, pinned = emu.op("POST", "virtual-instances", {"cluster": "fleet", "count": 1, "hostname_prefix": "new-",
                                                     "ssm_agent_version": "3.3.1957.0", "ecs_agent_version": "1.89.2"})
    mi = pinned["instance_ids"][0]
    info = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [mi]}])["InstanceInformationList"][0]
    assert info["AgentVersion"] == "3.3.1957.0"
    ci = ecs.describe_container_instances(cluster="fleet", containerInstances=pinned["container_instance_arns"])
    assert ci["containerInstances"][0]["versionInfo"]["agentVersion"] == "1.89.2"
    # defaults unchanged
    _, old = emu.op("POST", "virtual-instances", {"cluster": "fleet", "count": 1, "hostname_prefix": "old-"})
    info = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": old["instance_ids"]}])
    assert info["InstanceInformationList"][0]["AgentVersion"] == "3.3.0.0"
    ci = ecs.describe_container_instances(cluster="fleet", containerInstances=old["container_instance_arns"])
    assert ci["containerInstances"][0]["versionInfo"]["agentVersion"] == "1.80.0"
