"""ECS for external (ECS Anywhere) instances, implemented wholly here.

Clusters, container instances, task definitions, services, tasks and a
scheduler. moto's ECS is not used: it rejects launch type EXTERNAL, crashes on
an external agent's registration and schedules nothing (MOTO-GAPS.md).
"""
from __future__ import annotations

import copy
import math
import re
from typing import Any

from . import ACCOUNT_ID
from .core import AwsError, paginate

NOT_HANDLED = object()
#: seconds without DiscoverPollEndpoint (or registration) before agentConnected is false
AGENT_TIMEOUT = 120
RESERVED_PORTS = ["22", "2375", "2376", "51678", "51679"]
DYNAMIC_PORTS = range(32768, 61000)
MAX_EVENTS = 100
MAX_LIVE_STOPPED = 5000


def _err(code: str, msg: str) -> AwsError:
    return AwsError(code, msg)


def invalid(msg: str) -> AwsError:
    return AwsError("InvalidParameterException", msg)


def _tags_in(tags: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in tags or []:
        if not isinstance(t, dict) or "key" not in t:
            raise invalid("Tags must be a list of {key, value}.")
        out[str(t["key"])] = str(t.get("value", ""))
    return out


def _tags_out(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _int(value: Any, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)):
        return int(value)
    s = str(value).strip().lower()
    m = re.match(r"^([0-9.]+)\s*(vcpu|gb)?$", s)
    if not m:
        raise _err("ClientException", f"Invalid value {value!r}.")
    num = float(m.group(1))
    if m.group(2) == "vcpu":
        return int(num * 1024)
    if m.group(2) == "gb":
        return int(num * 1024)
    return int(num)


class Obj:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


# ---------------------------------------------------------------- cluster query language
_TOKEN = re.compile(r"\s*(\(|\)|\[|\]|,|==|!=|>=|<=|=~|>|<|&&|\|\||'[^']*'|\"[^\"]*\"|[^\s()\[\],=!<>~]+|!exists)")


def _tokens(expr: str) -> list[str]:
    pos, out = 0, []
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise invalid(f"Invalid filter expression near {expr[pos:]!r}.")
        out.append(m.group(1))
        pos = m.end()
    return out


class Cql:
    """A subset of the ECS cluster query language (filters, memberOf)."""

    OPS = {"==", "!=", ">", ">=", "<", "<=", "=~", "in", "not_in", "exists", "!exists"}

    def __init__(self, expr: str) -> None:
        self.toks = _tokens(expr)
        self.i = 0
        if not self.toks:
            raise invalid("Empty filter expression.")
        self.tree = self._expr()
        if self.i != len(self.toks):
            raise invalid(f"Unexpected token {self.toks[self.i]!r} in filter expression.")

    def _peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _next(self) -> str:
        tok = self._peek()
        if tok is None:
            raise invalid("Incomplete filter expression.")
        self.i += 1
        return tok

    def _expr(self):
        node = self._term()
        while (self._peek() or "").lower() in ("or", "||"):
            self._next()
            node = ("or", node, self._term())
        return node

    def _term(self):
        node = self._factor()
        while (self._peek() or "").lower() in ("and", "&&"):
            self._next()
            node = ("and", node, self._factor())
        return node

    def _factor(self):
        tok = self._peek()
        if tok == "(":
            self._next()
            node = self._expr()
            if self._next() != ")":
                raise invalid("Unbalanced parentheses in filter expression.")
            return node
        if (tok or "").lower() == "not":
            self._next()
            return ("not", self._factor())
        lhs = self._next()
        op = self._next()
        low = op.lower()
        if low in ("exists", "!exists"):
            return ("cmp", lhs, low, None)
        if low not in self.OPS:
            raise invalid(f"Unknown operator {op!r} in filter expression.")
        if low in ("in", "not_in"):
            if self._next() != "[":
                raise invalid("Expected [ after in.")
            values = []
            while True:
                v = self._next()
                if v == "]":
                    break
                if v == ",":
                    continue
                values.append(v.strip("'\""))
            return ("cmp", lhs, low, values)
        return ("cmp", lhs, low, self._next().strip("'\""))

    def match(self, lookup) -> bool:
        return self._eval(self.tree, lookup)

    def _eval(self, node, lookup) -> bool:
        kind = node[0]
        if kind == "or":
            return self._eval(node[1], lookup) or self._eval(node[2], lookup)
        if kind == "and":
            return self._eval(node[1], lookup) and self._eval(node[2], lookup)
        if kind == "not":
            return not self._eval(node[1], lookup)
        _, lhs, op, rhs = node
        present, value = lookup(lhs)
        if op == "exists":
            return present
        if op == "!exists":
            return not present
        if isinstance(value, (set, list, tuple)):
            values = [str(v) for v in value]
        else:
            values = [] if value is None else [str(value)]
        if op == "in":
            return any(v in rhs for v in values)
        if op == "not_in":
            return not any(v in rhs for v in values)
        if op == "==":
            return rhs in values
        if op == "!=":
            return rhs not in values
        if op == "=~":
            pattern = "^" + re.escape(rhs).replace(r"\*", ".*") + "$"
            return any(re.match(pattern, v) for v in values)
        for v in values:
            try:
                a, b = float(v), float(rhs)
            except ValueError:
                a, b = v, rhs  # type: ignore[assignment]
            if (op == ">" and a > b) or (op == ">=" and a >= b) or (op == "<" and a < b) or (op == "<=" and a <= b):
                return True
        return False


# ---------------------------------------------------------------- backend
class EcsBackend:
    def __init__(self, clock, ids) -> None:
        self.clock = clock
        self.ids = ids
        #: called (app lock held) after every mutating call: the ACS sessions (acs.py) wake up
        self.listeners: list = []
        self.reset()

    def reset(self) -> None:
        self.clusters: dict[str, dict[str, Obj]] = {}
        self.instances: dict[str, dict[str, Obj]] = {}   # region -> id -> ci
        self.taskdefs: dict[str, dict[str, list[Obj]]] = {}  # region -> family -> [rev1..]
        self.services: dict[str, dict[str, Obj]] = {}    # region -> arn -> svc
        self.tasks: dict[str, dict[str, Obj]] = {}       # region -> id -> task
        self.ci_tasks: dict[str, list[Obj]] = {}          # container instance id -> its tasks
        self.svc_live: dict[str, dict[str, Obj]] = {}     # service arn -> its tasks not yet STOPPED
        self.live: dict[str, dict[str, Obj]] = {}         # region -> id -> task not yet STOPPED
        self.task_creds: dict[str, dict[str, str]] = {}   # access key id -> {task, role, kind} (ACS-minted)

    # ------------------------------------------------------------ arns & lookups
    @staticmethod
    def _arn(region: str, kind: str, rest: str) -> str:
        return f"arn:aws:ecs:{region}:{ACCOUNT_ID}:{kind}/{rest}"

    def _cluster(self, region: str, ref: Any, *, active: bool = True) -> Obj:
        name = "default" if not ref else str(ref)
        if name.startswith("arn:"):
            name = name.split("/", 1)[-1] if "/" in name else ""
        c = self.clusters.get(region, {}).get(name)
        if c is None or (active and c.status != "ACTIVE"):
            raise _err("ClusterNotFoundException", "Cluster not found.")
        return c

    def _ci(self, region: str, cluster: Obj, ref: Any) -> Obj | None:
        ref = str(ref or "")
        cid = ref.rsplit("/", 1)[-1]
        ci = self.instances.get(region, {}).get(cid)
        if ci is None or ci.cluster != cluster.name:
            return None
        return ci

    def _service(self, region: str, cluster: Obj, ref: Any) -> Obj | None:
        ref = str(ref or "")
        name = ref.rsplit("/", 1)[-1]
        arn = self._arn(region, "service", f"{cluster.name}/{name}")
        return self.services.get(region, {}).get(arn)

    def _task(self, region: str, cluster: Obj, ref: Any) -> Obj | None:
        tid = str(ref or "").rsplit("/", 1)[-1]
        t = self.tasks.get(region, {}).get(tid)
        if t is None or t.cluster != cluster.name:
            return None
        return t

    def _taskdef(self, region: str, ref: Any, *, active_only_for_family: bool = True) -> Obj:
        ref = str(ref or "")
        if ref.startswith("arn:"):
            ref = ref.split("task-definition/", 1)[-1]
        family, _, rev = ref.partition(":")
        revs = self.taskdefs.get(region, {}).get(family) or []
        if rev:
            if rev.isdigit() and 1 <= int(rev) <= len(revs):
                return revs[int(rev) - 1]
        else:
            active = [t for t in revs if t.status == "ACTIVE"]
            if active:
                return active[-1]
        raise _err("ClientException", "Unable to describe task definition.")

    def _cluster_instances(self, region: str, cluster: Obj) -> list[Obj]:
        return [ci for ci in self.instances.get(region, {}).values() if ci.cluster == cluster.name]

    def _cluster_tasks(self, region: str, cluster: Obj) -> list[Obj]:
        return [t for t in self.tasks.get(region, {}).values() if t.cluster == cluster.name]

    def _cluster_services(self, region: str, cluster: Obj) -> list[Obj]:
        return [s for s in self.services.get(region, {}).values() if s.cluster == cluster.name]

    # ------------------------------------------------------------ dispatch
    def handle(self, op: str, body: dict[str, Any], ctx) -> Any:
        fn = getattr(self, "op_" + op, None)
        if fn is None:
            return NOT_HANDLED
        reading = op.startswith("Describe") or op.startswith("List")
        if reading and self._start_failures_due(ctx.region):
            # a virtual agent that cannot start its tasks keeps failing them while time passes
            # (here: one failed start per instance per call), as a real agent retries
            self.reconcile(ctx.region)
        result = fn(body, ctx)
        if not reading:
            self.reconcile(ctx.region)
            if isinstance(result, dict) and "_refresh" in result:
                result = result["_refresh"]()
            for fn_ in self.listeners:
                fn_()
        return result

    # ------------------------------------------------------------ json views
    def _cluster_json(self, c: Obj, include: list[str] | None = None) -> dict[str, Any]:
        region = c.region
        tasks = [t for t in self.live.get(region, {}).values() if t.cluster == c.name] if c.status == "ACTIVE" else []
        out = {
            "clusterArn": c.arn, "clusterName": c.name, "status": c.status,
            "registeredContainerInstancesCount": sum(
                1 for ci in self._cluster_instances(region, c) if ci.status in ("ACTIVE", "DRAINING")) if c.status == "ACTIVE" else 0,
            "runningTasksCount": sum(1 for t in tasks if t.last_status == "RUNNING"),
            "pendingTasksCount": sum(1 for t in tasks if t.last_status == "PENDING"),
            "activeServicesCount": sum(1 for s in self._cluster_services(region, c) if s.status == "ACTIVE") if c.status == "ACTIVE" else 0,
            "statistics": [], "tags": [], "settings": copy.deepcopy(c.settings),
            "capacityProviders": list(c.capacity_providers),
            "defaultCapacityProviderStrategy": copy.deepcopy(c.default_cps),
        }
        if include and "TAGS" in include:
            out["tags"] = _tags_out(c.tags)
        return out

    def _used(self, ci: Obj) -> tuple[int, int, set[str]]:
        cpu = mem = 0
        ports: set[str] = set()
        for t in self.ci_tasks.get(ci.id, ()):
            if t.last_status != "STOPPED":
                cpu += t.cpu_units
                mem += t.mem_units
                ports.update(str(p) for p in t.host_ports)
        return cpu, mem, ports

    def _registered(self, ci: Obj, name: str) -> Any:
        for r in ci.resources:
            if r.get("name") == name:
                if r.get("type") == "STRINGSET":
                    return list(r.get("stringSetValue") or [])
                return r.get("integerValue", 0)
        return [] if name.startswith("PORTS") else 0

    def connected(self, ci: Obj) -> bool:
        if ci.status == "INACTIVE":
            return False
        if ci.virtual:
            return ci.virtual_connected
        if getattr(ci, "acs_open", 0) > 0:  # a real agent's ACS websocket is open (acs.py)
            return True
        return self.clock.now() - ci.last_seen <= AGENT_TIMEOUT

    def _ci_json(self, ci: Obj, include: list[str] | None = None) -> dict[str, Any]:
        cpu, mem, ports = self._used(ci)
        tasks = self.ci_tasks.get(ci.id, ())
        remaining = []
        for r in ci.resources:
            r2 = dict(r)
            if "stringSetValue" in r2:
                r2["stringSetValue"] = list(r2["stringSetValue"])
            if r.get("name") == "CPU":
                r2["integerValue"] = r.get("integerValue", 0) - cpu
            elif r.get("name") == "MEMORY":
                r2["integerValue"] = r.get("integerValue", 0) - mem
            elif r.get("name") == "PORTS":
                r2["stringSetValue"] = sorted(set(r.get("stringSetValue") or []) | ports, key=lambda p: int(p) if p.isdigit() else 0)
            remaining.append(r2)
        out = {
            "containerInstanceArn": ci.arn, "ec2InstanceId": ci.ec2_id, "version": ci.version,
            "versionInfo": dict(ci.version_info), "remainingResources": remaining,
            "registeredResources": [dict(r, stringSetValue=list(r["stringSetValue"])) if "stringSetValue" in r else dict(r)
                                    for r in ci.resources], "status": ci.status,
            "agentConnected": self.connected(ci),
            "runningTasksCount": sum(1 for t in tasks if t.last_status == "RUNNING"),
            "pendingTasksCount": sum(1 for t in tasks if t.last_status == "PENDING"),
            "attributes": [{"name": k, "value": v} if v is not None else {"name": k} for k, v in ci.attributes.items()],
            "registeredAt": ci.registered_at, "attachments": [],
        }
        if ci.status_reason:
            out["statusReason"] = ci.status_reason
        if include and "TAGS" in include:
            out["tags"] = _tags_out(ci.tags)
        return out

    def _td_json(self, td: Obj) -> dict[str, Any]:
        out = copy.deepcopy(td.data)
        out.update({"taskDefinitionArn": td.arn, "family": td.family, "revision": td.revision,
                    "status": td.status, "registeredAt": td.registered_at,
                    "registeredBy": f"arn:aws:iam::{ACCOUNT_ID}:root"})
        if td.status == "INACTIVE":
            out["deregisteredAt"] = td.deregistered_at
        return out

    def _task_json(self, t: Obj, include: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "taskArn": t.arn, "clusterArn": self._arn(t.region, "cluster", t.cluster),
            "taskDefinitionArn": t.td_arn, "containerInstanceArn": self._arn(t.region, "container-instance", f"{t.cluster}/{t.ci}"),
            "lastStatus": t.last_status, "desiredStatus": t.desired_status, "launchType": t.launch_type,
            "cpu": str(t.cpu_units), "memory": str(t.mem_units), "containers": copy.deepcopy(t.containers),
            "group": t.group, "version": t.version, "createdAt": t.created_at, "attachments": [],
            "overrides": copy.deepcopy(t.overrides), "tags": [], "connectivity": "CONNECTED",
            "healthStatus": "UNKNOWN", "enableExecuteCommand": False,
        }
        if t.started_by:
            out["startedBy"] = t.started_by
        for key, attr in (("startedAt", "started_at"), ("stoppingAt", "stopping_at"), ("stoppedAt", "stopped_at"),
                          ("pullStartedAt", "pull_started_at"), ("pullStoppedAt", "pull_stopped_at"),
                          ("executionStoppedAt", "execution_stopped_at"), ("connectivityAt", "created_at")):
            if getattr(t, attr, None):
                out[key] = getattr(t, attr)
        if t.stop_code:
            out["stopCode"] = t.stop_code
        if t.stopped_reason:
            out["stoppedReason"] = t.stopped_reason
        if include and "TAGS" in include:
            out["tags"] = _tags_out(t.tags)
        return out

    def _svc_counts(self, svc: Obj, dep_id: str | None = None) -> tuple[int, int]:
        running = pending = 0
        for t in self.svc_live.get(svc.arn, {}).values():
            if dep_id and t.deployment != dep_id:
                continue
            if t.last_status == "RUNNING":
                running += 1
            elif t.last_status == "PENDING":
                pending += 1
        return running, pending

    def _svc_json(self, svc: Obj, include: list[str] | None = None) -> dict[str, Any]:
        running, pending = self._svc_counts(svc)
        deps = []
        for d in svc.deployments:
            r, p = self._svc_counts(svc, d.id)
            deps.append({
                "id": d.id, "status": d.status, "taskDefinition": d.td_arn,
                "desiredCount": svc.desired if d.status == "PRIMARY" else 0,
                "pendingCount": p, "runningCount": r, "failedTasks": d.failed,
                "createdAt": d.created_at, "updatedAt": d.updated_at, "launchType": svc.launch_type,
                "rolloutState": d.rollout_state, "rolloutStateReason": d.rollout_reason,
            })
        out = {
            "serviceArn": svc.arn, "serviceName": svc.name, "clusterArn": self._arn(svc.region, "cluster", svc.cluster),
            "loadBalancers": [], "serviceRegistries": [], "status": svc.status,
            "desiredCount": svc.desired, "runningCount": running, "pendingCount": pending,
            "launchType": svc.launch_type, "taskDefinition": svc.td_arn,
            "deploymentConfiguration": copy.deepcopy(svc.deployment_configuration),
            "deployments": deps, "events": copy.deepcopy(svc.events), "createdAt": svc.created_at,
            "placementConstraints": copy.deepcopy(svc.constraints),
            "placementStrategy": copy.deepcopy(svc.strategy), "schedulingStrategy": svc.scheduling,
            "deploymentController": {"type": "ECS"}, "createdBy": f"arn:aws:iam::{ACCOUNT_ID}:root",
            "enableECSManagedTags": svc.managed_tags, "propagateTags": svc.propagate_tags,
            "enableExecuteCommand": False, "healthCheckGracePeriodSeconds": 0,
        }
        if include and "TAGS" in include:
            out["tags"] = _tags_out(svc.tags)
        return out

    # ------------------------------------------------------------ clusters
    def op_CreateCluster(self, body, ctx):
        name = body.get("clusterName") or "default"
        if not re.match(r"^[A-Za-z0-9_-]{1,255}$", name):
            raise invalid("Cluster name may only contain letters, numbers, hyphens and underscores (up to 255).")
        regc = self.clusters.setdefault(ctx.region, {})
        c = regc.get(name)
        if c is not None and c.status == "ACTIVE":
            return {"cluster": self._cluster_json(c, ["TAGS"])}
        settings = body.get("settings") or [{"name": "containerInsights", "value": "disabled"}]
        c = Obj(name=name, region=ctx.region, arn=self._arn(ctx.region, "cluster", name), status="ACTIVE",
                tags=_tags_in(body.get("tags")), settings=settings,
                capacity_providers=body.get("capacityProviders") or [],
                default_cps=body.get("defaultCapacityProviderStrategy") or [], created_at=self.clock.now())
        regc[name] = c
        return {"cluster": self._cluster_json(c, ["TAGS"])}

    def op_DescribeClusters(self, body, ctx):
        refs = body.get("clusters") or ["default"]
        out, failures = [], []
        for ref in refs:
            name = ref.split("/", 1)[-1] if ref.startswith("arn:") else ref
            c = self.clusters.get(ctx.region, {}).get(name)
            if c is None:
                failures.append({"arn": self._arn(ctx.region, "cluster", name), "reason": "MISSING"})
            else:
                out.append(self._cluster_json(c, body.get("include")))
        return {"clusters": out, "failures": failures}

    def op_ListClusters(self, body, ctx):
        arns = [c.arn for c in self.clusters.get(ctx.region, {}).values() if c.status == "ACTIVE"]
        page, nxt = paginate(arns, body.get("maxResults"), body.get("nextToken"), "InvalidParameterException", 100, 100)
        return {"clusterArns": page, **({"nextToken": nxt} if nxt else {})}

    def op_DeleteCluster(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        if any(ci.status in ("ACTIVE", "DRAINING") for ci in self._cluster_instances(ctx.region, c)):
            raise _err("ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while Container Instances are active or draining.")
        if any(s.status in ("ACTIVE", "DRAINING") for s in self._cluster_services(ctx.region, c)):
            raise _err("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
        if any(t.last_status != "STOPPED" for t in self._cluster_tasks(ctx.region, c)):
            raise _err("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
        c.status = "INACTIVE"
        return {"cluster": self._cluster_json(c, ["TAGS"])}

    def op_UpdateClusterSettings(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        for s in body.get("settings") or []:
            c.settings = [x for x in c.settings if x.get("name") != s.get("name")] + [s]
        return {"cluster": self._cluster_json(c, ["TAGS"])}

    def op_UpdateCluster(self, body, ctx):
        return self.op_UpdateClusterSettings(body, ctx)

    # ------------------------------------------------------------ container instances
    def register_instance(self, region: str, cluster: Obj, ec2_id: str, *, resources=None, version_info=None,
                          attributes=None, tags=None, virtual=False, auto_run=True, start_failure="") -> Obj:
        cid = self.ids.hex(32)
        ci = Obj(id=cid, region=region, cluster=cluster.name, arn=self._arn(region, "container-instance", f"{cluster.name}/{cid}"),
                 ec2_id=ec2_id, status="ACTIVE", status_reason="", version=1, registered_at=self.clock.now(),
                 last_seen=self.clock.now(), virtual=virtual, virtual_connected=True, auto_run=auto_run,
                 start_failure=start_failure or "", acs_open=0, acs_seq=0, client_token=None,
                 tags={}, attributes={}, resources=[], version_info={})
        self._apply_registration(ci, resources, version_info, attributes, tags)
        self.instances.setdefault(region, {})[cid] = ci
        return ci

    def _apply_registration(self, ci, resources, version_info, attributes, tags) -> None:
        res = {r["name"]: copy.deepcopy(r) for r in (resources or []) if isinstance(r, dict) and r.get("name")}
        res.setdefault("CPU", {"name": "CPU", "type": "INTEGER", "integerValue": 1024})
        res.setdefault("MEMORY", {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048})
        res.setdefault("PORTS", {"name": "PORTS", "type": "STRINGSET", "stringSetValue": list(RESERVED_PORTS)})
        res.setdefault("PORTS_UDP", {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []})
        for r in res.values():
            r.setdefault("doubleValue", 0.0)
            r.setdefault("longValue", 0)
            r.setdefault("integerValue", 0)
        ci.resources = [res.pop(n) for n in ("CPU", "MEMORY", "PORTS", "PORTS_UDP")] + list(res.values())
        if version_info or not ci.version_info:  # the real agent sends none (its ACS connection says it)
            ci.version_info = copy.deepcopy(version_info or {"agentVersion": "1.0.0", "agentHash": "emulator",
                                                             "dockerVersion": "DockerVersion: 20.10"})
        attrs = {a["name"]: a.get("value") for a in (attributes or []) if isinstance(a, dict) and a.get("name")}
        attrs.setdefault("ecs.capability.external", None)
        # keep custom attributes set with PutAttributes
        for k, v in ci.attributes.items():
            if k in getattr(ci, "custom_attrs", set()):
                attrs.setdefault(k, v)
        ci.attributes = attrs
        ci.tags.update(_tags_in(tags))

    def op_RegisterContainerInstance(self, body, ctx):
        try:
            c = self._cluster(ctx.region, body.get("cluster"))
        except AwsError:
            # RegisterContainerInstance has no ClusterNotFoundException; agents log "ClientException: Cluster not found."
            raise _err("ClientException", "Cluster not found.") from None
        caller = ctx.caller
        if caller is None:
            if body.get("instanceIdentityDocument"):
                raise _err("ClientException", "EC2 instance identity documents are not supported by this emulator; register as an SSM managed instance.")
            raise _err("ClientException", "An external container instance must be registered with the credentials "
                                          "of its SSM managed instance (RequestManagedInstanceRoleToken).")
        if body.get("containerInstanceArn"):
            ci = self._ci(ctx.region, c, body["containerInstanceArn"])
            if ci is None or ci.status == "INACTIVE":
                raise _err("ClientException", f"Container instance {body['containerInstanceArn']} is not registered in cluster {c.name}.")
            if ci.ec2_id != caller.id:
                raise _err("ClientException", "The container instance belongs to another managed instance.")
            self._apply_registration(ci, body.get("totalResources"), body.get("versionInfo"), body.get("attributes"), body.get("tags"))
            ci.version += 1
            ci.last_seen = self.clock.now()
        else:
            # AWS's agent sends its registration token as clientToken, and its SDK retries a
            # call that timed out: the same token returns the same container instance.
            token = body.get("clientToken")
            ci = next((x for x in self._cluster_instances(ctx.region, c)
                       if token and x.client_token == token and x.ec2_id == caller.id and x.status != "INACTIVE"), None)
            if ci is None:
                ci = self.register_instance(ctx.region, c, caller.id, resources=body.get("totalResources"),
                                            version_info=body.get("versionInfo"), attributes=body.get("attributes"),
                                            tags=body.get("tags"))
                ci.client_token = token
        return {"_refresh": lambda: {"containerInstance": self._ci_json(ci, ["TAGS"])}}

    def op_ListContainerInstances(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        status = body.get("status")
        cis = self._cluster_instances(ctx.region, c)
        if status:
            cis = [ci for ci in cis if ci.status == status]
        else:
            cis = [ci for ci in cis if ci.status in ("ACTIVE", "DRAINING")]
        if body.get("filter"):
            q = Cql(body["filter"])
            cis = [ci for ci in cis if q.match(lambda k, ci=ci: self._ci_lookup(ci, k))]
        page, nxt = paginate([ci.arn for ci in cis], body.get("maxResults"), body.get("nextToken"), "InvalidParameterException", 100, 100)
        return {"containerInstanceArns": page, **({"nextToken": nxt} if nxt else {})}

    def _ci_lookup(self, ci: Obj, key: str) -> tuple[bool, Any]:
        if key.startswith("attribute:"):
            name = key[len("attribute:"):]
            if name == "ecs.instance-id" or name == "ecs.ec2-instance-id":
                return True, ci.ec2_id
            return (name in ci.attributes), ci.attributes.get(name)
        if key == "ec2InstanceId":
            return True, ci.ec2_id
        if key == "agentConnected":
            return True, str(self.connected(ci)).lower()
        if key == "agentVersion":
            return True, ci.version_info.get("agentVersion")
        if key == "runningTasksCount":
            return True, sum(1 for t in self.ci_tasks.get(ci.id, ()) if t.last_status == "RUNNING")
        if key == "registeredAt":
            return True, ci.registered_at
        if key == "task:group":
            return True, {t.group for t in self.ci_tasks.get(ci.id, ()) if t.last_status != "STOPPED"}
        if key == "status":
            return True, ci.status
        raise invalid(f"Unsupported attribute {key!r} in filter expression.")

    def op_DescribeContainerInstances(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        refs = body.get("containerInstances") or []
        if len(refs) > 100:
            raise invalid("A maximum of 100 container instances may be described at once.")
        out, failures = [], []
        for ref in refs:
            ci = self._ci(ctx.region, c, ref)
            if ci is None:
                failures.append({"arn": ref, "reason": "MISSING"})
            else:
                out.append(self._ci_json(ci, body.get("include")))
        return {"containerInstances": out, "failures": failures}

    def op_UpdateContainerInstancesState(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        status = body.get("status")
        if status not in ("ACTIVE", "DRAINING"):
            raise invalid(f"Container instance status should be one of [ACTIVE, DRAINING], not {status}.")
        refs = body.get("containerInstances") or []
        if len(refs) > 10:
            raise invalid("A maximum of 10 container instances may be updated at once.")
        done, failures = [], []
        for ref in refs:
            ci = self._ci(ctx.region, c, ref)
            if ci is None:
                failures.append({"arn": ref, "reason": "MISSING"})
            elif ci.status == "INACTIVE":
                failures.append({"arn": ci.arn, "reason": "INACTIVE", "detail": "The container instance is deregistered."})
            else:
                if ci.status != status:
                    ci.status = status
                    ci.version += 1
                done.append(ci)
        return {"_refresh": lambda: {"containerInstances": [self._ci_json(ci) for ci in done], "failures": failures}}

    def op_DeregisterContainerInstance(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        ci = self._ci(ctx.region, c, body.get("containerInstance"))
        if ci is None or ci.status == "INACTIVE":
            raise invalid(f"The referenced container instance {body.get('containerInstance')} was not found in cluster {c.name}.")
        live = [t for t in self.ci_tasks.get(ci.id, ()) if t.last_status != "STOPPED"]
        if live and not body.get("force"):
            raise invalid("Found running tasks on the instance. Stop them first or use force.")
        now = self.clock.now()
        for t in live:
            self._stop(t, "TaskFailedToStart" if t.last_status == "PENDING" else "ServiceSchedulerInitiated",
                       "Container instance deregistration forced by a user")
            self._mark_stopped(t, now)
        ci.status = "INACTIVE"
        ci.version += 1
        return {"_refresh": lambda: {"containerInstance": self._ci_json(ci)}}

    def op_DiscoverPollEndpoint(self, body, ctx):
        now = self.clock.now()
        touched = False
        if body.get("containerInstance"):
            try:
                c = self._cluster(ctx.region, body.get("cluster"))
            except AwsError:
                c = None
            ci = self._ci(ctx.region, c, body["containerInstance"]) if c else None
            if ci is None:
                # the real service also answers unknown instances; nothing to mark
                pass
            else:
                ci.last_seen = now
                touched = True
        if not touched and ctx.caller is not None:
            for ci in self.instances.get(ctx.region, {}).values():
                if ci.ec2_id == ctx.caller.id and ci.status != "INACTIVE":
                    ci.last_seen = now
        url = ctx.base_url
        return {"endpoint": url, "telemetryEndpoint": url, "serviceConnectEndpoint": url,
                "systemLogsEndpoint": url}

    # ------------------------------------------------------------ attributes
    def _attr_target(self, region: str, c: Obj, a: dict) -> Obj:
        if a.get("targetType", "container-instance") != "container-instance":
            raise invalid("targetType must be container-instance.")
        ci = self._ci(region, c, a.get("targetId"))
        if ci is None:
            raise _err("TargetNotFoundException", f"Could not find {a.get('targetId')}.")
        return ci

    def op_PutAttributes(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        for a in body.get("attributes") or []:
            ci = self._attr_target(ctx.region, c, a)
            ci.attributes[a["name"]] = a.get("value")
            ci.__dict__.setdefault("custom_attrs", set()).add(a["name"])
        return {"attributes": body.get("attributes") or []}

    def op_DeleteAttributes(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        for a in body.get("attributes") or []:
            ci = self._attr_target(ctx.region, c, a)
            ci.attributes.pop(a["name"], None)
        return {"attributes": body.get("attributes") or []}

    def op_ListAttributes(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        if body.get("targetType") != "container-instance":
            raise invalid("targetType must be container-instance.")
        out = []
        for ci in self._cluster_instances(ctx.region, c):
            if ci.status == "INACTIVE":
                continue
            for k, v in ci.attributes.items():
                if body.get("attributeName") and k != body["attributeName"]:
                    continue
                if body.get("attributeValue") and v != body["attributeValue"]:
                    continue
                item = {"name": k, "targetType": "container-instance", "targetId": ci.arn}
                if v is not None:
                    item["value"] = v
                out.append(item)
        page, nxt = paginate(out, body.get("maxResults"), body.get("nextToken"), "InvalidParameterException", 100, 100)
        return {"attributes": page, **({"nextToken": nxt} if nxt else {})}

    # ------------------------------------------------------------ task definitions
    def op_RegisterTaskDefinition(self, body, ctx):
        family = body.get("family") or ""
        if not re.match(r"^[A-Za-z0-9_-]{1,255}$", family):
            raise _err("ClientException", "Family contains invalid characters (letters, numbers, hyphens and underscores, up to 255).")
        network = body.get("networkMode", "bridge")
        if network not in ("bridge", "host", "awsvpc", "none"):
            raise _err("ClientException", f"Invalid networkMode {network}.")
        req = body.get("requiresCompatibilities") or []
        for r in req:
            if r not in ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"):
                raise _err("ClientException", f"Invalid requiresCompatibilities value {r}.")
        if "EXTERNAL" in req and network == "awsvpc":
            raise _err("ClientException", "Tasks with the EXTERNAL launch type do not support the awsvpc network mode.")
        task_cpu = _int(body.get("cpu"), 0) if body.get("cpu") is not None else None
        task_mem = _int(body.get("memory"), 0) if body.get("memory") is not None else None
        if "FARGATE" in req and (network != "awsvpc" or task_cpu is None or task_mem is None):
            raise _err("ClientException", "Fargate requires network mode awsvpc and task-level cpu and memory.")
        containers = body.get("containerDefinitions") or []
        if not containers:
            raise _err("ClientException", "Container list cannot be empty.")
        norm = []
        names = set()
        for cd in containers:
            cd = copy.deepcopy(cd)
            if not cd.get("name") or not cd.get("image"):
                raise _err("ClientException", "Container.name and Container.image should not be null or empty.")
            if cd["name"] in names:
                raise _err("ClientException", f"Duplicate container name {cd['name']}.")
            names.add(cd["name"])
            if task_mem is None and not cd.get("memory") and not cd.get("memoryReservation"):
                raise _err("ClientException", f"Invalid setting for container '{cd['name']}'. "
                                              "At least one of 'memory' or 'memoryReservation' must be specified.")
            cd.setdefault("cpu", 0)
            cd.setdefault("essential", True)
            pms = []
            for pm in cd.get("portMappings") or []:
                pm = dict(pm)
                if "containerPort" not in pm:
                    raise _err("ClientException", "portMappings need a containerPort.")
                pm.setdefault("protocol", "tcp")
                if network in ("host", "awsvpc"):
                    if pm.get("hostPort") not in (None, 0, pm["containerPort"]):
                        raise _err("ClientException", "When networkMode=host, hostPort must be the same as containerPort or be omitted.")
                    pm["hostPort"] = pm["containerPort"]
                elif network == "bridge":
                    pm.setdefault("hostPort", 0)
                pms.append(pm)
            cd["portMappings"] = pms
            for key in ("environment", "mountPoints", "volumesFrom"):
                cd.setdefault(key, [])
            norm.append(cd)
        compat = ["EC2"]
        if network != "awsvpc":
            compat.append("EXTERNAL")
        if network == "awsvpc" and task_cpu is not None and task_mem is not None:
            compat.append("FARGATE")
        data = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("tags", "family", "containerDefinitions")}
        data.update({"containerDefinitions": norm, "networkMode": network, "volumes": body.get("volumes") or [],
                     "placementConstraints": body.get("placementConstraints") or [], "requiresAttributes": [],
                     "compatibilities": compat, "requiresCompatibilities": req})
        if body.get("cpu") is not None:
            data["cpu"] = str(body["cpu"])
        if body.get("memory") is not None:
            data["memory"] = str(body["memory"])
        revs = self.taskdefs.setdefault(ctx.region, {}).setdefault(family, [])
        rev = len(revs) + 1
        td = Obj(family=family, revision=rev, region=ctx.region, arn=self._arn(ctx.region, "task-definition", f"{family}:{rev}"),
                 data=data, status="ACTIVE", registered_at=self.clock.now(), deregistered_at=None,
                 tags=_tags_in(body.get("tags")), cpu_units=task_cpu if task_cpu is not None else sum(_int(c.get("cpu")) for c in norm),
                 mem_units=task_mem if task_mem is not None else sum(_int(c.get("memory") or c.get("memoryReservation")) for c in norm))
        revs.append(td)
        return {"taskDefinition": self._td_json(td), "tags": _tags_out(td.tags)}

    def op_DescribeTaskDefinition(self, body, ctx):
        td = self._taskdef(ctx.region, body.get("taskDefinition"))
        out: dict[str, Any] = {"taskDefinition": self._td_json(td)}
        if "TAGS" in (body.get("include") or []):
            out["tags"] = _tags_out(td.tags)
        return out

    def op_DeregisterTaskDefinition(self, body, ctx):
        ref = str(body.get("taskDefinition") or "")
        if ":" not in ref.split("task-definition/")[-1]:
            raise _err("ClientException", "A revision must be specified (family:revision).")
        td = self._taskdef(ctx.region, ref)
        if td.status == "ACTIVE":
            td.status = "INACTIVE"
            td.deregistered_at = self.clock.now()
        return {"taskDefinition": self._td_json(td)}

    def op_ListTaskDefinitions(self, body, ctx):
        status = body.get("status", "ACTIVE")
        prefix = body.get("familyPrefix")
        tds = [td for fam, revs in self.taskdefs.get(ctx.region, {}).items() if not prefix or fam == prefix
               for td in revs if td.status == status]
        tds.sort(key=lambda t: (t.family, t.revision), reverse=body.get("sort") == "DESC")
        page, nxt = paginate([t.arn for t in tds], body.get("maxResults"), body.get("nextToken"), "InvalidParameterException", 100, 100)
        return {"taskDefinitionArns": page, **({"nextToken": nxt} if nxt else {})}

    def op_ListTaskDefinitionFamilies(self, body, ctx):
        status = body.get("status", "ACTIVE")
        prefix = body.get("familyPrefix") or ""
        fams = []
        for fam, revs in sorted(self.taskdefs.get(ctx.region, {}).items()):
            if not fam.startswith(prefix):
                continue
            has_active = any(t.status == "ACTIVE" for t in revs)
            if status == "ALL" or (status == "ACTIVE" and has_active) or (status == "INACTIVE" and not has_active):
                fams.append(fam)
        page, nxt = paginate(fams, body.get("maxResults"), body.get("nextToken"), "InvalidParameterException", 100, 100)
        return {"families": page, **({"nextToken": nxt} if nxt else {})}

    # ------------------------------------------------------------ services
    def _check_launch(self, launch_type: Any, td: Obj) -> str:
        launch_type = launch_type or "EC2"
        if launch_type not in ("EC2", "EXTERNAL", "FARGATE"):
            raise invalid(f"launchType should be one of [EC2, FARGATE, EXTERNAL], not {launch_type}.")
        if launch_type == "FARGATE":
            raise invalid("The FARGATE launch type is not supported by this emulator.")
        if launch_type not in td.data["compatibilities"]:
            raise invalid(f"Task definition does not support launch_type {launch_type}.")
        return launch_type

    def _new_deployment(self, svc: Obj, td_arn: str) -> Obj:
        now = self.clock.now()
        for d in svc.deployments:
            if d.status == "PRIMARY":
                d.status = "ACTIVE"
                d.updated_at = now
        d = Obj(id="ecs-svc/" + self.ids.digits(19), status="PRIMARY", td_arn=td_arn, created_at=now,
                updated_at=now, rollout_state="IN_PROGRESS", rollout_reason="ECS deployment ecs-svc in progress.",
                failed=0)
        d.rollout_reason = f"ECS deployment {d.id} in progress."
        svc.deployments.insert(0, d)
        svc.steady = False
        return d

    def _deployment_config(self, cfg: Any, old: dict | None = None) -> dict:
        out = copy.deepcopy(old) if old else {"deploymentCircuitBreaker": {"enable": False, "rollback": False},
                                              "maximumPercent": 200, "minimumHealthyPercent": 100}
        for k, v in (cfg or {}).items():
            out[k] = copy.deepcopy(v)
        if out["maximumPercent"] < 100 or out["minimumHealthyPercent"] < 0 or out["minimumHealthyPercent"] > 100:
            raise invalid("maximumPercent must be >= 100 and minimumHealthyPercent within 0..100.")
        return out

    def _check_constraints(self, cons: Any) -> list:
        for pc in cons or []:
            if pc.get("type") not in ("distinctInstance", "memberOf"):
                raise invalid(f"Invalid placement constraint type {pc.get('type')}.")
            if pc.get("type") == "memberOf":
                Cql(pc.get("expression") or "")
        return copy.deepcopy(cons or [])

    def op_CreateService(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        name = body.get("serviceName") or ""
        if not re.match(r"^[A-Za-z0-9_-]{1,255}$", name):
            raise invalid("Service name may only contain letters, numbers, hyphens and underscores (up to 255).")
        if not body.get("taskDefinition"):
            raise invalid("TaskDefinition must be provided.")
        try:
            td = self._taskdef(ctx.region, body["taskDefinition"])
        except AwsError:
            raise invalid("TaskDefinition not found.") from None
        if td.status != "ACTIVE":
            raise invalid("TaskDefinition is inactive.")
        if body.get("capacityProviderStrategy") and body.get("launchType"):
            raise invalid("Specify either a launchType or a capacityProviderStrategy, not both.")
        launch = self._check_launch(body.get("launchType"), td)
        if body.get("loadBalancers") and launch == "EXTERNAL":
            raise invalid("Load balancers are not supported for the EXTERNAL launch type.")
        scheduling = body.get("schedulingStrategy", "REPLICA")
        if scheduling not in ("REPLICA", "DAEMON"):
            raise invalid(f"Invalid schedulingStrategy {scheduling}.")
        desired = body.get("desiredCount")
        if scheduling == "DAEMON" and desired is not None:
            raise invalid("The daemon scheduling strategy does not support a desired count for services.")
        if scheduling == "REPLICA" and desired is None:
            desired = 0
        if scheduling == "DAEMON" and body.get("placementStrategy"):
            raise invalid("Placement strategies are not supported with DAEMON scheduling strategy.")
        arn = self._arn(ctx.region, "service", f"{c.name}/{name}")
        old = self.services.get(ctx.region, {}).get(arn)
        if old is not None and old.status in ("ACTIVE", "DRAINING"):
            raise invalid("Creation of service was not idempotent.")
        svc = Obj(name=name, arn=arn, region=ctx.region, cluster=c.name, status="ACTIVE", desired=desired or 0,
                  td_arn=td.arn, launch_type=launch, scheduling=scheduling,
                  deployment_configuration=self._deployment_config(body.get("deploymentConfiguration")),
                  constraints=self._check_constraints(body.get("placementConstraints")),
                  strategy=copy.deepcopy(body.get("placementStrategy") or []), deployments=[], events=[],
                  created_at=self.clock.now(), tags=_tags_in(body.get("tags")),
                  managed_tags=bool(body.get("enableECSManagedTags")), propagate_tags=body.get("propagateTags", "NONE"),
                  steady=False)
        self._new_deployment(svc, td.arn)
        self.services.setdefault(ctx.region, {})[arn] = svc
        return {"_refresh": lambda: {"service": self._svc_json(svc, ["TAGS"])}}

    def _get_service(self, region: str, c: Obj, ref: Any) -> Obj:
        svc = self._service(region, c, ref)
        if svc is None:
            raise _err("ServiceNotFoundException", "Service not found.")
        return svc

    def op_UpdateService(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        svc = self._get_service(ctx.region, c, body.get("service"))
        if svc.status != "ACTIVE":
            raise _err("ServiceNotActiveException", "Service was not ACTIVE.")
        new_td = None
        if body.get("taskDefinition"):
            try:
                td = self._taskdef(ctx.region, body["taskDefinition"])
            except AwsError:
                raise invalid("TaskDefinition not found.") from None
            self._check_launch(svc.launch_type, td)
            new_td = td.arn
        if svc.scheduling == "DAEMON" and body.get("placementStrategy"):
            raise invalid("Placement strategies are not supported with DAEMON scheduling strategy.")
        if body.get("desiredCount") is not None:
            if svc.scheduling == "DAEMON":
                raise invalid("The daemon scheduling strategy does not support a desired count for services.")
            if body["desiredCount"] < 0:
                raise invalid("desiredCount must be >= 0.")
            if body["desiredCount"] != svc.desired:
                svc.steady = False
            svc.desired = body["desiredCount"]
        if body.get("deploymentConfiguration"):
            svc.deployment_configuration = self._deployment_config(body["deploymentConfiguration"], svc.deployment_configuration)
        if body.get("placementConstraints") is not None:
            svc.constraints = self._check_constraints(body["placementConstraints"])
        if body.get("placementStrategy") is not None:
            svc.strategy = copy.deepcopy(body["placementStrategy"])
        if (new_td and new_td != svc.td_arn) or body.get("forceNewDeployment"):
            svc.td_arn = new_td or svc.td_arn
            self._new_deployment(svc, svc.td_arn)
        return {"_refresh": lambda: {"service": self._svc_json(svc)}}

    def op_DescribeServices(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        refs = body.get("services") or []
        if len(refs) > 10:
            raise invalid("A maximum of 10 services may be described at once.")
        out, failures = [], []
        for ref in refs:
            svc = self._service(ctx.region, c, ref)
            if svc is None:
                failures.append({"arn": ref if ref.startswith("arn:") else self._arn(ctx.region, "service", f"{c.name}/{ref}"), "reason": "MISSING"})
            else:
                out.append(self._svc_json(svc, body.get("include")))
        return {"services": out, "failures": failures}

    def op_ListServices(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        svcs = [s for s in self._cluster_services(ctx.region, c) if s.status == "ACTIVE"]
        if body.get("launchType"):
            svcs = [s for s in svcs if s.launch_type == body["launchType"]]
        if body.get("schedulingStrategy"):
            svcs = [s for s in svcs if s.scheduling == body["schedulingStrategy"]]
        page, nxt = paginate([s.arn for s in svcs], body.get("maxResults"), body.get("nextToken"), "InvalidParameterException", 10, 100)
        return {"serviceArns": page, **({"nextToken": nxt} if nxt else {})}

    def op_DeleteService(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        svc = self._get_service(ctx.region, c, body.get("service"))
        if svc.status != "ACTIVE":
            raise _err("ServiceNotActiveException", "Service was not ACTIVE.")
        if svc.desired > 0 and svc.scheduling == "REPLICA" and not body.get("force"):
            raise invalid("The service cannot be stopped while it is scaled above 0.")
        svc.status = "DRAINING"
        svc.desired = 0
        return {"_refresh": lambda: {"service": self._svc_json(svc)}}

    # ------------------------------------------------------------ tasks
    def op_ListTasks(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        desired = body.get("desiredStatus") or "RUNNING"
        if body.get("containerInstance"):
            ci = self._ci(ctx.region, c, body["containerInstance"])
            tasks = list(self.ci_tasks.get(ci.id, ())) if ci is not None else []
        else:
            tasks = self._cluster_tasks(ctx.region, c)
        if desired not in ("RUNNING", "PENDING", "STOPPED"):
            raise invalid(f"desiredStatus should be one of [RUNNING, PENDING, STOPPED], not {desired}.")
        tasks = [t for t in tasks if t.desired_status == desired]
        if body.get("serviceName"):
            svc = self._service(ctx.region, c, body["serviceName"])
            if svc is None:
                raise _err("ServiceNotFoundException", "Service not found.")
            tasks = [t for t in tasks if t.service_arn == svc.arn]
        if body.get("family"):
            tasks = [t for t in tasks if t.family == body["family"]]
        if body.get("startedBy"):
            tasks = [t for t in tasks if t.started_by == body["startedBy"]]
        if body.get("launchType"):
            tasks = [t for t in tasks if t.launch_type == body["launchType"]]
        page, nxt = paginate([t.arn for t in tasks], body.get("maxResults"), body.get("nextToken"), "InvalidParameterException", 100, 100)
        return {"taskArns": page, **({"nextToken": nxt} if nxt else {})}

    def op_DescribeTasks(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        refs = body.get("tasks") or []
        if not refs:
            raise invalid("Tasks cannot be empty.")
        if len(refs) > 100:
            raise invalid("A maximum of 100 tasks may be described at once.")
        out, failures = [], []
        for ref in refs:
            t = self._task(ctx.region, c, ref)
            if t is None:
                failures.append({"arn": ref, "reason": "MISSING"})
            else:
                out.append(self._task_json(t, body.get("include")))
        return {"tasks": out, "failures": failures}

    def op_StopTask(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        t = self._task(ctx.region, c, body.get("task"))
        if t is None:
            raise invalid("The referenced task was not found.")
        if t.desired_status != "STOPPED":
            self._stop(t, "UserInitiated", body.get("reason") or "Task stopped by user")
        return {"_refresh": lambda: {"task": self._task_json(t)}}

    def op_RunTask(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        try:
            td = self._taskdef(ctx.region, body.get("taskDefinition"))
        except AwsError:
            raise invalid("TaskDefinition not found.") from None
        launch = self._check_launch(body.get("launchType"), td)
        count = body.get("count", 1)
        if not 1 <= count <= 10:
            raise invalid("count must be within 1..10.")
        cons = self._check_constraints(body.get("placementConstraints"))
        group = body.get("group") or f"family:{td.family}"
        tasks, failures = [], []
        for _ in range(count):
            ci, reason, ports = self._choose(ctx.region, c, td, launch, group, cons, body.get("placementStrategy") or [])
            if ci is None:
                failures.append({"arn": c.arn, "reason": reason})
                continue
            t = self._new_task(ci, td, launch, group, body.get("startedBy", ""), None, None, ports,
                               tags=_tags_in(body.get("tags")), overrides=body.get("overrides"))
            tasks.append(t)
        return {"_refresh": lambda: {"tasks": [self._task_json(t) for t in tasks], "failures": failures}}

    def op_StartTask(self, body, ctx):
        c = self._cluster(ctx.region, body.get("cluster"))
        try:
            td = self._taskdef(ctx.region, body.get("taskDefinition"))
        except AwsError:
            raise invalid("TaskDefinition not found.") from None
        tasks, failures = [], []
        group = body.get("group") or f"family:{td.family}"
        for ref in body.get("containerInstances") or []:
            ci = self._ci(ctx.region, c, ref)
            if ci is None or ci.status != "ACTIVE":
                failures.append({"arn": ref, "reason": "MISSING"})
                continue
            reason, ports = self._fits(ci, td, "EXTERNAL" if ci.ec2_id.startswith("mi-") else "EC2", group, [])
            if reason:
                failures.append({"arn": ci.arn, "reason": reason})
                continue
            tasks.append(self._new_task(ci, td, "EXTERNAL" if ci.ec2_id.startswith("mi-") else "EC2", group,
                                        body.get("startedBy", ""), None, None, ports, tags=_tags_in(body.get("tags")),
                                        overrides=body.get("overrides")))
        return {"_refresh": lambda: {"tasks": [self._task_json(t) for t in tasks], "failures": failures}}

    def _agent_task(self, ctx, body) -> Obj:
        c = self._cluster(ctx.region, body.get("cluster"))
        t = self._task(ctx.region, c, body.get("task"))
        if t is None:
            raise invalid("The referenced task was not found.")
        ci = self.instances.get(ctx.region, {}).get(t.ci)
        if ctx.caller is not None and ci is not None and ci.ec2_id != ctx.caller.id:
            raise AwsError("AccessDeniedException", f"Task {t.id} is not assigned to {ctx.caller.id}.")
        if ci is not None and not ci.virtual:
            ci.last_seen = self.clock.now()
        return t

    def op_SubmitTaskStateChange(self, body, ctx):
        t = self._agent_task(ctx, body)
        now = self.clock.now()
        for key, attr in (("pullStartedAt", "pull_started_at"), ("pullStoppedAt", "pull_stopped_at"),
                          ("executionStoppedAt", "execution_stopped_at")):
            if body.get(key):
                setattr(t, attr, body[key])
        for cc in body.get("containers") or []:
            self._container_update(t, cc.get("containerName"), cc)
        status = body.get("status")
        if status == "RUNNING" and t.last_status == "PENDING":
            self._mark_running(t, now)
        elif status == "STOPPED" and t.last_status != "STOPPED":
            if t.desired_status != "STOPPED":
                self._stop(t, "EssentialContainerExited" if t.last_status == "RUNNING" else "TaskFailedToStart",
                           body.get("reason") or "Essential container in task exited")
            self._mark_stopped(t, now)
        elif status not in (None, "", "RUNNING", "STOPPED", "PENDING", "ACTIVATING", "DEACTIVATING", "STOPPING"):
            raise invalid(f"Invalid task status {status}.")
        return {"acknowledgment": "ACK"}

    def op_SubmitAttachmentStateChanges(self, body, ctx):
        self._cluster(ctx.region, body.get("cluster"))
        for a in body.get("attachments") or []:
            if not isinstance(a, dict) or not a.get("attachmentArn") or not a.get("status"):
                raise invalid("attachments need attachmentArn and status.")
        return {"acknowledgment": "ACK"}

    def task_credentials(self, t: Obj, role_arn: str, kind: str) -> dict[str, str]:
        """Credentials ACS hands the agent for a task's execution or task role (minted once per task
        and role; calls signed with them go to moto, which accepts any key)."""
        store = t.__dict__.setdefault("creds", {})
        if kind not in store:
            akid = "ASIATASK" + self.ids.chars(12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
            store[kind] = {
                "credentialsId": self.ids.uuid(), "roleArn": role_arn, "accessKeyId": akid,
                "secretAccessKey": self.ids.chars(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                "sessionToken": "emulator-task-" + self.ids.chars(80, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                "expiration": self.clock.iso(self.clock.now() + 6 * 3600),
            }
            self.task_creds[akid] = {"task": t.arn, "role": role_arn, "kind": kind}
        return dict(store[kind])

    def op_SubmitContainerStateChange(self, body, ctx):
        t = self._agent_task(ctx, body)
        self._container_update(t, body.get("containerName"), body)
        now = self.clock.now()
        statuses = [c["lastStatus"] for c in t.containers]
        if t.last_status == "PENDING" and all(s == "RUNNING" for s in statuses):
            self._mark_running(t, now)
        elif t.last_status != "STOPPED" and body.get("status") == "STOPPED":
            cont = next((c for c in t.containers if c["name"] == body.get("containerName")), None)
            essential = True
            for cd in self._taskdef(t.region, t.td_arn).data["containerDefinitions"]:
                if cont and cd["name"] == cont["name"]:
                    essential = cd.get("essential", True)
            if essential and t.desired_status != "STOPPED":
                self._stop(t, "EssentialContainerExited", f"Essential container in task exited")
            if all(s == "STOPPED" for s in statuses):
                self._mark_stopped(t, now)
        return {"acknowledgment": "ACK"}

    def _container_update(self, t: Obj, name: Any, cc: dict) -> None:
        cont = next((c for c in t.containers if c["name"] == name), None)
        if cont is None:
            if name is None:
                return
            raise invalid(f"Container {name} is not part of task {t.id}.")
        if cc.get("status"):
            cont["lastStatus"] = cc["status"]
        for key in ("exitCode", "reason", "runtimeId", "networkBindings", "imageDigest", "managedAgents"):
            if key in cc:
                cont[key] = cc[key]
        if cc.get("networkBindings"):
            # the agent reports the host ports docker actually bound (dynamic ports too)
            bound = [b.get("hostPort") for c in t.containers for b in c.get("networkBindings") or [] if b.get("hostPort")]
            if bound:
                t.host_ports = bound

    # ------------------------------------------------------------ task lifecycle
    def _new_task(self, ci: Obj, td: Obj, launch: str, group: str, started_by: str, svc: Obj | None,
                  dep: Obj | None, ports: list[tuple[int, int, str, str]], tags=None, overrides=None) -> Obj:
        tid = self.ids.hex(32)
        now = self.clock.now()
        arn = self._arn(ci.region, "task", f"{ci.cluster}/{tid}")
        containers = []
        for cd in td.data["containerDefinitions"]:
            bindings = [{"bindIP": "0.0.0.0", "containerPort": cp, "hostPort": hp, "protocol": proto}
                        for cname, cp, hp, proto in [(p[3], p[0], p[1], p[2]) for p in ports] if cname == cd["name"]]
            containers.append({"containerArn": self._arn(ci.region, "container", f"{ci.cluster}/{tid}/{self.ids.uuid()}"),
                               "taskArn": arn, "name": cd["name"], "image": cd.get("image"), "lastStatus": "PENDING",
                               "networkBindings": bindings, "networkInterfaces": [], "cpu": str(cd.get("cpu", 0)),
                               **({"memory": str(cd["memory"])} if cd.get("memory") else {}),
                               **({"memoryReservation": str(cd["memoryReservation"])} if cd.get("memoryReservation") else {})})
        t = Obj(id=tid, arn=arn, region=ci.region, cluster=ci.cluster, td_arn=td.arn, family=td.family, ci=ci.id,
                last_status="PENDING", desired_status="RUNNING", launch_type=launch, group=group,
                started_by=started_by, service_arn=svc.arn if svc else None, deployment=dep.id if dep else None,
                containers=containers, cpu_units=td.cpu_units, mem_units=td.mem_units,
                host_ports=[p[1] for p in ports], created_at=now, started_at=None, stopping_at=None, stopped_at=None,
                stop_code="", stopped_reason="", version=1, tags=tags or {},
                overrides=overrides or {"containerOverrides": [{"name": cd["name"]} for cd in td.data["containerDefinitions"]],
                                        "inferenceAcceleratorOverrides": []})
        self.tasks.setdefault(ci.region, {})[tid] = t
        self.live.setdefault(ci.region, {})[tid] = t
        self.ci_tasks.setdefault(ci.id, []).append(t)
        if svc is not None:
            self.svc_live.setdefault(svc.arn, {})[tid] = t
        return t

    def _stop(self, t: Obj, code: str, reason: str) -> None:
        if t.desired_status == "STOPPED":
            return
        t.desired_status = "STOPPED"
        t.stop_code = code
        t.stopped_reason = reason
        t.stopping_at = self.clock.now()
        t.version += 1
        ci = self.instances.get(t.region, {}).get(t.ci)
        if ci is None or ci.status == "INACTIVE":
            self._mark_stopped(t, self.clock.now())

    def _mark_running(self, t: Obj, now: float) -> None:
        t.last_status = "RUNNING"
        t.started_at = now
        t.version += 1
        for c in t.containers:
            if c["lastStatus"] == "PENDING":
                c["lastStatus"] = "RUNNING"

    def _mark_stopped(self, t: Obj, now: float) -> None:
        if t.last_status == "STOPPED":
            return
        t.last_status = "STOPPED"
        self.live.get(t.region, {}).pop(t.id, None)
        if t.service_arn:
            self.svc_live.get(t.service_arn, {}).pop(t.id, None)
        t.stopped_at = now
        t.execution_stopped_at = getattr(t, "execution_stopped_at", None) or now
        if t.desired_status != "STOPPED":
            t.desired_status = "STOPPED"
        t.version += 1
        for c in t.containers:
            c["lastStatus"] = "STOPPED"
            c.setdefault("exitCode", 0)
        if t.deployment and t.started_at is None:
            svc = self.services.get(t.region, {}).get(t.service_arn)
            for d in (svc.deployments if svc else []):
                if d.id == t.deployment and t.stop_code in ("TaskFailedToStart", "EssentialContainerExited"):
                    d.failed += 1

    # ------------------------------------------------------------ placement
    def _fits(self, ci: Obj, td: Obj, launch: str, group: str, constraints: list) -> tuple[str, list]:
        """-> (reason or "", port assignments [(containerPort, hostPort, proto, container)])."""
        if not self.connected(ci):
            return "AGENT", []
        is_external = ci.ec2_id.startswith("mi-")
        if (launch == "EXTERNAL") != is_external:
            return "LAUNCH_TYPE", []
        for pc in constraints:
            if pc.get("type") == "distinctInstance":
                if any(t.group == group and t.last_status != "STOPPED" and t.desired_status != "STOPPED"
                       for t in self.ci_tasks.get(ci.id, ())):
                    return "DISTINCT_INSTANCE", []
            elif pc.get("type") == "memberOf":
                if not Cql(pc.get("expression") or "").match(lambda k: self._ci_lookup(ci, k)):
                    return "MEMBER_OF", []
        cpu, mem, used_ports = self._used(ci)
        if self._registered(ci, "CPU") - cpu < td.cpu_units:
            return "RESOURCE:CPU", []
        if self._registered(ci, "MEMORY") - mem < td.mem_units:
            return "RESOURCE:MEMORY", []
        taken = set(self._registered(ci, "PORTS")) | used_ports
        ports = []
        for cd in td.data["containerDefinitions"]:
            for pm in cd.get("portMappings") or []:
                hp = pm.get("hostPort") or 0
                if td.data["networkMode"] == "host":
                    hp = pm["containerPort"]
                if td.data["networkMode"] == "none":
                    continue
                if hp:
                    if str(hp) in taken:
                        return "RESOURCE:PORTS", []
                else:
                    hp = next(p for p in DYNAMIC_PORTS if str(p) not in taken)
                taken.add(str(hp))
                ports.append((pm["containerPort"], hp, pm.get("protocol", "tcp"), cd["name"]))
        return "", ports

    REASON_TEXT = {
        "AGENT": "is not connected (its ECS agent stopped sending heartbeats)",
        "LAUNCH_TYPE": "does not support the requested launch type",
        "DISTINCT_INSTANCE": "is already running a task of this group (distinctInstance placement constraint)",
        "MEMBER_OF": "does not match the memberOf placement constraint",
        "RESOURCE:CPU": "has insufficient CPU units available",
        "RESOURCE:MEMORY": "has insufficient memory available",
        "RESOURCE:PORTS": "is already using a port required by your task",
    }
    REASON_ORDER = ["AGENT", "LAUNCH_TYPE", "MEMBER_OF", "DISTINCT_INSTANCE", "RESOURCE:CPU", "RESOURCE:MEMORY", "RESOURCE:PORTS"]

    def _choose(self, region: str, c: Obj, td: Obj, launch: str, group: str, constraints: list,
                strategy: list, spread: dict | None = None) -> tuple[Obj | None, str, list]:
        """Pick an instance for one task. ``spread`` caches (group tasks, tasks) per instance
        across the placements of one scheduler pass; the caller updates it."""
        cands = [ci for ci in self._cluster_instances(region, c) if ci.status == "ACTIVE"]
        if not cands:
            return None, "No Container Instances were found in your cluster.", []
        spread = {} if spread is None else spread

        def counts(ci):
            if ci.id not in spread:
                tasks = self.ci_tasks.get(ci.id, ())
                spread[ci.id] = [sum(1 for t in tasks if t.group == group and t.desired_status == "RUNNING"),
                                 sum(1 for t in tasks if t.last_status != "STOPPED")]
            return spread[ci.id]

        # order the candidates by the strategy, then take the first that fits
        kind = (strategy[0].get("type") if strategy else "spread")
        if kind == "binpack":
            field = (strategy[0].get("field") or "memory").upper()
            idx = 0 if field == "CPU" else 1
            cands.sort(key=lambda ci: (self._registered(ci, field) - self._used(ci)[idx], ci.registered_at))
        elif kind == "random":
            with self.ids.lock:
                self.ids.rng.shuffle(cands)
        else:
            def key(ci):
                return (*counts(ci), ci.registered_at, ci.id)

            best = min(cands, key=key)  # usually fits: no need to order everyone
            reason, ports = self._fits(best, td, launch, group, constraints)
            if not reason:
                return best, "", ports
            cands.sort(key=key)
        reasons = []
        for ci in cands:
            reason, ports = self._fits(ci, td, launch, group, constraints)
            if not reason:
                return ci, "", ports
            reasons.append((self.REASON_ORDER.index(reason), reason, ci))
        reasons.sort(key=lambda r: -r[0])
        _, reason, ci = reasons[0]
        return None, f"{reason}|{ci.id}", []

    def _event(self, svc: Obj, message: str, dedupe: bool = False) -> None:
        if dedupe and any(e["message"] == message and self.clock.now() - e["createdAt"] < 300 for e in svc.events[:10]):
            return
        svc.events.insert(0, {"id": self.ids.uuid(), "createdAt": self.clock.now(), "message": message})
        del svc.events[MAX_EVENTS:]

    def _unplaceable(self, svc: Obj, reason: str) -> None:
        if "|" in reason:
            code, cid = reason.split("|", 1)
            text = (f"service {svc.name} was unable to place a task because no container instance met all of its "
                    f"requirements. The closest matching container-instance {cid} {self.REASON_TEXT.get(code, code)}. "
                    "For more information, see the Troubleshooting section.")
        else:
            text = (f"service {svc.name} was unable to place a task because no container instance met all of its "
                    f"requirements. Reason: {reason} For more information, see the Troubleshooting section.")
        self._event(svc, text, dedupe=True)

    # ------------------------------------------------------------ scheduler
    def reconcile(self, region: str) -> None:
        failed_starts: set[str] = set()  # instances whose agent already failed a start in this pass
        for _ in range(10):
            changed = self._virtual_agents(region, failed_starts)
            for svc in list(self.services.get(region, {}).values()):
                if svc.status in ("ACTIVE", "DRAINING"):
                    changed |= self._reconcile_service(svc)
            if not changed:
                break
        for svc in self.services.get(region, {}).values():
            if svc.status in ("ACTIVE", "DRAINING"):
                self._update_deployments(svc)

    def _start_failures_due(self, region: str) -> bool:
        cis = self.instances.get(region, {})
        for t in self.live.get(region, {}).values():
            ci = cis.get(t.ci)
            if (ci is not None and ci.virtual and ci.virtual_connected and ci.start_failure
                    and t.last_status == "PENDING" and t.desired_status == "RUNNING"):
                return True
        return False

    def _fail_start(self, t: Obj, reason: str, now: float) -> None:
        """What ECS reports for a task whose container the agent could not start."""
        for c in t.containers:
            c["reason"] = reason
            c["exitCode"] = None
        short = reason if len(reason) <= 255 else reason[:252] + "..."
        self._stop(t, "TaskFailedToStart", short)
        self._mark_stopped(t, now)
        for c in t.containers:
            c.pop("exitCode", None)

    def _virtual_agents(self, region: str, failed_starts: set[str] | None = None) -> bool:
        changed = False
        cis = self.instances.get(region, {})
        now = self.clock.now()
        failed_starts = set() if failed_starts is None else failed_starts
        for t in list(self.live.get(region, {}).values()):
            ci = cis.get(t.ci)
            if ci is None or not ci.virtual or not ci.virtual_connected:
                continue
            if t.desired_status == "STOPPED":
                self._mark_stopped(t, now)
                changed = True
            elif t.last_status == "PENDING" and ci.start_failure:
                if ci.id not in failed_starts:
                    failed_starts.add(ci.id)
                    self._fail_start(t, ci.start_failure, now)
                    changed = True
            elif t.last_status == "PENDING" and ci.auto_run:
                self._mark_running(t, now)
                changed = True
        return changed

    def _reconcile_service(self, svc: Obj) -> bool:
        region = svc.region
        try:
            c = self._cluster(region, svc.cluster)
        except AwsError:
            return False
        changed = False
        cis = self.instances.get(region, {})
        live = [t for t in self.svc_live.get(svc.arn, {}).values() if t.desired_status == "RUNNING"]
        # tasks on instances that are draining or gone are stopped; the scheduler replaces them
        for t in list(live):
            ci = cis.get(t.ci)
            if ci is None or ci.status != "ACTIVE":
                draining = ci is not None and ci.status == "DRAINING"
                self._stop(t, "ServiceSchedulerInitiated",
                           "Container instance is draining" if draining else "Container instance deregistered")
                live.remove(t)
                changed = True
        if svc.status != "ACTIVE":
            stopped = []
            for t in live:
                self._stop(t, "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc)")
                stopped.append(t)
            if stopped:
                self._event(svc, f"service {svc.name} has stopped {len(stopped)} running tasks: " + " ".join(f"(task {t.id})." for t in stopped))
            if not self.svc_live.get(svc.arn):
                svc.status = "INACTIVE"
                for d in svc.deployments:
                    d.status = "INACTIVE"
            return bool(stopped) or changed
        primary = svc.deployments[0]
        td = self._taskdef(region, primary.td_arn)
        group = f"service:{svc.name}"
        constraints = list(svc.constraints)
        if svc.scheduling == "DAEMON":
            desired = sum(1 for ci in self._cluster_instances(region, c) if ci.status == "ACTIVE" and self.connected(ci))
            if not any(pc.get("type") == "distinctInstance" for pc in constraints):
                constraints.append({"type": "distinctInstance"})
            svc.desired = desired
        else:
            desired = svc.desired
        cfg = svc.deployment_configuration
        max_total = max(desired, math.floor(desired * cfg["maximumPercent"] / 100))
        min_healthy = math.ceil(desired * cfg["minimumHealthyPercent"] / 100)
        prim = [t for t in live if t.deployment == primary.id]
        old = [t for t in live if t.deployment != primary.id]
        stopped: list[Obj] = []
        # scale in
        if len(prim) > desired:
            excess = sorted(prim, key=lambda t: (t.last_status == "RUNNING", -t.created_at))[:len(prim) - desired]
            for t in excess:
                self._stop(t, "ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {primary.id})")
                prim.remove(t)
                stopped.append(t)
        # old deployments: pending ones go at once; running ones while enough stay healthy
        for t in sorted(old, key=lambda t: t.last_status == "RUNNING"):
            running_now = sum(1 for x in prim + old if x.last_status == "RUNNING")
            if t.last_status != "RUNNING" or running_now - 1 >= min_healthy or len(prim) + len(old) > max_total:
                self._stop(t, "ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {primary.id})")
                old.remove(t)
                stopped.append(t)
        started: list[Obj] = []
        spread: dict = {}
        while len(prim) < desired and len(prim) + len(old) < max_total:
            ci, reason, ports = self._choose(region, c, td, svc.launch_type, group, constraints, svc.strategy, spread)
            if ci is None:
                self._unplaceable(svc, reason)
                break
            if ci.id in spread:
                spread[ci.id][0] += 1
                spread[ci.id][1] += 1
            t = self._new_task(ci, td, svc.launch_type, group, primary.id, svc, primary, ports,
                               tags=dict(svc.tags) if svc.propagate_tags == "SERVICE" else {})
            prim.append(t)
            started.append(t)
        if started:
            self._event(svc, f"service {svc.name} has started {len(started)} tasks: " + " ".join(f"(task {t.id})." for t in started))
        if stopped:
            self._event(svc, f"service {svc.name} has stopped {len(stopped)} running tasks: " + " ".join(f"(task {t.id})." for t in stopped))
        return bool(started or stopped or changed)

    def _update_deployments(self, svc: Obj) -> None:
        now = self.clock.now()
        if svc.status != "ACTIVE":
            return
        primary = svc.deployments[0]
        remaining = [primary]
        for d in svc.deployments[1:]:
            if any(t.deployment == d.id for t in self.svc_live.get(svc.arn, {}).values()):
                remaining.append(d)
            else:
                d.status = "INACTIVE"
        svc.deployments = remaining
        running, pending = self._svc_counts(svc, primary.id)
        steady = len(remaining) == 1 and running == svc.desired and pending == 0
        if steady and primary.rollout_state != "COMPLETED":
            primary.rollout_state = "COMPLETED"
            primary.rollout_reason = f"ECS deployment {primary.id} completed."
            primary.updated_at = now
        if steady and not svc.steady:
            self._event(svc, f"service {svc.name} has reached a steady state.")
        svc.steady = steady

    # ------------------------------------------------------------ tags
    def _tag_target(self, region: str, arn: Any) -> dict[str, str]:
        arn = str(arn or "")
        m = re.match(r"^arn:aws:ecs:([^:]+):\d{12}:([a-z-]+)/(.+)$", arn)
        if not m or m.group(1) != region:
            raise invalid("The ARN provided is invalid.")
        kind, rest = m.group(2), m.group(3)
        obj = None
        if kind == "cluster":
            obj = self.clusters.get(region, {}).get(rest)
            if obj is not None and obj.status != "ACTIVE":
                obj = None
        elif kind == "service":
            obj = self.services.get(region, {}).get(arn)
        elif kind == "container-instance":
            obj = self.instances.get(region, {}).get(rest.rsplit("/", 1)[-1])
        elif kind == "task":
            obj = self.tasks.get(region, {}).get(rest.rsplit("/", 1)[-1])
        elif kind == "task-definition":
            try:
                obj = self._taskdef(region, rest)
            except AwsError:
                obj = None
        if obj is None:
            raise _err("ResourceNotFoundException", "The specified resource could not be found.")
        return obj.tags

    def op_TagResource(self, body, ctx):
        tags = self._tag_target(ctx.region, body.get("resourceArn"))
        tags.update(_tags_in(body.get("tags")))
        return {}

    def op_UntagResource(self, body, ctx):
        tags = self._tag_target(ctx.region, body.get("resourceArn"))
        for k in body.get("tagKeys") or []:
            tags.pop(k, None)
        return {}

    def op_ListTagsForResource(self, body, ctx):
        return {"tags": _tags_out(self._tag_target(ctx.region, body.get("resourceArn")))}

    # ------------------------------------------------------------ operator helpers
    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        regions = set(self.clusters) | set(self.taskdefs)
        for region in sorted(regions):
            out[region] = {
                "clusters": [self._cluster_json(c, ["TAGS"]) for c in self.clusters.get(region, {}).values()],
                "containerInstances": [dict(self._ci_json(ci, ["TAGS"]), cluster=ci.cluster, virtual=ci.virtual)
                                       for ci in self.instances.get(region, {}).values()],
                "taskDefinitions": [self._td_json(td) for revs in self.taskdefs.get(region, {}).values() for td in revs],
                "services": [self._svc_json(s, ["TAGS"]) for s in self.services.get(region, {}).values()],
                "tasks": [self._task_json(t, ["TAGS"]) for t in self.tasks.get(region, {}).values()],
            }
        return out
