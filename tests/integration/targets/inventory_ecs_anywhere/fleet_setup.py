"""Build the fleet the target inspects, through boto3 and the emulator's operator
API only (never through the code under test), and write what was built as JSON.

usage: fleet_setup.py <integration_config.yml> <state.json>

Cluster it-fleet, one SSM activation (default instance name
ecs-anywhere-it-fleet-run1, so role ssm_activation's naming) and, registered with it:
  it-fleet-1..3  ECS + SSM, the pinned agent versions          healthy
  it-old-1       ECS + SSM, older agents                       version drift
  it-lost-1      ECS + SSM, agents stopped, clock +400 s       ECS disconnected, SSM ConnectionLost
  it-gone-1      SSM; its container instance deregistered      not registered in ECS
  it-plain-1     SSM only (never in ECS)                       non-ECS managed instance
  it-orphan-1    ECS + SSM, not in the static inventory        orphan
  it-tagged-1    ECS + SSM, SSM tag Site=north                 for the tag filter
Outside the fleet: it-other-1 (SSM only, no activation) and it-ok-1..2 (cluster it-fleet-ok, no activation).
"""
import json
import sys
import urllib.request

import boto3
import yaml
from botocore.config import Config

PINNED = {"ssm_agent_version": "3.3.1142.0", "ecs_agent_version": "1.105.1"}


def main(config_path, state_path):
    with open(config_path) as f:
        cfg = yaml.safe_load(f)
    url = cfg["aws_endpoint_url"]
    kw = dict(endpoint_url=url, region_name=cfg["aws_region"], aws_access_key_id=cfg["aws_access_key"],
              aws_secret_access_key=cfg["aws_secret_key"],
              config=Config(retries={"max_attempts": 10, "mode": "standard"}))  # setup survives --throttle
    iam, ecs, ssm = (boto3.client(s, **kw) for s in ("iam", "ecs", "ssm"))

    def op(path, body):
        req = urllib.request.Request(f"{url}/_emulator/{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    trust = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    try:
        iam.create_role(RoleName="it-fleet-role", AssumeRolePolicyDocument=json.dumps(trust))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    for cluster in ("it-fleet", "it-fleet-ok"):
        ecs.create_cluster(clusterName=cluster)
    activation = ssm.create_activation(IamRole="it-fleet-role", RegistrationLimit=20,
                                       DefaultInstanceName="ecs-anywhere-it-fleet-run1")["ActivationId"]

    def vi(prefix, count=1, **extra):
        body = dict({"cluster": "it-fleet", "count": count, "hostname_prefix": prefix, "activation_id": activation,
                     "region": cfg["aws_region"]}, **extra)
        return op("virtual-instances", body)["instances"]

    hosts = {}
    for group, made in (
        ("fleet", vi("it-fleet-", 3, **PINNED)),
        ("old", vi("it-old-")),
        ("lost", vi("it-lost-", **PINNED)),
        ("gone", vi("it-gone-", **PINNED)),
        ("plain", vi("it-plain-", ecs=False, **PINNED)),
        ("orphan", vi("it-orphan-", **PINNED)),
        ("tagged", vi("it-tagged-", **PINNED)),
        ("other", vi("it-other-", ecs=False, activation_id=None)),
        ("ok", vi("it-ok-", 2, cluster="it-fleet-ok", activation_id=None, **PINNED)),
    ):
        for h in made:
            hosts[h["computer_name"]] = dict(h, group=group)
    gone = hosts["it-gone-1"]
    ecs.deregister_container_instance(cluster="it-fleet", containerInstance=gone["container_instance_arn"], force=True)
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=hosts["it-tagged-1"]["instance_id"],
                             Tags=[{"Key": "Site", "Value": "north"}])
    op("virtual-instances/connection", {"instance_ids": [hosts["it-lost-1"]["instance_id"]], "connected": False})
    op("clock", {"advance_seconds": 400})
    with open(state_path, "w") as f:
        json.dump({"activation_id": activation, "hosts": hosts, "endpoint_url": url, "region": cfg["aws_region"],
                   "access_key": cfg["aws_access_key"], "secret_key": cfg["aws_secret_key"]}, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
