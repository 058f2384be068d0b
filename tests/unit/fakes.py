# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A small in-memory ECS + SSM that enforces the API limits the modules must
respect (batch sizes, page sizes) and records every call."""

from __future__ import annotations

import datetime
import itertools
import uuid

from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"


def client_error(code, message="", operation="Op"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class LimitExceeded(AssertionError):
    """The code under test broke an API limit (a real AWS would reject the call)."""


class _Base:
    # the error code the service throttles with (IAM and STS answer "Throttling")
    THROTTLE_CODE = "ThrottlingException"

    def __init__(self):
        self.calls = []
        self.throttle = {}  # operation -> number of ThrottlingException to raise first
        self.errors = {}  # operation -> error code every call of it raises (a denied or broken call)
        self.page_size = 100

    def _call(self, op, kwargs):
        self.calls.append((op, kwargs))
        if op in self.errors:
            raise client_error(self.errors[op], f"{op} failed ({self.errors[op]})", op)
        if self.throttle.get(op):
            self.throttle[op] -= 1
            raise client_error(self.THROTTLE_CODE, "Rate exceeded", op)

    def count(self, op):
        return sum(1 for name, dummy in self.calls if name == op)

    def _page(self, items, kwargs, token_key, max_key, limit):
        size = min(kwargs.get(max_key) or limit, limit, self.page_size)
        if kwargs.get(max_key, 0) > limit:
            raise LimitExceeded(f"{max_key} above {limit}")
        start = int(kwargs.get(token_key) or 0)
        page = items[start:start + size]
        token = str(start + size) if start + size < len(items) else None
        return page, token


class FakeEcs(_Base):
    def __init__(self):
        super().__init__()
        self.clusters = {}
        self.instances = {}  # arn -> instance
        self.tasks = {}  # arn -> task
        self.task_definitions = {}  # arn -> definition
        self.services = {}  # (cluster, name) -> service
        self.stuck_tasks = set()  # task ARNs a drain never stops
        self.polls_to_steady = 1
        self.on_describe_services = []  # callables run at each DescribeServices (time passing)

    # -- setup helpers
    def add_cluster(self, name):
        self.clusters[name] = {"clusterName": name, "status": "ACTIVE",
                               "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}"}
        return self.clusters[name]

    def add_instance(self, cluster, mi, status="ACTIVE"):
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{cluster}/{uuid.uuid4().hex}"
        self.instances[arn] = {
            "containerInstanceArn": arn, "ec2InstanceId": mi, "status": status, "cluster": cluster,
            "agentConnected": True, "runningTasksCount": 0, "pendingTasksCount": 0,
            "versionInfo": {"agentVersion": "1.89.2", "dockerVersion": "DockerVersion: 20.10"},
            "attributes": [{"name": "ecs.capability.external"}, {"name": "ecs.os-type", "value": "linux"}],
            "registeredAt": datetime.datetime(2026, 11, 27, tzinfo=datetime.timezone.utc),
        }
        return arn

    def add_task(self, cluster, instance_arn, started_by=None, stuck=False):
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{uuid.uuid4().hex}"
        self.tasks[arn] = {"taskArn": arn, "clusterArn": self.clusters[cluster]["clusterArn"],
                           "containerInstanceArn": instance_arn, "lastStatus": "RUNNING",
                           "desiredStatus": "RUNNING", "startedBy": started_by,
                           "group": f"service:{started_by}" if started_by else "family:x"}
        self.instances[instance_arn]["runningTasksCount"] += 1
        if stuck:
            self.stuck_tasks.add(arn)
        return arn

    def add_stopped_task(self, cluster, instance_arn, service, reason, stop_code="TaskFailedToStart", started=False):
        """A task of ``service`` that stopped (before running unless ``started``) with ``reason``."""
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{uuid.uuid4().hex}"
        self.tasks[arn] = {"taskArn": arn, "clusterArn": self.clusters[cluster]["clusterArn"],
                           "containerInstanceArn": instance_arn, "lastStatus": "STOPPED",
                           "desiredStatus": "STOPPED", "startedBy": "ecs-svc/1", "group": f"service:{service}",
                           "stopCode": stop_code, "stoppedReason": reason,
                           "containers": [{"name": "nginx", "lastStatus": "STOPPED", "reason": reason}]}
        if started:
            self.tasks[arn]["startedAt"] = datetime.datetime(2026, 11, 27, tzinfo=datetime.timezone.utc)
        return arn

    def _cluster(self, cluster):
        name = cluster.rsplit("/", 1)[-1]
        if name not in self.clusters:
            raise client_error("ClusterNotFoundException", "Cluster not found.")
        return name

    def _stop(self, arn):
        task = self.tasks[arn]
        if task["lastStatus"] != "STOPPED":
            task["lastStatus"] = task["desiredStatus"] = "STOPPED"
            self.instances[task["containerInstanceArn"]]["runningTasksCount"] -= 1

    def _scheduler(self):
        """Service tasks leave DRAINING instances (one scheduler pass per describe)."""
        for arn, task in self.tasks.items():
            instance = self.instances[task["containerInstanceArn"]]
            if (instance["status"] == "DRAINING" and task["lastStatus"] != "STOPPED"
                    and (task["startedBy"] or "").startswith("ecs-svc/") and arn not in self.stuck_tasks):
                self._stop(arn)

    # -- clusters
    def _cluster_view(self, name, include=()):
        """A cluster as DescribeClusters shows it: counts computed, settings and tags
        only when ``include`` asks for them (as ECS does)."""
        cluster = {k: v for k, v in self.clusters[name].items() if k not in ("settings", "tags")}
        active = cluster["status"] == "ACTIVE"
        cluster.update(
            registeredContainerInstancesCount=sum(
                1 for i in self.instances.values() if active and i["cluster"] == name and i["status"] in ("ACTIVE", "DRAINING")),
            activeServicesCount=sum(
                1 for (c, dummy), s in self.services.items() if active and c == name and s["status"] == "ACTIVE"),
            runningTasksCount=sum(
                1 for t in self.tasks.values() if active and t["clusterArn"].endswith("/" + name) and t["lastStatus"] == "RUNNING"),
            pendingTasksCount=0,
        )
        if "SETTINGS" in include:
            cluster["settings"] = [dict(s) for s in self.clusters[name].get("settings", [])]
        if "TAGS" in include:
            cluster["tags"] = [dict(t) for t in self.clusters[name].get("tags", [])]
        return cluster

    def describe_clusters(self, **kw):
        self._call("DescribeClusters", kw)
        include = kw.get("include") or ()
        for value in include:
            if value not in ("ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"):
                raise client_error("InvalidParameterException", f"include {value} is not valid")
        found = [self._cluster_view(c.rsplit("/", 1)[-1], include) for c in kw["clusters"]
                 if c.rsplit("/", 1)[-1] in self.clusters]
        return {"clusters": found, "failures": []}

    def create_cluster(self, **kw):
        self._call("CreateCluster", kw)
        name = kw["clusterName"]
        if name in self.clusters and self.clusters[name]["status"] == "ACTIVE":
            return {"cluster": self._cluster_view(name, ("SETTINGS", "TAGS"))}
        cluster = self.add_cluster(name)
        cluster["settings"] = [dict(s) for s in kw.get("settings") or [{"name": "containerInsights", "value": "disabled"}]]
        cluster["tags"] = [dict(t) for t in kw.get("tags") or []]
        return {"cluster": self._cluster_view(name, ("SETTINGS", "TAGS"))}

    def update_cluster_settings(self, **kw):
        self._call("UpdateClusterSettings", kw)
        name = self._cluster(kw["cluster"])
        for setting in kw["settings"]:
            if setting["name"] != "containerInsights" or setting["value"] not in ("enabled", "disabled", "enhanced"):
                raise client_error("InvalidParameterException", f"invalid setting {setting}")
            current = [s for s in self.clusters[name].get("settings", []) if s["name"] != setting["name"]]
            self.clusters[name]["settings"] = current + [dict(setting)]
        return {"cluster": self._cluster_view(name, ("SETTINGS", "TAGS"))}

    def _cluster_by_arn(self, arn):
        for name, cluster in self.clusters.items():
            if cluster["clusterArn"] == arn and cluster["status"] == "ACTIVE":
                return name
        raise client_error("InvalidParameterException", "The specified cluster is inactive or missing.")

    def tag_resource(self, **kw):
        self._call("TagResource", kw)
        cluster = self.clusters[self._cluster_by_arn(kw["resourceArn"])]
        keys = {t["key"] for t in kw["tags"]}
        cluster["tags"] = [t for t in cluster.get("tags", []) if t["key"] not in keys] + [dict(t) for t in kw["tags"]]
        return {}

    def untag_resource(self, **kw):
        self._call("UntagResource", kw)
        cluster = self.clusters[self._cluster_by_arn(kw["resourceArn"])]
        if any(k.lower().startswith("aws:") for k in kw["tagKeys"]):
            # ECS: "aws:" is reserved for AWS use; such tags cannot be removed.
            raise client_error("InvalidParameterException", "Tag keys starting with 'aws:' are reserved.")
        cluster["tags"] = [t for t in cluster.get("tags", []) if t["key"] not in kw["tagKeys"]]
        return {}

    def delete_cluster(self, **kw):
        self._call("DeleteCluster", kw)
        name = self._cluster(kw["cluster"])
        view = self._cluster_view(name)
        if self.clusters[name]["status"] != "ACTIVE":
            raise client_error("ClusterNotFoundException", "Cluster not found.")
        if view["registeredContainerInstancesCount"]:
            raise client_error("ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while Container Instances are active or draining.")
        if view["activeServicesCount"]:
            raise client_error("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
        self.clusters[name]["status"] = "INACTIVE"
        return {"cluster": self._cluster_view(name)}

    def list_clusters(self, **kw):
        self._call("ListClusters", kw)
        arns = [c["clusterArn"] for c in self.clusters.values()]
        page, token = self._page(arns, kw, "nextToken", "maxResults", 100)
        return {"clusterArns": page, "nextToken": token}

    # -- container instances
    def list_container_instances(self, **kw):
        self._call("ListContainerInstances", kw)
        name = self._cluster(kw["cluster"])
        arns = [a for a, i in self.instances.items() if i["cluster"] == name
                and (i["status"] == kw["status"] if kw.get("status") else i["status"] != "INACTIVE")]
        page, token = self._page(arns, kw, "nextToken", "maxResults", 100)
        return {"containerInstanceArns": page, "nextToken": token}

    def _find_instance(self, name, ref):
        for arn, instance in self.instances.items():
            if instance["cluster"] == name and (arn == ref or arn.rsplit("/", 1)[-1] == ref):
                return instance
        return None

    def describe_container_instances(self, **kw):
        self._call("DescribeContainerInstances", kw)
        if len(kw["containerInstances"]) > 100:
            raise LimitExceeded("DescribeContainerInstances takes at most 100")
        name = self._cluster(kw["cluster"])
        self._scheduler()
        found, failures = [], []
        for ref in kw["containerInstances"]:
            instance = self._find_instance(name, ref)
            if instance:
                found.append({k: v for k, v in instance.items() if k != "cluster"})
            else:
                failures.append({"arn": ref, "reason": "MISSING"})
        return {"containerInstances": found, "failures": failures}

    def update_container_instances_state(self, **kw):
        self._call("UpdateContainerInstancesState", kw)
        if len(kw["containerInstances"]) > 10:
            raise LimitExceeded("UpdateContainerInstancesState takes at most 10")
        name = self._cluster(kw["cluster"])
        for ref in kw["containerInstances"]:
            self._find_instance(name, ref)["status"] = kw["status"]
        return {"containerInstances": [], "failures": []}

    def deregister_container_instance(self, **kw):
        self._call("DeregisterContainerInstance", kw)
        name = self._cluster(kw["cluster"])
        instance = self._find_instance(name, kw["containerInstance"])
        if instance is None or instance["status"] == "INACTIVE":
            raise client_error("ClientException", "Container instance not found.")
        if instance["runningTasksCount"] and not kw.get("force"):
            raise client_error("ClientException", "Found running tasks on the instance.")
        instance["status"] = "INACTIVE"
        return {"containerInstance": dict(instance)}

    # -- tasks
    def list_tasks(self, **kw):
        self._call("ListTasks", kw)
        name = self._cluster(kw["cluster"])
        arns = [a for a, t in self.tasks.items() if t["clusterArn"].endswith("/" + name)
                and t["desiredStatus"] == kw.get("desiredStatus", "RUNNING")
                and ("serviceName" not in kw or t.get("group") == "service:" + kw["serviceName"])]
        page, token = self._page(arns, kw, "nextToken", "maxResults", 100)
        return {"taskArns": page, "nextToken": token}

    def describe_tasks(self, **kw):
        self._call("DescribeTasks", kw)
        if len(kw["tasks"]) > 100:
            raise LimitExceeded("DescribeTasks takes at most 100")
        return {"tasks": [dict(self.tasks[a]) for a in kw["tasks"] if a in self.tasks], "failures": []}

    def stop_task(self, **kw):
        self._call("StopTask", kw)
        self._stop(kw["task"])
        return {"task": dict(self.tasks[kw["task"]])}

    # -- task definitions
    def register_task_definition(self, **kw):
        self._call("RegisterTaskDefinition", kw)
        family = kw["family"]
        revision = 1 + max([d["revision"] for d in self.task_definitions.values() if d["family"] == family] or [0])
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"
        definition = {k: v for k, v in kw.items() if k != "tags"}
        # ECS fills in defaults
        containers = []
        for c in kw["containerDefinitions"]:
            container = {"essential": True, "cpu": 0, "environment": [], "mountPoints": [], "volumesFrom": []}
            container.update(c)
            container["portMappings"] = [dict({"protocol": "tcp"}, **m) for m in c.get("portMappings", [])]
            containers.append(container)
        definition["containerDefinitions"] = containers
        definition.update(taskDefinitionArn=arn, revision=revision, status="ACTIVE",
                          compatibilities=["EXTERNAL", "EC2"], volumes=kw.get("volumes", []),
                          placementConstraints=kw.get("placementConstraints", []))
        self.task_definitions[arn] = definition
        return {"taskDefinition": dict(definition), "tags": kw.get("tags", [])}

    def describe_task_definition(self, **kw):
        self._call("DescribeTaskDefinition", kw)
        ref = kw["taskDefinition"]
        if ref in self.task_definitions:
            return {"taskDefinition": dict(self.task_definitions[ref]), "tags": []}
        if ":" in ref:
            family, revision = ref.rsplit(":", 1)
            for d in self.task_definitions.values():
                if d["family"] == family and str(d["revision"]) == revision:
                    return {"taskDefinition": dict(d), "tags": []}
        active = [d for d in self.task_definitions.values() if d["family"] == ref and d["status"] == "ACTIVE"]
        if not active:
            raise client_error("ClientException", "Unable to describe task definition.")
        return {"taskDefinition": dict(max(active, key=lambda d: d["revision"])), "tags": []}

    def list_task_definitions(self, **kw):
        self._call("ListTaskDefinitions", kw)
        arns = [a for a, d in self.task_definitions.items()
                if d["family"].startswith(kw.get("familyPrefix", "")) and d["status"] == kw.get("status", "ACTIVE")]
        page, token = self._page(arns, kw, "nextToken", "maxResults", 100)
        return {"taskDefinitionArns": page, "nextToken": token}

    def deregister_task_definition(self, **kw):
        self._call("DeregisterTaskDefinition", kw)
        definition = self.task_definitions[kw["taskDefinition"]]
        definition["status"] = "INACTIVE"
        return {"taskDefinition": dict(definition)}

    # -- services
    def _service_view(self, service):
        service = dict(service)
        service.pop("_polls", None)
        return service

    def create_service(self, **kw):
        self._call("CreateService", kw)
        name = self._cluster(kw["cluster"])
        service = {k: v for k, v in kw.items() if k not in ("cluster",)}
        service.update(
            serviceArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{name}/{kw['serviceName']}",
            clusterArn=self.clusters[name]["clusterArn"], status="ACTIVE", runningCount=0, pendingCount=0,
            deploymentConfiguration=kw.get("deploymentConfiguration", {"maximumPercent": 200, "minimumHealthyPercent": 100}),
            placementConstraints=kw.get("placementConstraints", []), placementStrategy=kw.get("placementStrategy", []),
            events=[{"message": f"(service {kw['serviceName']}) was unable to place a task."}],
            _polls=0,
        )
        service["deployments"] = [{"status": "PRIMARY", "rolloutState": "IN_PROGRESS",
                                   "desiredCount": service.get("desiredCount", 0), "runningCount": 0, "pendingCount": 0}]
        self.services[(name, kw["serviceName"])] = service
        return {"service": self._service_view(service)}

    def describe_services(self, **kw):
        self._call("DescribeServices", kw)
        for hook in self.on_describe_services:
            hook()
        name = self._cluster(kw["cluster"])
        found = []
        for svc in kw["services"]:
            service = self.services.get((name, svc))
            if service is None:
                continue
            service["_polls"] += 1
            if service["_polls"] >= self.polls_to_steady and service["status"] == "ACTIVE":
                desired = service.get("desiredCount", 0)
                service["runningCount"] = desired
                service["deployments"] = [{"status": "PRIMARY", "rolloutState": "COMPLETED",
                                           "desiredCount": desired, "runningCount": desired, "pendingCount": 0}]
            if service["status"] == "DRAINING" and service["_polls"] >= self.polls_to_steady:
                service["status"] = "INACTIVE"
            found.append(self._service_view(service))
        return {"services": found, "failures": []}

    def update_service(self, **kw):
        self._call("UpdateService", kw)
        name = self._cluster(kw["cluster"])
        service = self.services[(name, kw["service"])]
        for key in ("taskDefinition", "desiredCount", "deploymentConfiguration", "placementConstraints", "placementStrategy"):
            if key in kw:
                service[key] = kw[key]
        service["_polls"] = 0
        service["deployments"] = [{"status": "PRIMARY", "rolloutState": "IN_PROGRESS"}, {"status": "ACTIVE"}]
        return {"service": self._service_view(service)}

    def delete_service(self, **kw):
        self._call("DeleteService", kw)
        name = self._cluster(kw["cluster"])
        service = self.services[(name, kw["service"])]
        if service.get("desiredCount") and not kw.get("force"):
            raise client_error("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
        service["status"] = "DRAINING"
        service["_polls"] = 0
        return {"service": self._service_view(service)}


class FakeSsm(_Base):
    def __init__(self):
        super().__init__()
        self.managed = {}  # mi -> info
        self.activations = {}  # id -> activation
        self.codes = {}
        self._ids = itertools.count(1)

    def add_managed(self, hostname, mi=None):
        mi = mi or "mi-%017x" % next(self._ids)
        self.managed[mi] = {"InstanceId": mi, "ComputerName": hostname, "IPAddress": "192.0.2.%d" % (len(self.managed) + 1),
                            "PingStatus": "Online", "AgentVersion": "3.3.1142.0", "PlatformName": "Debian GNU/Linux",
                            "ResourceType": "ManagedInstance"}
        return mi

    def describe_instance_information(self, **kw):
        self._call("DescribeInstanceInformation", kw)
        if not 5 <= kw.get("MaxResults", 50) <= 50:
            raise LimitExceeded("MaxResults must be 5..50")
        items = list(self.managed.values())
        for f in kw.get("Filters", []):
            if f["Key"] == "InstanceIds":
                if len(f["Values"]) > 50:
                    raise LimitExceeded("at most 50 InstanceIds")
                items = [i for i in items if i["InstanceId"] in f["Values"]]
        page, token = self._page(items, kw, "NextToken", "MaxResults", 50)
        return {"InstanceInformationList": [dict(i) for i in page], "NextToken": token}

    def deregister_managed_instance(self, **kw):
        self._call("DeregisterManagedInstance", kw)
        if kw["InstanceId"] not in self.managed:
            raise client_error("InvalidInstanceId", "Instance not found")
        del self.managed[kw["InstanceId"]]
        return {}

    def add_activation(self, name, created, expired=False, limit=1, count=0, role="ecsAnywhereRole", tags=None,
                       description=None):
        activation_id = str(uuid.uuid4())
        self.activations[activation_id] = {
            "ActivationId": activation_id, "DefaultInstanceName": name, "IamRole": role,
            "RegistrationLimit": limit, "RegistrationsCount": count, "Expired": expired,
            "ExpirationDate": created + datetime.timedelta(days=1), "CreatedDate": created,
            "Description": description,
            "Tags": [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        return activation_id

    def describe_activations(self, **kw):
        self._call("DescribeActivations", kw)
        items = list(self.activations.values())
        for f in kw.get("Filters", []):
            if f["FilterKey"] == "DefaultInstanceName":
                items = [a for a in items if a["DefaultInstanceName"] in f["FilterValues"]]
            if f["FilterKey"] == "ActivationIds":
                items = [a for a in items if a["ActivationId"] in f["FilterValues"]]
        page, token = self._page(items, kw, "NextToken", "MaxResults", 50)
        return {"ActivationList": [dict(a) for a in page], "NextToken": token}

    def create_activation(self, **kw):
        self._call("CreateActivation", kw)
        activation_id = str(uuid.uuid4())
        self.activations[activation_id] = {
            "ActivationId": activation_id, "DefaultInstanceName": kw["DefaultInstanceName"], "IamRole": kw["IamRole"],
            "RegistrationLimit": kw["RegistrationLimit"], "RegistrationsCount": 0, "Expired": False,
            "ExpirationDate": kw["ExpirationDate"], "CreatedDate": datetime.datetime.now(datetime.timezone.utc),
            "Description": kw.get("Description"), "Tags": kw.get("Tags", []),
        }
        self.codes[activation_id] = "code-" + uuid.uuid4().hex
        return {"ActivationId": activation_id, "ActivationCode": self.codes[activation_id]}

    def delete_activation(self, **kw):
        self._call("DeleteActivation", kw)
        if kw["ActivationId"] not in self.activations:
            raise client_error("InvalidActivation", "not found")
        del self.activations[kw["ActivationId"]]
        return {}


class _FakePages:
    """What ``client.get_paginator(op).paginate(**kw)`` returns, for amazon.aws's
    helpers that page with ``build_full_result()``."""

    def __init__(self, fake, op, kwargs):
        self.fake, self.op, self.kwargs = fake, op, kwargs

    def build_full_result(self):
        return getattr(self.fake, self.op)(**self.kwargs)


class _FakePaginator:
    def __init__(self, fake, op):
        self.fake, self.op = fake, op

    def paginate(self, **kwargs):
        return _FakePages(self.fake, self.op, kwargs)


class FakeIam(_Base):
    THROTTLE_CODE = "Throttling"

    def __init__(self):
        super().__init__()
        self.roles = {}  # name -> GetRole's Role
        self.attached = {}  # name -> [AttachedPolicies]

    def add_role(self, name, service="ssm.amazonaws.com", tags=None, policies=()):
        self.roles[name] = {
            "RoleName": name, "RoleId": "AROA%016d" % len(self.roles), "Path": "/",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]},
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        self.attached[name] = [{"PolicyName": p.rsplit("/", 1)[-1], "PolicyArn": p} for p in policies]

    def get_role(self, **kw):
        self._call("GetRole", kw)
        if kw["RoleName"] not in self.roles:
            raise client_error("NoSuchEntity", f"The role with name {kw['RoleName']} cannot be found.", "GetRole")
        return {"Role": dict(self.roles[kw["RoleName"]])}

    def list_attached_role_policies(self, **kw):
        self._call("ListAttachedRolePolicies", kw)
        if kw["RoleName"] not in self.roles:
            raise client_error("NoSuchEntity", f"The role with name {kw['RoleName']} cannot be found.", "ListAttachedRolePolicies")
        return {"AttachedPolicies": list(self.attached[kw["RoleName"]])}

    def get_paginator(self, op):
        return _FakePaginator(self, op)
