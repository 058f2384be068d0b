"""Fixtures: one emulator per xdist worker, reset before every test."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from sandbox.emulator import ssm_auth
from sandbox.emulator.server import EmulatorServer

REGION = "us-east-1"
FAST = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=10)
SSM_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="session")
def server():
    srv = EmulatorServer(port=0).start()
    yield srv
    srv.stop()


def _json_call(req: urllib.request.Request) -> tuple[int, dict]:
    """-> (HTTP status, JSON answer), error answers included."""
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class Emu:
    """Test-side handle: boto3 clients, raw agent calls, operator API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def client(self, service: str, creds: tuple | None = None, region: str = REGION, **extra):
        key, secret, token = creds or ("testing", "testing", None)
        return boto3.client(service, endpoint_url=self.url, region_name=region, aws_access_key_id=key,
                            aws_secret_access_key=secret, aws_session_token=token, config=extra.pop("config", FAST),
                            **extra)

    def op(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        return _json_call(urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method,
                                                 headers={"Content-Type": "application/json"}))

    def post(self, headers: dict, data: bytes) -> tuple[int, dict]:
        """POST / with these headers and body, as they are (after signing: nothing is added)."""
        return _json_call(urllib.request.Request(self.url + "/", data=data, headers=headers, method="POST"))

    def raw(self, target: str, body: dict, headers: dict | None = None, creds: tuple | None = None,
            service: str = "ssm", region: str = REGION):
        """A raw JSON-protocol call as an agent makes it; signed when creds are given."""
        data = json.dumps(body).encode()
        hdrs = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1", **(headers or {})}
        req = AWSRequest(method="POST", url=self.url + "/", data=data, headers=hdrs)
        if creds:
            SigV4Auth(Credentials(*creds), service, region).add_auth(req)
        return self.post(dict(req.headers.items()), data)

    def rsa_signed(self, key, mi: str, op: str, body: dict, amz_date: str | None = None,
                   region: str = REGION) -> tuple[dict, bytes]:
        """Headers and body of `AmazonSSM.<op>` RSA-signed as the SSM agent signs it (ssm_auth.sign)."""
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AmazonSSM.{op}"}
        return ssm_auth.sign(key, mi, region, "POST", self.url + "/", headers, data, amz_date=amz_date), data

    # -------- common set-ups
    def role(self, name: str = "ecsAnywhereRole") -> str:
        iam = self.client("iam")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SSM_TRUST))
        return name

    def activation(self, limit: int = 5, **kw) -> dict:
        role = kw.pop("IamRole", None) or self.role()
        return self.client("ssm").create_activation(IamRole=role, RegistrationLimit=limit, **kw)

    def register_instance(self, activation: dict, public_key: str, fingerprint: str) -> str:
        """RegisterManagedInstance as the SSM agent calls it (unsigned) -> the mi- id."""
        status, out = self.raw("AmazonSSM.RegisterManagedInstance", {
            "ActivationId": activation["ActivationId"], "ActivationCode": activation["ActivationCode"],
            "PublicKey": public_key, "PublicKeyType": "Rsa", "Fingerprint": fingerprint})
        assert status == 200, out
        return out["InstanceId"]

    def agent(self, activation: dict, name: str = "edge-1") -> "Agent":
        return Agent(self, activation, name)


class Agent:
    """A stand-in edge host: SSM registration, credentials, ECS registration."""

    def __init__(self, emu: Emu, activation: dict, name: str) -> None:
        self.emu = emu
        self.name = name
        self.fingerprint = "fp-" + name
        #: the registration key (an RSA key, as the agent's: it signs RequestManagedInstanceRoleToken)
        self.key, public_key = ssm_auth.new_key()
        self.mi = emu.register_instance(activation, public_key, self.fingerprint)
        status, tok = self.rsa_call("RequestManagedInstanceRoleToken", {"Fingerprint": self.fingerprint})
        assert status == 200, tok
        self.creds = (tok["AccessKeyId"], tok["SecretAccessKey"], tok["SessionToken"])
        self.ecs = emu.client("ecs", self.creds)
        self.arn = None

    def rsa_call(self, op: str, body: dict, mi: str | None = None) -> tuple[int, dict]:
        """`AmazonSSM.<op>` signed with this agent's RSA key, as the instance (or as `mi`)."""
        return self.emu.post(*self.emu.rsa_signed(self.key, mi or self.mi, op, body))

    def heartbeat(self, **info):
        body = {"InstanceId": self.mi, "AgentName": "amazon-ssm-agent", "AgentVersion": "3.3.1142.0",
                "AgentStatus": "Active", "PlatformType": "Linux", "PlatformName": "Debian GNU/Linux",
                "PlatformVersion": "12", "IPAddress": "10.0.0.10", "ComputerName": self.name, **info}
        return self.emu.raw("AmazonSSM.UpdateInstanceInformation", body, creds=self.creds)

    def register(self, cluster: str = "default", cpu: int = 2048, memory: int = 3800, **kw):
        ci = self.ecs.register_container_instance(
            cluster=cluster, instanceIdentityDocument="",
            totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
                            {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", "2376", "51678", "51679"]},
                            {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []}],
            versionInfo={"agentVersion": "1.80.0", "agentHash": "abc", "dockerVersion": "DockerVersion: 20.10.24"},
            attributes=[{"name": "ecs.capability.external"}, {"name": "ecs.os-type", "value": "linux"}], **kw)
        self.arn = ci["containerInstance"]["containerInstanceArn"]
        return ci["containerInstance"]

    def poll(self, cluster: str = "default"):
        return self.ecs.discover_poll_endpoint(cluster=cluster, containerInstance=self.arn)

    def assigned(self, cluster: str = "default", desired: str = "RUNNING") -> list[dict]:
        arns = self.ecs.list_tasks(cluster=cluster, containerInstance=self.arn, desiredStatus=desired)["taskArns"]
        return self.ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []

    def sync(self, cluster: str = "default") -> int:
        """Run what is assigned, stop what should stop; returns the number of changes."""
        n = 0
        for t in self.assigned(cluster, "RUNNING"):
            if t["lastStatus"] == "PENDING":
                self.ecs.submit_task_state_change(cluster=cluster, task=t["taskArn"], status="RUNNING")
                n += 1
        for t in self.assigned(cluster, "STOPPED"):
            if t["lastStatus"] != "STOPPED":
                self.ecs.submit_task_state_change(cluster=cluster, task=t["taskArn"], status="STOPPED")
                n += 1
        return n


@pytest.fixture
def emu(server):
    e = Emu(server.url)
    status, _ = e.op("POST", "reset")
    assert status == 200
    e.op("DELETE", "faults")
    yield e
