"""The ECS agent's websockets: ACS (control) and TCS (telemetry), RFC 6455 framing written here.

The real ECS agent (1.105.1, ECS_EXTERNAL=true) calls DiscoverPollEndpoint and
then opens ``{endpoint}/ws?clusterArn=..&containerInstanceArn=..&seqNum=1&
protocolVersion=2&sendCredentials=..`` (ACS) and ``{telemetryEndpoint}/ws?
cluster=..&containerInstance=..`` (TCS), SigV4-signed GETs with ``Upgrade:
websocket``. Both land on the emulator's own port: server.py hands the socket
of such a request to :meth:`WsHub.handle`.

Frames are JSON text ``{"type": T, "message": {...}}`` (models:
ecs-agent/acs/model/api/api-2.json and ecs-agent/tcs/model/api/api-2.json).

ACS, server -> agent: HeartbeatMessage every HEARTBEAT_SECONDS; PayloadMessage
with the tasks the scheduler placed on the container instance (desired
RUNNING) and again when their desired status turns STOPPED; TaskStopVerificationAck.
Agent -> server: HeartbeatAckRequest, AckRequest, IAMRoleCredentialsAckRequest,
TaskStopVerificationMessage, NackRequest (the tasks are sent again after
NACK_RETRY_SECONDS).

TCS: PublishMetricsRequest / PublishHealthRequest / PublishInstanceStatusRequest
are acknowledged (AckPublishMetric / AckPublishHealth / AckPublishInstanceStatus),
StartTelemetrySessionRequest is accepted, HeartbeatMessage every HEARTBEAT_SECONDS.

Authentication as elsewhere in the emulator: the SigV4 ``Authorization``
header's access key must be a managed instance's (no signature check), and the
container instance must belong to that managed instance.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
import struct
import threading
import time
import urllib.parse
import uuid
from typing import Any

LOG = logging.getLogger("sandbox.emulator.acs")

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: seconds between HeartbeatMessages (the agent drops a connection silent for ~1 min)
HEARTBEAT_SECONDS = 20.0
#: a NACKed payload's tasks are sent again after this
NACK_RETRY_SECONDS = 5.0
#: the sender re-checks the container instance's tasks at least this often (it is woken on changes)
POLL_SECONDS = 0.5
#: a connection from which nothing arrives for this long is closed
READ_TIMEOUT = 300.0
MAX_FRAME = 16 * 1024 * 1024

OP_CONT, OP_TEXT, OP_BIN, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WsClosed(Exception):
    pass


def is_upgrade(headers: Any) -> bool:
    return (headers.get("Upgrade", "").strip().lower() == "websocket"
            and "upgrade" in headers.get("Connection", "").lower())


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key.strip() + WS_GUID).encode()).digest()).decode()


class WebSocket:
    """Server side of one RFC 6455 connection over a request handler's socket."""

    def __init__(self, sock: socket.socket, rfile: Any) -> None:
        self.sock = sock
        self.rfile = rfile
        self.wlock = threading.Lock()
        self.closed = False

    def _read(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if data is None or len(data) < n:
            raise WsClosed("connection closed by peer")
        return data

    def recv(self) -> str | None:
        """The next text (or binary, decoded) message; None when the peer closes."""
        parts: list[bytes] = []
        while True:
            b1, b2 = self._read(2)
            fin, opcode = b1 & 0x80, b1 & 0x0F
            length = b2 & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            if length > MAX_FRAME:
                self.close(1009, "message too big")
                raise WsClosed("frame too big")
            mask = self._read(4) if b2 & 0x80 else None
            payload = self._read(length) if length else b""
            if mask:
                n = len(payload)
                key = int.from_bytes((mask * (n // 4 + 1))[:n], "big") if n else 0
                payload = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big") if n else b""
            if opcode == OP_PING:
                self._send(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000
                self.close(code if code in (1000, 1001) else 1000)
                return None
            if opcode in (OP_TEXT, OP_BIN, OP_CONT):
                parts.append(payload)
                if fin:
                    return b"".join(parts).decode("utf-8", "replace")

    def _send(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self.wlock:
            if self.closed and opcode != OP_CLOSE:
                raise WsClosed("connection closed")
            self.sock.sendall(head + payload)

    def send_json(self, msg_type: str, message: dict[str, Any]) -> None:
        self._send(OP_TEXT, json.dumps({"type": msg_type, "message": message}).encode())

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        try:
            self._send(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:120])
        except OSError:
            pass
        self.closed = True

    def shutdown(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _http_reject(handler: Any, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    reasons = {400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
    handler.wfile.write(
        f"HTTP/1.1 {status} {reasons.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    handler.close_connection = True


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class WsHub:
    """All open ACS/TCS sessions of one EmulatorApp."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.sessions: set["_Session"] = set()
        app.ecs.listeners.append(self.notify)

    def notify(self) -> None:
        """ECS state changed: wake the ACS senders (called with the app lock held)."""
        for s in list(self.sessions):
            s.wake.set()

    def close_all(self) -> None:
        for s in list(self.sessions):
            s.ws.shutdown()

    def describe(self) -> list[dict[str, Any]]:
        return [s.describe() for s in list(self.sessions)]

    # ------------------------------------------------------------ entry point (handler thread)
    def handle(self, handler: Any) -> None:
        handler.close_connection = True
        parsed = urllib.parse.urlsplit(handler.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        if parsed.path.rstrip("/") != "/ws":
            return _http_reject(handler, 404, {"message": f"no websocket endpoint {parsed.path}"})
        kind = "acs" if "containerInstanceArn" in query else "tcs" if "containerInstance" in query else None
        if kind is None:
            return _http_reject(handler, 400, {"BadRequestException": "Missing containerInstanceArn / containerInstance."})
        self.app.counts.inc(f"ecs.{kind.upper()}.Connect")
        auth = handler.headers.get("Authorization", "")
        access_key, region = None, "us-east-1"
        if "Credential=" in auth:
            try:
                access_key, _, region, _, _ = auth.split("Credential=", 1)[1].split(",", 1)[0].strip().split("/")
            except ValueError:
                pass
        app = self.app
        with app.lock:
            caller = app.ssm.caller_instance(access_key)
            if not caller:
                return _http_reject(handler, 403, {"AccessDeniedException": "The websocket must be signed with a managed "
                                                                            "instance's credentials."})
            cluster_ref = query.get("clusterArn") if kind == "acs" else query.get("cluster")
            ci_ref = query.get("containerInstanceArn") if kind == "acs" else query.get("containerInstance")
            try:
                cluster = app.ecs._cluster(region, cluster_ref)
            except Exception:
                return _http_reject(handler, 400, {"InactiveInstanceException": f"Cluster {cluster_ref} not found."})
            ci = app.ecs._ci(region, cluster, ci_ref)
            if ci is None or ci.status == "INACTIVE":
                return _http_reject(handler, 400, {"InactiveInstanceException": f"Container instance {ci_ref} is inactive."})
            if ci.ec2_id != caller.id:
                return _http_reject(handler, 403, {"AccessDeniedException": f"{ci_ref} belongs to another managed instance."})
        key = handler.headers.get("Sec-WebSocket-Key", "")
        if not key:
            return _http_reject(handler, 400, {"BadRequestException": "Sec-WebSocket-Key is missing."})
        handler.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n").encode())
        handler.connection.settimeout(READ_TIMEOUT)
        ws = WebSocket(handler.connection, handler.rfile)
        session = (AcsSession if kind == "acs" else TcsSession)(self, ws, region, ci, query)
        with self.lock:
            self.sessions.add(session)
        try:
            session.run()
        finally:
            with self.lock:
                self.sessions.discard(session)
            ws.shutdown()


class _Session:
    kind = "?"

    def __init__(self, hub: WsHub, ws: WebSocket, region: str, ci: Any, query: dict[str, str]) -> None:
        self.hub = hub
        self.app = hub.app
        self.ws = ws
        self.region = region
        self.ci = ci
        self.query = query
        self.wake = threading.Event()
        self.opened = time.time()
        self.received: dict[str, int] = {}

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "containerInstanceArn": self.ci.arn, "opened": self.opened,
                "received": dict(self.received)}

    def run(self) -> None:
        sender = threading.Thread(target=self._sender, daemon=True, name=f"{self.kind}-send-{self.ci.id[:8]}")
        self.on_open()
        sender.start()
        try:
            while True:
                text = self.ws.recv()
                if text is None:
                    break
                if not text.lstrip().startswith("{") and "\r\n\r\n" in text:
                    # TCS frames carry a signed HTTP header block before the JSON (tcs/client signRequestFunc)
                    text = text.split("\r\n\r\n", 1)[1]
                try:
                    msg = json.loads(text)
                    msg_type, body = msg.get("type", ""), msg.get("message") or {}
                except (ValueError, AttributeError):
                    LOG.warning("%s: undecodable message %r", self.kind, text[:200])
                    continue
                self.received[msg_type] = self.received.get(msg_type, 0) + 1
                self.app.counts.inc(f"ecs.{self.kind.upper()}.{msg_type}")
                self.on_message(msg_type, body)
        except (WsClosed, OSError):
            pass
        finally:
            self.ws.closed = True
            self.wake.set()
            self.on_close()
            sender.join(timeout=2)

    def _sender(self) -> None:
        last_hb = time.monotonic()
        try:
            while not self.ws.closed:
                self.tick()
                if time.monotonic() - last_hb >= HEARTBEAT_SECONDS:
                    self.heartbeat()
                    last_hb = time.monotonic()
                self.wake.wait(POLL_SECONDS)
                self.wake.clear()
        except (WsClosed, OSError):
            self.ws.shutdown()

    # hooks
    def on_open(self) -> None: ...
    def on_close(self) -> None: ...
    def on_message(self, msg_type: str, body: dict[str, Any]) -> None: ...
    def tick(self) -> None: ...
    def heartbeat(self) -> None: ...


class TcsSession(_Session):
    kind = "tcs"
    ACKS = {"PublishMetricsRequest": "AckPublishMetric", "PublishHealthRequest": "AckPublishHealth",
            "PublishInstanceStatusRequest": "AckPublishInstanceStatus"}

    def on_message(self, msg_type, body):
        ack = self.ACKS.get(msg_type)
        if ack:
            self.ws.send_json(ack, {"message": "ack"})
        with self.app.lock:
            self.ci.last_seen = self.app.clock.now()

    def heartbeat(self):
        self.ws.send_json("HeartbeatMessage", {"healthy": True})


class AcsSession(_Session):
    kind = "acs"

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.sent: dict[str, str] = {}           # task id -> desired status the agent was told
        self.unacked: dict[str, list[str]] = {}  # payload messageId -> task ids
        self.retry_after: dict[str, float] = {}  # task id -> monotonic time (after a NACK)
        self.send_credentials = self.query.get("sendCredentials", "false").lower() == "true"

    def on_open(self):
        ecs = self.app.ecs
        q = self.query
        with self.app.lock:
            self.ci.acs_open = getattr(self.ci, "acs_open", 0) + 1
            self.ci.last_seen = self.app.clock.now()
            # RegisterContainerInstance carries no versionInfo: ECS takes it from the ACS connection
            if q.get("agentVersion"):
                self.ci.version_info = {"agentVersion": q["agentVersion"], "agentHash": q.get("agentHash", ""),
                                        "dockerVersion": q.get("dockerVersion", "")}
            ecs.reconcile(self.region)  # an instance that (re)connects can take tasks now
        LOG.info("ACS connected: %s", self.ci.arn)

    def on_close(self):
        with self.app.lock:
            self.ci.acs_open = max(0, getattr(self.ci, "acs_open", 1) - 1)
            # the 120 s grace of agentConnected starts now (the agent reconnects at once normally)
            self.ci.last_seen = self.app.clock.now()
        LOG.info("ACS disconnected: %s", self.ci.arn)

    def heartbeat(self):
        self.ws.send_json("HeartbeatMessage", {"healthy": True, "messageId": str(uuid.uuid4())})

    def tick(self):
        with self.app.lock:
            msg = self._payload()
            inactive = self.ci.status == "INACTIVE"
        if msg is not None:
            self.ws.send_json("PayloadMessage", msg)
        if inactive:
            # deregistered: after the last stops, ACS drops the connection; the reconnect is refused with
            # InactiveInstanceException, on which the agent reports "Container instance is deregistered"
            self.ws.close(1000, "InactiveInstanceException")
            self.ws.shutdown()

    def _payload(self) -> dict[str, Any] | None:
        ecs = self.app.ecs
        now = time.monotonic()
        tasks = []
        ids = []
        for t in ecs.ci_tasks.get(self.ci.id, ()):
            if self.sent.get(t.id) == t.desired_status:
                continue
            if t.last_status == "STOPPED" and t.id not in self.sent:
                continue  # finished before this session: nothing to tell
            if self.retry_after.get(t.id, 0) > now:
                continue
            tasks.append(acs_task(ecs, t))
            ids.append(t.id)
        if not tasks:
            return None
        for t_id, t in zip(ids, tasks):
            self.sent[t_id] = t["desiredStatus"]
        seq = getattr(self.ci, "acs_seq", 0) + 1
        self.ci.acs_seq = seq
        mid = str(uuid.uuid4())
        self.unacked[mid] = ids
        return {"messageId": mid, "clusterArn": ecs._arn(self.region, "cluster", self.ci.cluster),
                "containerInstanceArn": self.ci.arn, "tasks": tasks, "seqNum": seq,
                "generatedAt": int(time.time())}

    def on_message(self, msg_type, body):
        with self.app.lock:
            self.ci.last_seen = self.app.clock.now()
        if msg_type == "AckRequest":
            with self.app.lock:  # sent/unacked are the sender thread's too
                self.unacked.pop(body.get("messageId", ""), None)
        elif msg_type == "NackRequest":
            LOG.warning("ACS: agent NACKed %s (%s); sending again in %s s", body.get("messageId"),
                        body.get("reason"), NACK_RETRY_SECONDS)
            with self.app.lock:
                for t_id in self.unacked.pop(body.get("messageId", ""), []):
                    self.sent.pop(t_id, None)
                    self.retry_after[t_id] = time.monotonic() + NACK_RETRY_SECONDS
        elif msg_type == "TaskStopVerificationMessage":
            stop = []
            with self.app.lock:
                for cand in body.get("stopCandidates") or []:
                    tid = str(cand.get("taskArn", "")).rsplit("/", 1)[-1]
                    t = self.app.ecs.tasks.get(self.region, {}).get(tid)
                    if t is None or t.desired_status == "STOPPED" or t.ci != self.ci.id:
                        stop.append({"taskArn": cand.get("taskArn"), "taskClusterArn": cand.get("taskClusterArn"),
                                     "desiredStatus": "STOPPED"})
            self.ws.send_json("TaskStopVerificationAck", {"messageId": body.get("messageId"),
                                                          "generatedAt": int(time.time()), "stopTasks": stop})
        # HeartbeatAckRequest, IAMRoleCredentialsAckRequest: nothing to do beyond last_seen


def acs_task(ecs: Any, t: Any) -> dict[str, Any]:
    """A task as ACS describes it to the agent (ecsacs Task shape)."""
    td = ecs._taskdef(t.region, t.td_arn)
    data = td.data
    bindings = {}
    for c in t.containers:
        bindings[c["name"]] = {(b["containerPort"], b.get("protocol", "tcp")): b["hostPort"] for b in c.get("networkBindings") or []}
    containers = []
    arns = {c["name"]: c["containerArn"] for c in t.containers}
    exec_role = data.get("executionRoleArn")
    for cd in data["containerDefinitions"]:
        host_config: dict[str, Any] = {}
        config: dict[str, Any] = {}
        log = cd.get("logConfiguration")
        if log:
            options = dict(log.get("options") or {})
            if log.get("logDriver") == "awslogs" and "awslogs-stream-prefix" in options:
                # ECS, not docker, knows the prefix: the stream is prefix/container-name/task-id
                options["awslogs-stream"] = f"{options.pop('awslogs-stream-prefix')}/{cd['name']}/{t.id}"
            host_config["LogConfig"] = {"Type": log.get("logDriver"), "Config": options}
        if cd.get("memoryReservation"):
            host_config["MemoryReservation"] = int(cd["memoryReservation"]) * 1024 * 1024
        if cd.get("ulimits"):
            host_config["Ulimits"] = [{"Name": u["name"], "Soft": u["softLimit"], "Hard": u["hardLimit"]} for u in cd["ulimits"]]
        if cd.get("user"):
            config["User"] = cd["user"]
        if cd.get("workingDirectory"):
            config["WorkingDir"] = cd["workingDirectory"]
        if cd.get("hostname"):
            config["Hostname"] = cd["hostname"]
        if cd.get("dockerLabels"):
            config["Labels"] = dict(cd["dockerLabels"])
        ports = []
        for pm in cd.get("portMappings") or []:
            proto = pm.get("protocol", "tcp")
            ports.append({"containerPort": pm["containerPort"], "protocol": proto,
                          "hostPort": bindings.get(cd["name"], {}).get((pm["containerPort"], proto), pm.get("hostPort", 0))})
        c: dict[str, Any] = {
            "name": cd["name"], "containerArn": arns.get(cd["name"]), "image": cd["image"],
            "cpu": int(cd.get("cpu") or 0), "memory": int(cd.get("memory") or 0),
            "essential": bool(cd.get("essential", True)), "portMappings": ports,
            "environment": {e["name"]: e.get("value", "") for e in cd.get("environment") or []},
            "mountPoints": list(cd.get("mountPoints") or []), "volumesFrom": list(cd.get("volumesFrom") or []),
            "links": list(cd.get("links") or []),
            "dockerConfig": {"version": "1.17", "config": json.dumps(config), "hostConfig": json.dumps(host_config)},
            "logsAuthStrategy": "ExecutionRole" if exec_role and log and log.get("logDriver") == "awslogs" else "Default",
        }
        for key in ("command", "entryPoint"):
            if cd.get(key):
                c[key] = list(cd[key])
        if cd.get("privileged") is not None:
            c["privileged"] = bool(cd["privileged"])
        for key in ("startTimeout", "stopTimeout"):
            if cd.get(key):
                c[key] = int(cd[key])
        if cd.get("dependsOn"):
            c["dependsOn"] = [{"containerName": d["containerName"], "condition": d["condition"]} for d in cd["dependsOn"]]
        containers.append(c)
    out: dict[str, Any] = {
        "arn": t.arn, "taskClusterArn": ecs._arn(t.region, "cluster", t.cluster), "family": td.family,
        "version": str(t.version), "desiredStatus": t.desired_status, "containers": containers,
        "volumes": [{"name": v["name"], "type": "host", "host": {"sourcePath": (v.get("host") or {}).get("sourcePath", "")}}
                    for v in data.get("volumes") or [] if v.get("name")],
        "networkMode": data.get("networkMode", "bridge"), "launchType": t.launch_type,
        "taskDefinitionAccountId": ecs._arn(t.region, "x", "y").split(":")[4],
        "group": t.group, "elasticNetworkInterfaces": [], "associations": [], "attachments": [],
    }
    if t.service_arn:
        out["serviceName"] = t.service_arn.rsplit("/", 1)[-1]
    if data.get("cpu"):
        out["cpu"] = int(data["cpu"]) / 1024.0
    if data.get("memory"):
        out["memory"] = int(data["memory"])
    for field, role_key, kind in (("executionRoleCredentials", "executionRoleArn", "execution"),
                                  ("roleCredentials", "taskRoleArn", "task")):
        if data.get(role_key) and t.desired_status != "STOPPED":
            out[field] = ecs.task_credentials(t, data[role_key], kind)
    return out
