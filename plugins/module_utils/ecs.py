# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Everything this collection knows about the ECS API: clusters, external
container instances, tasks, EXTERNAL task definitions and services.

Calls are batched as the API allows (DescribeContainerInstances and
DescribeTasks 100 a call, UpdateContainerInstancesState 10 a call, list pages of
100) and retry throttling (``aws_retry=True``)."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import chunks
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import gone_error_handler
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import paginate
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import short_list

DESCRIBE_CONTAINER_INSTANCES_BATCH = 100
UPDATE_STATE_BATCH = 10
DESCRIBE_TASKS_BATCH = 100
DESCRIBE_CLUSTERS_BATCH = 100
PAGE_SIZE = 100
SERVICE_TASK_PREFIX = "ecs-svc/"
LIVE_STATUSES = ("ACTIVE", "DRAINING")
# What ECS answers for a resource that is not there (or no longer ACTIVE).
NOT_FOUND_CODES = ("ClientException", "InvalidParameterException")
TaskDefinitionErrors = gone_error_handler(*NOT_FOUND_CODES)


# ------------------------------------------------------------------ clusters


def describe_cluster(client, cluster):
    """The cluster called (or with ARN) ``cluster`` when it is ACTIVE, else None."""
    response = client.describe_clusters(aws_retry=True, clusters=[cluster])
    for found in response.get("clusters") or []:
        if found.get("status") == "ACTIVE":
            return found
    return None


def require_cluster(client, cluster, region=None):
    found = describe_cluster(client, cluster)
    if found is None:
        where = f" in region {region}" if region else ""
        raise EcsAnywhereError(
            f"ECS cluster '{cluster}' does not exist{where} (ClusterNotFound, or INACTIVE). "
            "Check the cluster and region options, or create the cluster first "
            "(role edgeops.ecs_anywhere.aws_cluster). Nothing was changed."
        )
    return found


CLUSTER_INCLUDE = ["SETTINGS", "TAGS"]
CONTAINER_INSIGHTS = "containerInsights"
CONTAINER_INSIGHTS_VALUES = ("enabled", "disabled", "enhanced")
# DeleteCluster refusals and what to do about them.
_CLUSTER_NOT_EMPTY = {
    "ClusterContainsContainerInstancesException": "container instances are still registered",
    "ClusterContainsServicesException": "services are still active",
    "ClusterContainsTasksException": "tasks are still running",
}


def describe_cluster_full(client, cluster):
    """The ACTIVE cluster ``cluster`` with its settings and tags, or None."""
    response = client.describe_clusters(aws_retry=True, clusters=[cluster], include=CLUSTER_INCLUDE)
    for found in response.get("clusters") or []:
        if found.get("status") == "ACTIVE":
            return found
    return None


def create_cluster(client, name, settings=None, tags=None):
    request = {"clusterName": name}
    if settings:
        request["settings"] = settings
    if tags:
        request["tags"] = tags_to_ecs(tags)
    return client.create_cluster(aws_retry=True, **request)["cluster"]


def update_cluster_settings(client, cluster, settings):
    return client.update_cluster_settings(aws_retry=True, cluster=cluster, settings=settings)["cluster"]


def tag_resource(client, arn, tags):
    client.tag_resource(aws_retry=True, resourceArn=arn, tags=tags_to_ecs(tags))


def untag_resource(client, arn, keys):
    client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=list(keys))


def delete_cluster(client, cluster):
    """Delete ``cluster``. Raises EcsAnywhereError saying what to remove first
    when ECS refuses because the cluster is not empty."""
    try:
        return client.delete_cluster(aws_retry=True, cluster=cluster)["cluster"]
    except is_boto3_error_code(list(_CLUSTER_NOT_EMPTY)) as e:
        code = e.response["Error"]["Code"]
        raise EcsAnywhereError(cluster_not_empty_message(cluster, _CLUSTER_NOT_EMPTY[code]), error_code=code) from None


def cluster_not_empty_message(cluster, why):
    return (
        f"ECS refuses to delete cluster '{cluster}': {why}. Remove them first: delete the services "
        "(edgeops.ecs_anywhere.ecs_external_service state=absent, or the nginx_service role's `remove` "
        "entry point) and decommission the edge hosts (playbooks/decommission.yml, or "
        "edgeops.ecs_anywhere.ecs_container_instance state=absent), or run playbooks/teardown.yml "
        "which does both in order. Nothing was changed."
    )


def tags_to_ecs(tags):
    """ECS's ``[{"key": k, "value": v}]`` of a tag dict (amazon.aws tagging), sorted by key."""
    return ansible_dict_to_boto3_tag_list(dict(sorted((tags or {}).items())), "key", "value")


def tags_from_ecs(tags):
    """The tag dict of ECS's ``[{"key": k, "value": v}]`` (amazon.aws tagging)."""
    return boto3_tag_list_to_ansible_dict(tags or [], "key", "value")


def cluster_setting(cluster, name=CONTAINER_INSIGHTS):
    """The value of setting ``name`` of a described cluster, or None."""
    for setting in (cluster or {}).get("settings") or []:
        if setting.get("name") == name:
            return setting.get("value")
    return None


def list_cluster_arns(client):
    return paginate(client.list_clusters, "clusterArns", maxResults=PAGE_SIZE)


def cluster_name(cluster):
    """``name`` from a cluster name or ARN."""
    return cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster


# -------------------------------------------------------- container instances


def list_container_instance_arns(client, cluster, status=None):
    kwargs = {"cluster": cluster, "maxResults": PAGE_SIZE}
    if status:
        kwargs["status"] = status
    return paginate(client.list_container_instances, "containerInstanceArns", **kwargs)


def describe_container_instances(client, cluster, arns):
    """Describe ``arns`` 100 a call. Returns ``(instances, missing)``: ``missing``
    lists the requested ARNs/ids ECS does not know in ``cluster``."""
    instances = []
    missing = []
    for batch in chunks(arns, DESCRIBE_CONTAINER_INSTANCES_BATCH):
        response = client.describe_container_instances(
            aws_retry=True, cluster=cluster, containerInstances=batch
        )
        instances.extend(response.get("containerInstances") or [])
        for failure in response.get("failures") or []:
            if failure.get("reason") == "MISSING":
                missing.append(failure.get("arn"))
            else:
                raise EcsAnywhereError(
                    f"DescribeContainerInstances failed for {failure.get('arn')}: "
                    f"{failure.get('reason')} {failure.get('detail') or ''}".strip()
                )
    return instances, missing


def all_container_instances(client, cluster, status=None):
    arns = list_container_instance_arns(client, cluster, status=status)
    instances, dummy = describe_container_instances(client, cluster, arns)
    return instances


def update_container_instances_state(client, cluster, arns, status):
    """Set ``status`` (ACTIVE or DRAINING) on ``arns``, 10 a call."""
    failures = []
    for batch in chunks(arns, UPDATE_STATE_BATCH):
        response = client.update_container_instances_state(
            aws_retry=True, cluster=cluster, containerInstances=batch, status=status
        )
        failures.extend(response.get("failures") or [])
    if failures:
        raise EcsAnywhereError(
            f"ECS refused to set {status} on "
            + short_list(f"{f.get('arn')} ({f.get('reason')})" for f in failures)
            + ". The other selected instances were set to " + status + ".",
            failures=failures,
        )


def deregister_container_instance(client, cluster, arn, force=False):
    """Deregister one container instance. False when it was already gone."""
    try:
        client.deregister_container_instance(
            aws_retry=True, cluster=cluster, containerInstance=arn, force=force
        )
    except is_boto3_error_code(list(NOT_FOUND_CODES)) as e:
        message = e.response["Error"].get("Message", "").lower()
        if "not found" in message or "inactive" in message:
            return False
        raise
    return True


def task_count(instance):
    return (instance.get("runningTasksCount") or 0) + (instance.get("pendingTasksCount") or 0)


def instance_id_of(arn_or_id):
    """The trailing id of a container instance ARN (or the id itself)."""
    return arn_or_id.rsplit("/", 1)[-1]


def cluster_of_instance_arn(arn):
    """The cluster name inside a new-format container instance ARN, else None."""
    if not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)[-1].split("/")
    if len(parts) == 3:
        return parts[1]
    return None


def instance_summary(instance):
    """The ECS side of a container instance, snake_cased for return values."""
    if not instance:
        return {}
    version = instance.get("versionInfo") or {}
    registered = instance.get("registeredAt")
    return {
        "container_instance_arn": instance.get("containerInstanceArn"),
        "managed_instance_id": instance.get("ec2InstanceId"),
        "status": instance.get("status"),
        "status_reason": instance.get("statusReason"),
        "agent_connected": instance.get("agentConnected"),
        "agent_version": version.get("agentVersion"),
        "docker_version": version.get("dockerVersion"),
        "running_tasks_count": instance.get("runningTasksCount", 0),
        "pending_tasks_count": instance.get("pendingTasksCount", 0),
        "registered_at": registered.isoformat() if hasattr(registered, "isoformat") else registered,
        "attributes": {a["name"]: a.get("value") for a in instance.get("attributes") or []},
    }


# --------------------------------------------------------------------- tasks


def list_task_arns(client, cluster, desired_status="RUNNING", **filters):
    kwargs = {"cluster": cluster, "desiredStatus": desired_status, "maxResults": PAGE_SIZE}
    kwargs.update(filters)
    return paginate(client.list_tasks, "taskArns", **kwargs)


def describe_tasks(client, cluster, arns):
    tasks = []
    for batch in chunks(arns, DESCRIBE_TASKS_BATCH):
        response = client.describe_tasks(aws_retry=True, cluster=cluster, tasks=batch)
        tasks.extend(response.get("tasks") or [])
    return tasks


def tasks_by_container_instance(client, cluster, instance_arns):
    """Tasks meant to run (desired RUNNING) on each of ``instance_arns``.

    One cluster-wide listing (pages of 100) and DescribeTasks 100 a call: the
    cost grows with the cluster's tasks / 100, never with one call per instance."""
    wanted = set(instance_arns)
    result = {arn: [] for arn in instance_arns}
    if not wanted:
        return result
    task_arns = list_task_arns(client, cluster)
    for task in describe_tasks(client, cluster, task_arns):
        arn = task.get("containerInstanceArn")
        if arn in wanted and task.get("lastStatus") != "STOPPED":
            result[arn].append(task)
    return result


def is_service_task(task):
    return (task.get("startedBy") or "").startswith(SERVICE_TASK_PREFIX) or bool(task.get("group", "").startswith("service:"))


def stop_task(client, cluster, task_arn, reason):
    client.stop_task(aws_retry=True, cluster=cluster, task=task_arn, reason=reason)


# ---------------------------------------------------------- task definitions

EXTERNAL = "EXTERNAL"
EXTERNAL_NETWORK_MODES = ("bridge", "host", "none")
# Keys of a task definition this collection manages (and compares).
TASK_DEFINITION_KEYS = (
    "containerDefinitions", "networkMode", "executionRoleArn", "taskRoleArn",
    "cpu", "memory", "volumes", "placementConstraints", "requiresCompatibilities",
)
# Maps whose keys are user data: never snake_cased in return values.
USER_KEYED_MAPS = ["options", "dockerLabels", "tags", "secretOptions", "driverOpts", "labels", "sysctls"]


def describe_task_definition(client, task_definition):
    """A task definition (``family``: its latest ACTIVE revision) with its tags, or None."""
    try:
        response = client.describe_task_definition(
            aws_retry=True, taskDefinition=task_definition, include=["TAGS"]
        )
    except is_boto3_error_code(list(NOT_FOUND_CODES)):
        return None
    found = response.get("taskDefinition")
    if not found:
        return None
    found = dict(found)
    found["tags"] = response.get("tags") or []
    return found


def list_task_definition_arns(client, family, status="ACTIVE"):
    """ARNs of ``family``'s revisions (exact family, not prefix), oldest first."""
    arns = paginate(client.list_task_definitions, "taskDefinitionArns",
                    familyPrefix=family, status=status, sort="ASC", maxResults=PAGE_SIZE)
    return [a for a in arns if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]


def register_task_definition(client, request):
    response = client.register_task_definition(aws_retry=True, **request)
    found = dict(response["taskDefinition"])
    found["tags"] = response.get("tags") or []
    return found


@TaskDefinitionErrors.deletion_error_handler("deregister the task definition revision")
def deregister_task_definition(client, arn):
    """Deregister one revision. False when it was already INACTIVE or gone."""
    client.deregister_task_definition(aws_retry=True, taskDefinition=arn)
    return True


def build_task_definition_request(family, containers, network_mode="bridge", execution_role_arn=None,
                                  task_role_arn=None, cpu=None, memory=None, volumes=None,
                                  placement_constraints=None, tags=None):
    """A RegisterTaskDefinition request for launch type EXTERNAL. Options left
    unset (None) are not sent."""
    if network_mode not in EXTERNAL_NETWORK_MODES:
        raise EcsAnywhereError(
            f"network_mode {network_mode!r} cannot run on external instances: use one of "
            + ", ".join(EXTERNAL_NETWORK_MODES) + " (awsvpc needs Fargate or EC2)."
        )
    request = {
        "family": family,
        "containerDefinitions": [dict(c) for c in containers],
        "networkMode": network_mode,
        "requiresCompatibilities": [EXTERNAL],
    }
    optional = {
        "executionRoleArn": execution_role_arn,
        "taskRoleArn": task_role_arn,
        "cpu": None if cpu is None else str(cpu),
        "memory": None if memory is None else str(memory),
        "volumes": volumes,
        "placementConstraints": placement_constraints,
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    if tags:
        request["tags"] = tags_to_ecs(tags)
    return request


def _prune(value):
    """Drop None, empty lists and empty dicts, recursively."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _normalize_container(container, network_mode):
    container = _prune(container)
    container.setdefault("essential", True)
    if container.get("cpu") == 0:
        del container["cpu"]
    mappings = []
    for mapping in container.get("portMappings") or []:
        mapping = dict(mapping)
        mapping.setdefault("protocol", "tcp")
        if network_mode == "host" and "hostPort" not in mapping and "containerPort" in mapping:
            mapping["hostPort"] = mapping["containerPort"]
        if mapping.get("hostPort") == 0 and network_mode == "bridge":
            del mapping["hostPort"]
        mappings.append(mapping)
    if mappings:
        container["portMappings"] = mappings
    for key in ("environment", "secrets"):
        if key in container:
            container[key] = sorted(container[key], key=lambda item: item.get("name", ""))
    return container


def comparable_task_definition(definition):
    """The managed content of a task definition (a request or a described one)
    with ECS's defaults applied, so equal content compares equal."""
    network_mode = definition.get("networkMode") or "bridge"
    result = {key: definition.get(key) for key in TASK_DEFINITION_KEYS}
    result["networkMode"] = network_mode
    result["containerDefinitions"] = sorted(
        (_normalize_container(c, network_mode) for c in definition.get("containerDefinitions") or []),
        key=lambda c: c.get("name", ""),
    )
    result["requiresCompatibilities"] = sorted(definition.get("requiresCompatibilities") or [])
    for key in ("cpu", "memory"):
        if result[key] is not None:
            result[key] = str(result[key])
    return _prune(result)


def task_definition_differs(existing, request):
    return comparable_task_definition(existing) != comparable_task_definition(request)


# ------------------------------------------------------------------ services


def describe_service(client, cluster, name, missing_cluster_ok=False):
    """The service called ``name`` in ``cluster`` unless missing or INACTIVE.

    A missing cluster raises EcsAnywhereError, or (``missing_cluster_ok``) means no service."""
    try:
        response = client.describe_services(aws_retry=True, cluster=cluster, services=[name])
    except is_boto3_error_code("ClusterNotFoundException"):
        if missing_cluster_ok:
            return None
        raise EcsAnywhereError(
            f"ECS cluster '{cluster}' does not exist (ClusterNotFound). Check the cluster and region "
            "options, or create the cluster first (role edgeops.ecs_anywhere.aws_cluster). "
            "Nothing was changed."
        ) from None
    for service in response.get("services") or []:
        if service.get("status") != "INACTIVE":
            return service
    return None


def create_service(client, request):
    return client.create_service(aws_retry=True, **request)["service"]


def update_service(client, request):
    return client.update_service(aws_retry=True, **request)["service"]


def delete_service(client, cluster, name):
    return client.delete_service(aws_retry=True, cluster=cluster, service=name)["service"]


def service_steady(service):
    """``(steady, why_not)``: steady when exactly one deployment exists, its
    rollout completed, and every desired task is RUNNING."""
    deployments = service.get("deployments") or []
    desired = service.get("desiredCount", 0)
    running = service.get("runningCount", 0)
    pending = service.get("pendingCount", 0)
    problems = []
    if len(deployments) > 1:
        problems.append(f"{len(deployments)} deployments in progress")
    elif deployments:
        primary = deployments[0]
        rollout = primary.get("rolloutState")
        if rollout == "FAILED":
            problems.append("rollout FAILED: " + (primary.get("rolloutStateReason") or ""))
        elif rollout not in (None, "COMPLETED"):
            problems.append(f"rollout {rollout}")
        running = primary.get("runningCount", running)
        pending = primary.get("pendingCount", pending)
    if running != desired or pending:
        problems.insert(0, f"{running}/{desired} tasks running, {pending} pending")
    if problems:
        return False, "; ".join(problems)
    return True, "steady"


def recent_events(service, limit=5):
    events = []
    for event in (service.get("events") or [])[:limit]:
        created = event.get("createdAt")
        created = created.isoformat() if hasattr(created, "isoformat") else created
        events.append(f"{created} {event.get('message')}" if created else event.get("message"))
    return events
