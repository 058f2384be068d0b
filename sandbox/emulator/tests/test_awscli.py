"""The AWS CLI (a client nobody here wrote) sees what boto3 sees."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

AWS = os.path.join(os.path.dirname(sys.executable), "aws")


def test_aws_cli_lists_what_boto3_lists(emu, tmp_path):
    if not os.access(AWS, os.X_OK):
        pytest.skip(f"{AWS} not installed (awscli is in requirements-dev.txt)")
    ecs = emu.client("ecs")
    ssm = emu.client("ssm")
    ecs.create_cluster(clusterName="default")
    act = emu.activation(limit=3, DefaultInstanceName="edge")
    emu.client("ssm").create_activation(IamRole="ecsAnywhereRole", Description="second")
    emu.op("POST", "virtual-instances", {"count": 2, "activation_id": act["ActivationId"]})
    agent = emu.agent(act, "real-1")
    agent.register()
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}])
    for name in ("web", "api"):
        ecs.create_service(cluster="default", serviceName=name, taskDefinition="web", desiredCount=1, launchType="EXTERNAL")

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "creds"),
                "AWS_MAX_ATTEMPTS": "1", "HOME": str(tmp_path)})
    base = ["--endpoint-url", emu.url, "--output", "json"]
    commands = {
        "activations": base + ["ssm", "describe-activations"],
        "instances": base + ["ecs", "list-container-instances", "--cluster", "default"],
        "services": base + ["ecs", "list-services", "--cluster", "default"],
    }
    # the real `aws` executable of the venv, the three commands side by side
    procs = {key: subprocess.Popen([AWS, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for key, args in commands.items()}
    out = {}
    for key, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, f"aws {' '.join(commands[key])}: {stderr}"
        out[key] = json.loads(stdout)

    boto_acts = ssm.describe_activations()["ActivationList"]
    cli_acts = out["activations"]["ActivationList"]
    assert [a["ActivationId"] for a in cli_acts] == [a["ActivationId"] for a in boto_acts]
    assert len(cli_acts) == 2
    assert [a["RegistrationsCount"] for a in cli_acts] == [3, 0]
    assert sorted(out["instances"]["containerInstanceArns"]) == sorted(
        ecs.list_container_instances(cluster="default")["containerInstanceArns"])
    assert len(out["instances"]["containerInstanceArns"]) == 3
    assert sorted(out["services"]["serviceArns"]) == sorted(ecs.list_services(cluster="default")["serviceArns"])
    assert len(out["services"]["serviceArns"]) == 2
