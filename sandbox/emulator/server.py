"""WSGI front of the emulator: operator API, SSM/ECS extension, then moto.

Requests flow:
  /_emulator/...                          -> operator API (this module)
  X-Amz-Target AmazonEC2ContainerService* -> EcsBackend (ecs.py)
  X-Amz-Target AmazonSSM.<op we own>      -> SsmBackend (ssm.py)
  sts GetCallerIdentity as a mi- instance -> answered here
  everything else (IAM, STS, Logs, rest of SSM) -> moto's DomainDispatcherApplication
"""
from __future__ import annotations

import gc
import io
import json
import logging
import re
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from typing import Any, Iterable

from . import ACCOUNT_ID, MOTO_VERSION  # noqa: F401  (sets MOTO_IAM_LOAD_MANAGED_POLICIES first)
from . import moto_hooks
from .acs import WsHub, is_upgrade
from .core import AwsError, Clock, Counts, Faults, Ids, check_bind
from .ecs import NOT_HANDLED as ECS_NOT_HANDLED, EcsBackend
from .ssm import NOT_HANDLED as SSM_NOT_HANDLED, Instance, SsmBackend

import moto  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

LOG = logging.getLogger("sandbox.emulator")
_HOST_REGION = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com")

TARGET_SERVICES = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "AmazonSSM": "ssm",
    "Logs_20140328": "logs",
    "EC2WindowsMessageDeliveryService": "ec2messages",  # the SSM agent's message delivery service (MDS)
}
SERVER_ERROR_TYPES = {"ecs": "ServerException", "ssm": "InternalServerError"}
#: ECS operations we leave to moto (account-level settings, harmless there)
ECS_TO_MOTO = {"ListAccountSettings", "PutAccountSetting", "PutAccountSettingDefault", "DeleteAccountSetting"}


class Ctx:
    def __init__(self, region: str, caller: Instance | None, headers: dict[str, str], base_url: str) -> None:
        self.region = region
        self.caller = caller
        self.headers = headers
        self.base_url = base_url


def _json_response(start_response, status: int, payload: Any, extra: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    body = json.dumps(payload).encode()
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body))),
               ("x-amzn-RequestId", str(uuid.uuid4()))]
    headers.extend(extra)
    start_response(f"{status} {reasons.get(status, 'Error')}", headers)
    return [body]


def _xml_response(start_response, status: int, body: str) -> list[bytes]:
    data = body.encode()
    start_response(f"{status} {'OK' if status == 200 else 'Error'}",
                   [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
    return [data]


def _xml_error(code: str, message: str, sender: bool = True) -> str:
    return (f"<ErrorResponse><Error><Type>{'Sender' if sender else 'Receiver'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")


class EmulatorApp:
    """The WSGI application (usable without a server for in-process tests)."""

    def __init__(self, seed: int | None = None, faults: Any = None) -> None:
        self.seed = seed
        self.clock = Clock()
        self.ids = Ids(seed)
        self.counts = Counts()
        self.faults = Faults(seed)
        if faults:
            self.faults.set(faults)
        self.lock = threading.RLock()
        self.ssm = SsmBackend(self.clock, self.ids, self._role_trust)
        self.ecs = EcsBackend(self.clock, self.ids)
        self.ws = WsHub(self)  # the ECS agent's ACS/TCS websockets (acs.py)
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.virtual_seq: dict[str, int] = {}
        self.moto_dirty = True  # anything may have touched moto before the first reset
        #: seconds an ec2messages GetMessages is held when there is no message (AWS holds ~20 s;
        #: the agent's client gives up after Mds.StopTimeoutMillis, 20 s by default)
        self.messages_long_poll = 10.0
        self._stopping = threading.Event()  # set by EmulatorServer.stop(): held polls answer at once

    # ------------------------------------------------------------ moto hooks (moto_hooks.py)
    def _role_trust(self, name: str) -> str | None:
        doc = moto_hooks.role_trust_policy(ACCOUNT_ID, name)
        return None if doc is None else urllib.parse.unquote(doc)

    def warm(self) -> None:
        """Load moto's IAM backend (AWS managed policies) before serving."""
        moto_hooks.install()
        moto_hooks.iam_backend(ACCOUNT_ID).get_policy("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")

    def reset(self) -> None:
        with self.lock:
            if self.moto_dirty:
                moto_hooks.reset_moto()
                self.moto_dirty = False
            self.ws.close_all()  # open ACS/TCS sessions refer to container instances that are gone
            self.ssm.reset()
            self.ecs.reset()
            self.clock.reset()
            self.ids.reset()
            self.virtual_seq.clear()

    # ------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any], start_response) -> Iterable[bytes]:
        try:
            return self._handle(environ, start_response)
        except Exception:  # the emulator must answer, never drop the connection
            LOG.error("emulator failure:\n%s", traceback.format_exc())
            return _json_response(start_response, 500, {"__type": "InternalFailure", "message": traceback.format_exc(limit=3)})

    def _handle(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator/") or path == "/_emulator":
            return self._operator(environ, start_response, path[len("/_emulator/"):].strip("/"))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if environ.get("wsgi.input_terminated"):
            body = environ["wsgi.input"].read()
        else:
            body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ.pop("wsgi.input_terminated", None)
        environ["CONTENT_LENGTH"] = str(len(body))

        auth = environ.get("HTTP_AUTHORIZATION", "")
        access_key, region, signing_service = None, "us-east-1", None
        if "Credential=" in auth:
            try:
                scope = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
                access_key, _, region, signing_service, _ = scope.split("/")
            except ValueError:
                pass
        if signing_service is None:
            # unsigned: a real-looking endpoint host (ssm.<region>.amazonaws.com) names the region
            m = _HOST_REGION.search(environ.get("HTTP_HOST", ""))
            if m:
                region = m.group(1)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        protocol = "json" if target else "query"
        if target:
            prefix, _, op = target.partition(".")
            service = TARGET_SERVICES.get(prefix, (signing_service or prefix).lower())
        else:
            op = ""
            ctype = environ.get("CONTENT_TYPE", "")
            if ctype.startswith("application/x-www-form-urlencoded") and body:
                op = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
            if not op:
                query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
                op = query.get("Action", [""])[0]
            if not op:
                protocol = "rest"
                op = environ.get("REQUEST_METHOD", "GET")
            service = (signing_service or "unknown").lower()
        self.counts.inc(f"{service}.{op}")

        latency, fault, status = self.faults.decide(service, op)
        if latency:
            time.sleep(latency)
        if fault:
            return self._fault(start_response, protocol, service, fault, status)

        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        caller = self.ssm.caller_instance(access_key)
        if caller is False:
            if protocol == "json":
                return _json_response(start_response, 400, {"__type": "UnrecognizedClientException",
                                                              "message": "The security token included in the request is invalid."})
            return _xml_response(start_response, 403, _xml_error("InvalidClientTokenId", "The security token included in the request is invalid."))
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        ctx = Ctx(region, caller, headers, f"http://{host}")
        # what ssm_auth.verify() rebuilds the signed string from (RSA-signed agent calls)
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers.setdefault(key.lower().replace("_", "-"), environ[key])
        ctx.request = {"method": environ.get("REQUEST_METHOD", "POST"), "path": environ.get("PATH_INFO") or "/",
                       "query": environ.get("QUERY_STRING", ""), "body": body}

        if service == "ecs" and protocol == "json" and op not in ECS_TO_MOTO:
            return self._backend_call(start_response, self.ecs, ECS_NOT_HANDLED, op, body, ctx, "message",
                                      unknown_ok=False)
        if service == "ec2messages" and protocol == "json":
            return self._messages_call(start_response, op, body, ctx)
        if service == "ssm" and protocol == "json":
            result = self._backend_call(start_response, self.ssm, SSM_NOT_HANDLED, op, body, ctx, "Message",
                                        unknown_ok=True)
            if result is not None:
                return result
        if service == "sts" and op == "GetCallerIdentity" and isinstance(caller, Instance):
            arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{caller.iam_role.rsplit('/', 1)[-1]}/{caller.id}"
            return _xml_response(start_response, 200, (
                '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
                f"<Arn>{arn}</Arn><UserId>AROAEMULATOR:{caller.id}</UserId><Account>{ACCOUNT_ID}</Account>"
                f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                "</GetCallerIdentityResponse>"))
        self.moto_dirty = True
        return self.moto(environ, start_response)

    def _backend_call(self, start_response, backend, not_handled, op, body, ctx, msg_key, unknown_ok):
        try:
            params = json.loads(body.decode("utf-8")) if body else {}
            if not isinstance(params, dict):
                raise ValueError("body must be a JSON object")
        except ValueError:
            return _json_response(start_response, 400, {"__type": "SerializationException", msg_key: "Malformed JSON body."})
        try:
            with self.lock:
                result = backend.handle(op, params, ctx)
        except AwsError as exc:
            return _json_response(start_response, exc.status, {"__type": exc.code, msg_key: exc.message})
        if result is not_handled:
            if unknown_ok:
                return None
            LOG.warning("not implemented: ecs.%s", op)
            return _json_response(start_response, 400, {"__type": "InvalidAction",
                                                          msg_key: f"The emulator does not implement ECS {op}."})
        return _json_response(start_response, 200, result)

    def _messages_call(self, start_response, op, body, ctx):
        """ec2messages (MDS): no Run Command messages; GetMessages is a long poll held outside the lock."""
        try:
            params = json.loads(body.decode("utf-8")) if body else {}
            if not isinstance(params, dict):
                raise ValueError("body must be a JSON object")
        except ValueError:
            return _json_response(start_response, 400, {"__type": "SerializationException", "message": "Malformed JSON body."})
        try:
            with self.lock:
                result = self.ssm.message_call(op, params, ctx)
        except AwsError as exc:
            return _json_response(start_response, exc.status, {"__type": exc.code, "message": exc.message})
        if op == "GetMessages" and self.messages_long_poll > 0:
            self._stopping.wait(self.messages_long_poll)  # the server is threaded: one thread per held poll
        return _json_response(start_response, 200, result)

    def _fault(self, start_response, protocol, service, fault, status):
        if fault == "throttle":
            if protocol == "json":
                return _json_response(start_response, 400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
            return _xml_response(start_response, 400, _xml_error("Throttling", "Rate exceeded"))
        code = SERVER_ERROR_TYPES.get(service, "InternalFailure")
        if protocol == "json":
            return _json_response(start_response, status, {"__type": code, "message": "Injected server error"})
        return _xml_response(start_response, status, _xml_error("InternalFailure", "Injected server error", sender=False))

    # ------------------------------------------------------------ operator API
    def _operator(self, environ, start_response, path):
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if environ.get("wsgi.input_terminated"):
            raw = environ["wsgi.input"].read()
        else:
            raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except ValueError:
            return _json_response(start_response, 400, {"error": "body must be JSON"})
        try:
            status, payload = self._operator_call(method, path, body)
        except (ValueError, TypeError) as exc:
            status, payload = 400, {"error": str(exc)}
        except AwsError as exc:
            status, payload = 400, {"error": exc.message, "code": exc.code}
        return _json_response(start_response, status, payload)

    def _operator_call(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if path == "health" and method == "GET":
            return 200, {"status": "ok", "moto": moto.__version__}
        if path == "reset" and method == "POST":
            self.reset()
            return 200, {"reset": True}
        if path == "state" and method == "GET":
            with self.lock:
                return 200, {"clock": self._clock(), "ssm": self.ssm.dump(), "ecs": self.ecs.dump(),
                             "websockets": self.ws.describe(),
                             "counts": self.counts.snapshot(), "faults": self.faults.describe()}
        if path == "counts" and method == "GET":
            return 200, self.counts.snapshot()
        if path == "counts/reset" and method == "POST":
            self.counts.reset()
            return 200, {}
        if path == "faults":
            if method == "GET":
                return 200, self.faults.describe()
            if method == "POST":
                self.faults.set(body)
                return 200, self.faults.describe()
            if method == "DELETE":
                self.faults.clear()
                return 200, self.faults.describe()
        if path == "clock":
            if method == "POST":
                if not isinstance(body, dict) or not isinstance(body.get("advance_seconds"), (int, float)):
                    raise ValueError("body must be {\"advance_seconds\": N}")
                with self.lock:
                    self.clock.advance(body["advance_seconds"])
                    for region in list(self.ecs.services):
                        self.ecs.reconcile(region)
            if method in ("GET", "POST"):
                return 200, self._clock()
        if path == "virtual-instances" and method == "POST":
            return 200, self._virtual_instances(body)
        if path == "virtual-instances/connection" and method == "POST":
            return 200, self._virtual_connection(body)
        if path == "virtual-instances/start-failure" and method == "POST":
            return 200, self._virtual_start_failure(body)
        if path == "instance-credentials" and method == "POST":
            return 200, self._instance_credentials(body)
        return 404, {"error": f"no operator endpoint {method} /_emulator/{path}"}

    def _clock(self) -> dict[str, Any]:
        return {"now": self.clock.now(), "iso": self.clock.iso(), "offset_seconds": self.clock.offset}

    def _virtual_instances(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        region = body.get("region") or "us-east-1"
        try:  # templated callers (Ansible's uri) may send numbers as strings
            count = int(body.get("count", 1))
            cpu, memory = int(body.get("cpu", 2048)), int(body.get("memory", 3800))
        except (TypeError, ValueError):
            raise ValueError("count, cpu and memory must be integers") from None
        if not 1 <= count <= 5000:
            raise ValueError("count must be within 1..5000")
        prefix = str(body.get("hostname_prefix", "edge-"))
        auto_run = body.get("auto_run", True)
        if isinstance(auto_run, str):
            auto_run = auto_run.strip().lower() not in ("false", "no", "0", "off", "")
        auto_run = bool(auto_run)
        with_ecs = body.get("ecs", True)  # false: SSM managed instances only (no container instance)
        if isinstance(with_ecs, str):
            with_ecs = with_ecs.strip().lower() not in ("false", "no", "0", "off", "")
        ssm_agent_version = str(body.get("ssm_agent_version") or "3.3.0.0")
        ecs_agent_version = str(body.get("ecs_agent_version") or "1.80.0")
        with self.lock:
            cluster = self.ecs._cluster(region, body.get("cluster", "default")) if with_ecs else None
            activation = None
            if body.get("activation_id"):
                activation = self.ssm._get_activation(region, body["activation_id"])
                if activation.count + count > activation.limit:
                    raise ValueError("the activation's registration limit would be exceeded")
            out = []
            for _ in range(count):
                n = self.virtual_seq.get(prefix, 0) + 1
                self.virtual_seq[prefix] = n
                name = f"{prefix}{n}"
                inst = self.ssm.register_instance(region, activation, virtual=True, name=name,
                                                  iam_role=body.get("iam_role", "ecsAnywhereRole"))
                inst.info.update({"AgentVersion": ssm_agent_version, "PlatformType": "Linux", "PlatformName": "Debian GNU/Linux",
                                  "PlatformVersion": "12", "ComputerName": name,
                                  "IPAddress": f"192.0.2.{(n % 250) + 1}"})
                if not with_ecs:
                    out.append({"instance_id": inst.id, "container_instance_arn": None, "computer_name": name})
                    continue
                resources = [{"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                             {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
                             {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", "2376", "51678", "51679"]},
                             {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []}]
                attributes = [{"name": n_} for n_ in (
                    "ecs.capability.external", "com.amazonaws.ecs.capability.docker-remote-api.1.17",
                    "com.amazonaws.ecs.capability.docker-remote-api.1.18", "com.amazonaws.ecs.capability.docker-remote-api.1.19",
                    "ecs.capability.execution-role-awslogs", "com.amazonaws.ecs.capability.logging-driver.awslogs",
                    "ecs.capability.task-cpu-mem-limit")] + [
                    {"name": "ecs.os-type", "value": "linux"}, {"name": "ecs.os-family", "value": "LINUX"},
                    {"name": "ecs.cpu-architecture", "value": "x86_64"}]
                ci = self.ecs.register_instance(region, cluster, inst.id, resources=resources,
                                                version_info={"agentVersion": ecs_agent_version, "agentHash": "virtual",
                                                              "dockerVersion": "DockerVersion: 20.10.24"},
                                                attributes=attributes, tags=body.get("tags"), virtual=True,
                                                auto_run=auto_run,
                                                start_failure=str(body.get("start_failure") or ""))
                out.append({"instance_id": inst.id, "container_instance_arn": ci.arn, "computer_name": name})
            self.ecs.reconcile(region)
        return {"instances": out, "instance_ids": [o["instance_id"] for o in out],
                "container_instance_arns": [o["container_instance_arn"] for o in out if o["container_instance_arn"]]}

    def _virtual_connection(self, body: dict[str, Any]) -> dict[str, Any]:
        ids = body.get("instance_ids") or []
        connected = body.get("connected", True)
        if isinstance(connected, str):
            connected = connected.strip().lower() not in ("false", "no", "0", "off", "")
        connected = bool(connected)
        changed = []
        with self.lock:
            for mi in ids:
                inst = self.ssm.instances.get(mi)
                if inst is None or not inst.virtual:
                    raise ValueError(f"{mi} is not a virtual instance")
                inst.connected = connected
                for region_cis in self.ecs.instances.values():
                    for ci in region_cis.values():
                        if ci.ec2_id == mi:
                            ci.virtual_connected = connected
                changed.append(mi)
            for region in list(self.ecs.instances):
                self.ecs.reconcile(region)
        return {"instance_ids": changed, "connected": connected}

    def _instance_credentials(self, body: dict[str, Any]) -> dict[str, Any]:
        """{"instance_id": "mi-..."}: role credentials of that managed instance, as
        RequestManagedInstanceRoleToken issues them to its SSM agent (for running the real ECS
        agent without an SSM agent)."""
        mi = body.get("instance_id") if isinstance(body, dict) else None
        with self.lock:
            inst = self.ssm.instances.get(str(mi or ""))
            if inst is None:
                raise ValueError(f"no managed instance {mi!r}")
            akid = "ASIAEMU" + self.ids.chars(13, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
            self.ssm.credentials[akid] = inst.id
            return {"AccessKeyId": akid, "SecretAccessKey": self.ids.chars(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                    "SessionToken": "emulator-" + self.ids.chars(100, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                    "InstanceId": inst.id}

    def _virtual_start_failure(self, body: dict[str, Any]) -> dict[str, Any]:
        """{"instance_ids": [mi-...], "reason": "CannotStartContainerError: ..."}: the simulated
        agents of those instances fail every task they are given (stopCode TaskFailedToStart,
        the reason as stoppedReason and container reason); reason "" or null: they start again."""
        ids = body.get("instance_ids") or []
        reason = str(body.get("reason") or "")
        changed = []
        with self.lock:
            for mi in ids:
                cis = [ci for region_cis in self.ecs.instances.values() for ci in region_cis.values()
                       if ci.ec2_id == mi and ci.virtual]
                if not cis:
                    raise ValueError(f"{mi} is not a virtual container instance")
                for ci in cis:
                    ci.start_failure = reason
                changed.append(mi)
            for region in list(self.ecs.instances):
                self.ecs.reconcile(region)
        return {"instance_ids": changed, "reason": reason}


class _Handler(MotoRequestHandler):
    """moto's request handler with HTTP/1.1 keep-alive.

    werkzeug's dev server closes every connection after one response; a
    client then pays a TCP handshake and a new thread per call. This handler
    buffers the (small) WSGI response and sends it with a Content-Length, so
    botocore's connection pool can reuse the connection.
    """

    quiet = True
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        if not self.quiet:
            super().log_request(code, size)

    def run_wsgi(self) -> None:
        if is_upgrade(self.headers):  # the ECS agent's ACS/TCS websocket: this thread serves it until it closes
            self.server.app.ws.handle(self)
            return
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        state: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            state["status"], state["headers"] = status, headers
            return chunks.append

        try:
            app_iter = self.server.app(environ, start_response)
            try:
                for data in app_iter:
                    chunks.append(data)
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
        except Exception:  # pragma: no cover - the app answers errors itself
            LOG.error("request failed:\n%s", traceback.format_exc())
            state = {"status": "500 Internal Server Error", "headers": [("Content-Type", "text/plain")]}
            chunks = [b"emulator failure"]
            self.close_connection = True
        body = b"".join(chunks)
        code, _, reason = state["status"].partition(" ")
        self.send_response(int(code), reason)
        for key, value in state["headers"]:
            if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # one write for headers and body (no Nagle/delayed-ACK stall)
        self._headers_buffer.append(b"\r\n")
        if environ.get("REQUEST_METHOD") != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()


class EmulatorServer:
    """Threaded emulator server, for the CLI and for pytest fixtures.

    >>> srv = EmulatorServer(port=0).start(); srv.url; srv.stop()
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1", extra_hosts: Iterable[str] = (),
                 seed: int | None = None, faults: Any = None, verbose: bool = False) -> None:
        for h in (host, *extra_hosts):
            check_bind(h)
        self.host = host
        self.port = port
        self.extra_hosts = tuple(extra_hosts)
        self.app = EmulatorApp(seed=seed, faults=faults)
        self.verbose = verbose
        self._servers: list[Any] = []
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def urls(self) -> list[str]:
        return [f"http://{h}:{self.port}" for h in (self.host, *self.extra_hosts)]

    def start(self) -> "EmulatorServer":
        self.app._stopping.clear()
        self.app.warm()
        gc.freeze()  # moto's import-time objects (policies, models) need no more cyclic GC passes
        handler = type("Handler", (_Handler,), {"quiet": not self.verbose})
        first = make_server(self.host, self.port, self.app, threaded=True, request_handler=handler)
        self.port = first.server_port
        servers = [first]
        try:
            for h in self.extra_hosts:
                servers.append(make_server(h, self.port, self.app, threaded=True, request_handler=handler))
        except OSError:
            for s in servers:
                s.server_close()
            raise
        for s in servers:
            s.daemon_threads = True
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                                 name=f"emulator-{s.server_address[0]}")
            t.start()
            self._servers.append(s)
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self.app._stopping.set()
        self.app.ws.close_all()
        for s in self._servers:
            s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def check_moto_version() -> None:
    if moto.__version__ != MOTO_VERSION:
        print(f"WARNING: sandbox.emulator was written against moto=={MOTO_VERSION}, found {moto.__version__}; "
              "run sandbox/emulator/tests/test_canary.py", file=sys.stderr)
