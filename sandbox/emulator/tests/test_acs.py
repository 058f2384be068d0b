"""ACS / TCS websockets (acs.py) driven by a minimal RFC 6455 client, as the real ECS agent speaks them."""
from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
import urllib.parse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sandbox.emulator import acs

from .conftest import REGION


class WsClient:
    def __init__(self, url: str, path: str, creds: tuple | None) -> None:
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=10)
        self.rbuf = b""
        headers = {"Host": f"{u.hostname}:{u.port}"}
        if creds:
            req = AWSRequest(method="GET", url=url + path, headers=dict(headers))
            SigV4Auth(Credentials(*creds), "ecs", REGION).add_auth(req)
            headers = dict(req.headers.items())
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"] + [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._until(b"\r\n\r\n").decode()
        self.status = int(head.split(" ", 2)[1])
        self.body = b""
        if self.status != 101:
            length = int(next(ln.split(":", 1)[1] for ln in head.split("\r\n") if ln.lower().startswith("content-length")))
            self.body = self._take(length)
        else:
            assert f"Sec-WebSocket-Accept: {acs.accept_key(key)}" in head

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.rbuf += data

    def _until(self, sep: bytes) -> bytes:
        while sep not in self.rbuf:
            self._fill()
        head, self.rbuf = self.rbuf.split(sep, 1)
        return head

    def _take(self, n: int) -> bytes:
        while len(self.rbuf) < n:
            self._fill()
        out, self.rbuf = self.rbuf[:n], self.rbuf[n:]
        return out

    def send_raw(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, msg_type: str, message: dict) -> None:
        self.send_raw(json.dumps({"type": msg_type, "message": message}))

    def recv(self, timeout: float = 5) -> tuple[str, dict]:
        self.sock.settimeout(timeout)
        b1, b2 = self._take(2)
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        payload = self._take(n)
        if b1 & 0x0F == 0x8:
            return "CLOSE", {}
        msg = json.loads(payload)
        return msg["type"], msg["message"]

    def wait_for(self, msg_type: str, timeout: float = 5) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t, m = self.recv(max(0.1, deadline - time.monotonic()))
            if t == msg_type:
                return m
        raise AssertionError(f"no {msg_type} within {timeout} s")

    def close(self) -> None:
        try:
            self.sock.sendall(struct.pack("!BB", 0x88, 0x82) + b"\0\0\0\0" + struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def acs_path(cluster: str, ci_arn: str, agent_version: str = "1.105.1") -> str:
    q = urllib.parse.urlencode({"agentHash": "a8b3e7d3", "agentVersion": agent_version, "clusterArn": cluster,
                                "containerInstanceArn": ci_arn, "dockerVersion": "DockerVersion: 20.10.24",
                                "protocolVersion": "2", "sendCredentials": "true", "seqNum": "1"})
    return "/ws?" + q


@pytest.fixture
def fast_heartbeat(monkeypatch):
    monkeypatch.setattr(acs, "HEARTBEAT_SECONDS", 0.3)


@pytest.fixture
def node(emu):
    emu.client("ecs").create_cluster(clusterName="edge")
    agent = emu.agent(emu.activation())
    agent.register("edge")
    return agent


def _ci(emu, arn):
    return emu.client("ecs").describe_container_instances(cluster="edge", containerInstances=[arn])["containerInstances"][0]


def test_acs_refuses_unsigned_foreign_and_unknown(emu, node):
    ws = WsClient(emu.url, acs_path("edge", node.arn), None)
    assert ws.status == 403 and b"AccessDeniedException" in ws.body
    other = emu.agent(emu.client("ssm").create_activation(IamRole="ecsAnywhereRole", RegistrationLimit=1), name="edge-2")
    ws = WsClient(emu.url, acs_path("edge", node.arn), other.creds)
    assert ws.status == 403, ws.body
    ws = WsClient(emu.url, acs_path("edge", node.arn.rsplit("/", 1)[0] + "/" + "0" * 32), node.creds)
    assert ws.status == 400 and b"InactiveInstanceException" in ws.body
    node.ecs.deregister_container_instance(cluster="edge", containerInstance=node.arn)
    ws = WsClient(emu.url, acs_path("edge", node.arn), node.creds)
    assert ws.status == 400 and b"InactiveInstanceException" in ws.body


def test_agent_connected_while_acs_open_and_version_from_connection(emu, node, fast_heartbeat):
    ws = WsClient(emu.url, acs_path("edge", node.arn), node.creds)
    assert ws.status == 101
    hb = ws.wait_for("HeartbeatMessage")
    assert hb["healthy"] is True and hb["messageId"]
    ws.send("HeartbeatAckRequest", {"messageId": hb["messageId"]})
    emu.op("POST", "clock", {"advance_seconds": 600})  # no DiscoverPollEndpoint for 10 min: still connected
    ci = _ci(emu, node.arn)
    assert ci["agentConnected"] is True
    assert ci["versionInfo"] == {"agentVersion": "1.105.1", "agentHash": "a8b3e7d3", "dockerVersion": "DockerVersion: 20.10.24"}
    ws.close()
    time.sleep(0.5)
    assert _ci(emu, node.arn)["agentConnected"] is True  # grace after a disconnect (the agent reconnects at once)
    emu.op("POST", "clock", {"advance_seconds": 121})
    assert _ci(emu, node.arn)["agentConnected"] is False


def test_payload_for_placed_and_stopping_tasks(emu, node):
    ecs = emu.client("ecs")
    emu.client("iam").create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    exec_role = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
    ecs.register_task_definition(
        family="web", networkMode="bridge", requiresCompatibilities=["EXTERNAL"], executionRoleArn=exec_role,
        containerDefinitions=[{
            "name": "nginx", "image": "public.ecr.aws/nginx/nginx:stable", "memory": 128, "cpu": 64,
            "environment": [{"name": "A", "value": "1"}],
            "portMappings": [{"containerPort": 80, "hostPort": 8080}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/edge/web", "awslogs-region": REGION,
                                                                     "awslogs-stream-prefix": "web"}}}])
    ws = WsClient(emu.url, acs_path("edge", node.arn), node.creds)
    assert ws.status == 101
    ecs.create_service(cluster="edge", serviceName="web", taskDefinition="web", launchType="EXTERNAL",
                       schedulingStrategy="DAEMON")
    msg = ws.wait_for("PayloadMessage")
    assert msg["clusterArn"].endswith(":cluster/edge") and msg["containerInstanceArn"] == node.arn
    assert msg["messageId"] and msg["seqNum"] == 1 and isinstance(msg["generatedAt"], int)
    (task,) = msg["tasks"]
    assert task["desiredStatus"] == "RUNNING" and task["family"] == "web" and task["networkMode"] == "bridge"
    (c,) = task["containers"]
    assert c["image"] == "public.ecr.aws/nginx/nginx:stable" and c["memory"] == 128 and c["cpu"] == 64
    assert c["essential"] is True and c["environment"] == {"A": "1"}
    assert c["portMappings"] == [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]
    host_config = json.loads(c["dockerConfig"]["hostConfig"])
    assert host_config["LogConfig"] == {"Type": "awslogs", "Config": {
        "awslogs-group": "/edge/web", "awslogs-region": REGION,
        "awslogs-stream": f"web/nginx/{task['arn'].rsplit('/', 1)[-1]}"}}  # ECS resolves the prefix, docker does not know it
    assert c["logsAuthStrategy"] == "ExecutionRole"
    creds = task["executionRoleCredentials"]
    assert creds["roleArn"] == exec_role and creds["accessKeyId"].startswith("ASIA") and creds["credentialsId"]
    ws.send("AckRequest", {"cluster": "edge", "containerInstance": node.arn, "messageId": msg["messageId"]})
    ws.send("IAMRoleCredentialsAckRequest", {"messageId": msg["messageId"], "credentialsId": creds["credentialsId"],
                                             "expiration": creds["expiration"]})

    # calls signed with the execution role's credentials are accepted (moto's CloudWatch Logs here)
    logs = emu.client("logs", (creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"]))
    logs.create_log_group(logGroupName="/edge/web")
    assert [g["logGroupName"] for g in emu.client("logs").describe_log_groups()["logGroups"]] == ["/edge/web"]

    # the agent reports the container RUNNING as the real one does (numbers for timestamps)
    now = time.time()
    node.ecs.submit_container_state_change(cluster="edge", task=task["arn"], containerName="nginx", status="RUNNING",
                                           runtimeId="abc123", networkBindings=[{"bindIP": "0.0.0.0", "containerPort": 80,
                                                                                 "hostPort": 8080, "protocol": "tcp"}])
    node.ecs.submit_task_state_change(cluster="edge", task=task["arn"], status="RUNNING", pullStartedAt=now,
                                      pullStoppedAt=now, containers=[{"containerName": "nginx", "status": "RUNNING",
                                                                      "runtimeId": "abc123"}])
    node.ecs.submit_attachment_state_changes(cluster="edge", attachments=[])
    t = ecs.describe_tasks(cluster="edge", tasks=[task["arn"]])["tasks"][0]
    assert t["lastStatus"] == "RUNNING" and t["containers"][0]["runtimeId"] == "abc123"

    # a NACK: the task is sent again
    ecs.stop_task(cluster="edge", task=task["arn"], reason="operator")
    msg2 = ws.wait_for("PayloadMessage")
    assert [x["desiredStatus"] for x in msg2["tasks"]] == ["STOPPED"] and msg2["seqNum"] == 2
    assert "executionRoleCredentials" not in msg2["tasks"][0]
    ws.send("NackRequest", {"cluster": "edge", "containerInstance": node.arn, "messageId": msg2["messageId"],
                            "reason": "busy"})
    msg3 = ws.wait_for("PayloadMessage", timeout=acs.NACK_RETRY_SECONDS + 5)
    assert msg3["tasks"][0]["arn"] == task["arn"] and msg3["tasks"][0]["desiredStatus"] == "STOPPED"
    ws.send("AckRequest", {"cluster": "edge", "containerInstance": node.arn, "messageId": msg3["messageId"]})

    # task stop verification: stop what ECS wants stopped (or does not know), keep the rest
    ws.send("TaskStopVerificationMessage", {"messageId": "v-1", "stopCandidates": [
        {"taskArn": task["arn"], "taskClusterArn": msg["clusterArn"], "desiredStatus": "RUNNING"},
        {"taskArn": msg["clusterArn"].replace(":cluster/", ":task/") + "/" + "f" * 32, "desiredStatus": "RUNNING"}]})
    ack = ws.wait_for("TaskStopVerificationAck")
    assert ack["messageId"] == "v-1" and len(ack["stopTasks"]) == 2
    assert all(s["desiredStatus"] == "STOPPED" for s in ack["stopTasks"])

    node.ecs.submit_task_state_change(cluster="edge", task=task["arn"], status="STOPPED",
                                      containers=[{"containerName": "nginx", "status": "STOPPED", "exitCode": 0}])
    t = ecs.describe_tasks(cluster="edge", tasks=[task["arn"]])["tasks"][0]
    assert t["lastStatus"] == "STOPPED" and t["containers"][0]["exitCode"] == 0
    counts = emu.op("GET", "counts")[1]
    assert counts["ecs.ACS.AckRequest"] == 2 and counts["ecs.ACS.NackRequest"] == 1
    ws.close()


def test_tcs_acknowledges_signed_messages(emu, node, fast_heartbeat):
    q = urllib.parse.urlencode({"cluster": "edge", "containerInstance": node.arn, "agentVersion": "1.105.1",
                                "agentHash": "a8b3e7d3", "dockerVersion": "20.10.24"})
    ws = WsClient(emu.url, "/ws?" + q, node.creds)
    assert ws.status == 101
    # tcs/client signRequestFunc: a signed HTTP header block, an empty line, then the JSON
    ws.send_raw("Authorization: AWS4-HMAC-SHA256 Credential=x/20261201/us-east-1/ecs/aws4_request\r\nHost: emu\r\n\r\n"
                + json.dumps({"type": "PublishMetricsRequest", "message": {"metadata": {"cluster": "edge",
                              "containerInstance": node.arn, "idle": True, "messageId": "m1"}, "taskMetrics": []}}))
    assert ws.wait_for("AckPublishMetric") == {"message": "ack"}
    ws.send("PublishHealthRequest", {"metadata": {"cluster": "edge"}, "tasks": []})
    ws.wait_for("AckPublishHealth")
    ws.send("PublishInstanceStatusRequest", {"metadata": {"cluster": "edge"}, "statuses": []})
    ws.wait_for("AckPublishInstanceStatus")
    assert ws.wait_for("HeartbeatMessage") == {"healthy": True}
    ws.close()


def test_drain_and_deregistration_stop_tasks_and_close_acs(emu, node):
    ecs = emu.client("ecs")
    ecs.register_task_definition(family="w", containerDefinitions=[{"name": "c", "image": "busybox", "memory": 32}])
    ws = WsClient(emu.url, acs_path("edge", node.arn), node.creds)
    ecs.create_service(cluster="edge", serviceName="w", taskDefinition="w", desiredCount=1, launchType="EXTERNAL")
    (task,) = ws.wait_for("PayloadMessage")["tasks"]
    node.ecs.submit_task_state_change(cluster="edge", task=task["arn"], status="RUNNING")
    ecs.update_container_instances_state(cluster="edge", containerInstances=[node.arn], status="DRAINING")
    (stop,) = ws.wait_for("PayloadMessage")["tasks"]
    assert stop["arn"] == task["arn"] and stop["desiredStatus"] == "STOPPED"
    node.ecs.submit_task_state_change(cluster="edge", task=task["arn"], status="STOPPED")
    ecs.update_container_instances_state(cluster="edge", containerInstances=[node.arn], status="ACTIVE")
    (task2,) = ws.wait_for("PayloadMessage")["tasks"]
    assert task2["arn"] != task["arn"] and task2["desiredStatus"] == "RUNNING"
    ecs.deregister_container_instance(cluster="edge", containerInstance=node.arn, force=True)
    (stop2,) = ws.wait_for("PayloadMessage")["tasks"]
    assert stop2["arn"] == task2["arn"] and stop2["desiredStatus"] == "STOPPED"
    assert ws.recv()[0] == "CLOSE"
    again = WsClient(emu.url, acs_path("edge", node.arn), node.creds)
    assert again.status == 400 and b"InactiveInstanceException" in again.body
