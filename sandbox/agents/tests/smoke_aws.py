# Copyright: edgeops.ecs_anywhere contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS-side steps of sandbox/agents/tests/smoke.sh, run with boto3 against the emulator.

python smoke_aws.py ENDPOINT COMMAND [ARGS...]
  activation ROLE CLUSTER          -> prints "ACTIVATION_ID ACTIVATION_CODE" (IAM role created first)
  instance CLUSTER MI_ID           -> asserts one ACTIVE, connected container instance with ec2InstanceId MI_ID;
                                      prints its ARN
  ssm-online MI_ID                 -> asserts the managed instance is Online
  service CLUSTER NAME HOST_PORT   -> registers an EXTERNAL nginx task definition + service (desiredCount 1)
  tasks CLUSTER NAME STATUS [N]    -> waits until N (default 1) tasks of the service have lastStatus STATUS
  scale CLUSTER NAME COUNT         -> update the service's desiredCount
  stopped CLUSTER NAME             -> waits until every task of the service is STOPPED; prints how many
  missing-image CLUSTER CI_ARN     -> StartTask with an image that is not on the host: waits for STOPPED with
                                      a CannotPullContainerError reason (and no registry pull)
"""
from __future__ import annotations

import json
import sys
import time

import boto3


def clients(endpoint: str):
    kw = {"endpoint_url": endpoint, "region_name": "us-east-1",
          "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client("iam", **kw), boto3.client("ssm", **kw), boto3.client("ecs", **kw)


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def wait(pred, timeout: float, what: str, interval: float = 1.0):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    fail(f"timed out after {timeout:.0f}s waiting for {what}")


def main(argv: list[str]) -> None:
    endpoint, cmd, args = argv[0], argv[1], argv[2:]
    iam, ssm, ecs = clients(endpoint)
    if cmd == "activation":
        role, cluster = args
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                         "Action": "sts:AssumeRole"}]}
        try:
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        except iam.exceptions.EntityAlreadyExistsException:
            pass
        for pol in ("AmazonSSMManagedInstanceCore", "service-role/AmazonEC2ContainerServiceforEC2Role"):
            iam.attach_role_policy(RoleName=role, PolicyArn=f"arn:aws:iam::aws:policy/{pol}")
        ecs.create_cluster(clusterName=cluster)
        act = ssm.create_activation(IamRole=role, RegistrationLimit=1, DefaultInstanceName="smoke-edge")
        print(act["ActivationId"], act["ActivationCode"])
    elif cmd == "instance":
        cluster, mi = args

        def found():
            arns = ecs.list_container_instances(cluster=cluster).get("containerInstanceArns", [])
            if not arns:
                return None
            cis = ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]
            mine = [c for c in cis if c["ec2InstanceId"] == mi and c["status"] == "ACTIVE" and c["agentConnected"]]
            return mine[0] if len(mine) == 1 else None

        ci = wait(found, 30, f"an ACTIVE connected container instance for {mi}")
        attrs = {a["name"] for a in ci.get("attributes", [])}
        if "ecs.capability.external" not in attrs:
            fail("container instance lacks ecs.capability.external")
        print(ci["containerInstanceArn"])
    elif cmd == "ssm-online":
        (mi,) = args
        info = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [mi]}])["InstanceInformationList"]
        if not info or info[0]["PingStatus"] != "Online" or info[0].get("AgentVersion") is None:
            fail(f"managed instance {mi} is not Online with an agent version: {info}")
        print(info[0]["PingStatus"], info[0]["AgentVersion"])
    elif cmd == "service":
        cluster, name, port = args
        td = ecs.register_task_definition(
            family=name, requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
            containerDefinitions=[{"name": "nginx", "image": "public.ecr.aws/nginx/nginx:stable", "memory": 256,
                                   "cpu": 256, "essential": True,
                                   "portMappings": [{"containerPort": 80, "hostPort": int(port), "protocol": "tcp"}]}],
        )["taskDefinition"]
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=td["taskDefinitionArn"],
                           desiredCount=1, launchType="EXTERNAL")
        print(td["taskDefinitionArn"])
    elif cmd == "tasks":
        cluster, name, status = args[:3]
        n = int(args[3]) if len(args) > 3 else 1

        def ready():
            arns = ecs.list_tasks(cluster=cluster, serviceName=name).get("taskArns", [])
            if not arns:
                return None
            tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
            ok = [t for t in tasks if t["lastStatus"] == status]
            return ok if len(ok) == n else None

        tasks = wait(ready, 60, f"{n} task(s) of {name} {status}")
        print(" ".join(t["taskArn"] for t in tasks))
    elif cmd == "scale":
        cluster, name, count = args
        ecs.update_service(cluster=cluster, service=name, desiredCount=int(count))
    elif cmd == "stopped":
        cluster, name = args

        def done():
            running = ecs.list_tasks(cluster=cluster, serviceName=name).get("taskArns", [])
            stopped = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus="STOPPED").get("taskArns", [])
            if running or not stopped:
                return None
            tasks = ecs.describe_tasks(cluster=cluster, tasks=stopped)["tasks"]
            return tasks if all(t["lastStatus"] == "STOPPED" for t in tasks) else None

        print(len(wait(done, 60, f"the tasks of {name} to stop")))
    elif cmd == "missing-image":
        cluster, ci = args
        td = ecs.register_task_definition(
            family="missing-image", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
            containerDefinitions=[{"name": "app", "image": "registry.invalid/none/app:1", "memory": 64, "essential": True}],
        )["taskDefinition"]
        task = ecs.start_task(cluster=cluster, taskDefinition=td["taskDefinitionArn"], containerInstances=[ci])["tasks"][0]

        def stopped():
            t = ecs.describe_tasks(cluster=cluster, tasks=[task["taskArn"]])["tasks"][0]
            return t if t["lastStatus"] == "STOPPED" else None

        t = wait(stopped, 60, "the task with a missing image to stop")
        if "CannotPullContainerError" not in t.get("stoppedReason", ""):
            fail(f"stoppedReason {t.get('stoppedReason')!r} does not name CannotPullContainerError")
        print(t["stoppedReason"])
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
