# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``ensure_*`` helpers for EXTERNAL task definitions and services.

Each returns ``(changed, predicted_or_actual, diff)`` and changes nothing in
check mode. API calls live in ecs.py."""

from __future__ import annotations

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import WaitTimeout
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import wait_for

MAX_RETURNED_EVENTS = 10
DAEMON = "DAEMON"
REPLICA = "REPLICA"
# A wait fails early once this many of the service's tasks, stopped since the wait
# began, failed to start on the same container instance.
START_FAILURES_TO_FAIL = 3
# Stop codes of tasks ECS or a user stopped on purpose (scale-in, deployments, drains).
_DELIBERATE_STOP_CODES = ("ServiceSchedulerInitiated", "UserInitiated", "SpotInterruption", "TerminationNotice")


# ---------------------------------------------------------- task definitions


def task_definition_result(definition):
    if not definition:
        return {}
    return camel_dict_to_snake_dict(definition, ignore_list=ecs_api.USER_KEYED_MAPS)


def ensure_task_definition_present(client, request, check_mode=False):
    existing = ecs_api.describe_task_definition(client, request["family"])
    before = ecs_api.comparable_task_definition(existing) if existing else {}
    after = ecs_api.comparable_task_definition(request)
    diff = {"before": before, "after": after}
    if existing and not ecs_api.task_definition_differs(existing, request):
        return False, existing, diff
    if check_mode:
        predicted = dict(request)
        predicted["revision"] = (existing or {}).get("revision", 0) + 1
        if existing:
            predicted["taskDefinitionArn"] = existing["taskDefinitionArn"].rsplit(":", 1)[0] + f":{predicted['revision']}"
        predicted["status"] = "ACTIVE"
        predicted["compatibilities"] = [ecs_api.EXTERNAL]
        return True, predicted, diff
    return True, ecs_api.register_task_definition(client, request), diff


def ensure_task_definition_absent(client, family, revision=None, check_mode=False):
    """Deregister ``family``'s ACTIVE revisions (or only ``revision``).
    Returns ``(changed, deregistered_arns, diff)``."""
    arns = ecs_api.list_task_definition_arns(client, family)
    if revision is not None:
        arns = [a for a in arns if a.rsplit(":", 1)[-1] == str(revision)]
    diff = {"before": {"active_revisions": arns}, "after": {"active_revisions": []}}
    if not check_mode:
        arns = [a for a in arns if ecs_api.deregister_task_definition(client, a)]
    return bool(arns), arns, diff


def resolve_task_definition(client, task_definition, check_mode=False, warn=None):
    """The ARN of ``task_definition`` (family, family:revision or ARN), which
    must be ACTIVE and EXTERNAL-compatible."""
    found = ecs_api.describe_task_definition(client, task_definition)
    if found is None or found.get("status") != "ACTIVE":
        if check_mode:
            if warn:
                warn(f"Task definition {task_definition} does not exist yet; check mode assumes "
                     "an earlier task registers it.")
            return task_definition
        raise EcsAnywhereError(
            f"Task definition {task_definition} does not exist or is not ACTIVE. Register it first "
            "with edgeops.ecs_anywhere.ecs_external_taskdefinition. Nothing was changed."
        )
    compat = set(found.get("compatibilities") or []) | set(found.get("requiresCompatibilities") or [])
    if ecs_api.EXTERNAL not in compat:
        raise EcsAnywhereError(
            f"Task definition {found['taskDefinitionArn']} is not compatible with launch type "
            "EXTERNAL (requiresCompatibilities lacks EXTERNAL). Register it with "
            "edgeops.ecs_anywhere.ecs_external_taskdefinition. Nothing was changed."
        )
    return found["taskDefinitionArn"]


# ------------------------------------------------------------------ services


def service_result(service):
    if not service:
        return {}
    service = dict(service)
    service["events"] = (service.get("events") or [])[:MAX_RETURNED_EVENTS]
    return camel_dict_to_snake_dict(service, ignore_list=["tags"])


def _service_view(service):
    """What the diff shows of a service."""
    if not service:
        return {}
    return {
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount"),
        "launch_type": service.get("launchType"),
        "scheduling_strategy": service.get("schedulingStrategy"),
        "deployment_configuration": service.get("deploymentConfiguration") or {},
        "placement_constraints": service.get("placementConstraints") or [],
        "placement_strategy": service.get("placementStrategy") or [],
    }


def _same_list(a, b):
    def key(item):
        return sorted((k, str(v)) for k, v in item.items())

    return sorted((a or []), key=key) == sorted((b or []), key=key)


def _subset_differs(wanted, current):
    for key, value in wanted.items():
        if isinstance(value, dict):
            if _subset_differs(value, (current or {}).get(key) or {}):
                return True
        elif (current or {}).get(key) != value:
            return True
    return False


def _merge(current, wanted):
    merged = dict(current or {})
    for key, value in wanted.items():
        merged[key] = _merge(merged.get(key), value) if isinstance(value, dict) else value
    return merged


def ensure_service_present(client, cluster, name, task_definition_arn, desired_count=None,
                           deployment_configuration=None, placement_constraints=None,
                           placement_strategy=None, scheduling_strategy=None,
                           force_new_deployment=False, check_mode=False):
    """Create or update an EXTERNAL service. Returns ``(changed, service, diff)``.

    In check mode a cluster that does not exist yet (a playbook that creates it
    first, checked as a whole) means the service would be created."""
    existing = ecs_api.describe_service(client, cluster, name, missing_cluster_ok=check_mode)
    if existing and existing.get("status") == "DRAINING":
        raise EcsAnywhereError(
            f"Service {name} in cluster {cluster} is being deleted (DRAINING). Wait until it is "
            "INACTIVE, then re-run. Nothing was changed."
        )
    if existing and existing.get("launchType") != ecs_api.EXTERNAL:
        raise EcsAnywhereError(
            f"Service {name} in cluster {cluster} exists with launch type "
            f"{existing.get('launchType') or 'capacity provider strategy'}, which cannot be changed to "
            "EXTERNAL. Delete it (state: absent) or choose another name. Nothing was changed."
        )
    strategy = scheduling_strategy or (existing or {}).get("schedulingStrategy") or REPLICA
    if existing and scheduling_strategy and existing.get("schedulingStrategy") != scheduling_strategy:
        raise EcsAnywhereError(scheduling_strategy_change_message(cluster, name, existing.get("schedulingStrategy"),
                                                                  scheduling_strategy, existing.get("desiredCount")),
                               error_code="SchedulingStrategyChange")
    if strategy == DAEMON:
        check_daemon_options(cluster, name, desired_count, placement_strategy, deployment_configuration)
    if existing is None:
        request = {
            "cluster": cluster,
            "serviceName": name,
            "taskDefinition": task_definition_arn,
            "launchType": ecs_api.EXTERNAL,
            "schedulingStrategy": scheduling_strategy or "REPLICA",
        }
        if request["schedulingStrategy"] == "REPLICA":
            request["desiredCount"] = 1 if desired_count is None else desired_count
        if deployment_configuration:
            request["deploymentConfiguration"] = deployment_configuration
        if placement_constraints is not None:
            request["placementConstraints"] = placement_constraints
        if placement_strategy is not None:
            request["placementStrategy"] = placement_strategy
        predicted = dict(request, status="ACTIVE", runningCount=0, pendingCount=0, deployments=[], events=[])
        predicted.pop("cluster")
        predicted["clusterArn"] = cluster
        diff = {"before": {}, "after": _service_view(predicted)}
        if check_mode:
            return True, predicted, diff
        return True, ecs_api.create_service(client, request), diff

    update = {}
    if task_definition_arn and existing.get("taskDefinition") != task_definition_arn:
        update["taskDefinition"] = task_definition_arn
    if (desired_count is not None and existing.get("schedulingStrategy") != "DAEMON"
            and existing.get("desiredCount") != desired_count):
        update["desiredCount"] = desired_count
    if deployment_configuration and _subset_differs(deployment_configuration, existing.get("deploymentConfiguration")):
        update["deploymentConfiguration"] = _merge(existing.get("deploymentConfiguration"), deployment_configuration)
    if placement_constraints is not None and not _same_list(placement_constraints, existing.get("placementConstraints")):
        update["placementConstraints"] = placement_constraints
    if placement_strategy is not None and not _same_list(placement_strategy, existing.get("placementStrategy")):
        update["placementStrategy"] = placement_strategy
    if force_new_deployment:
        update["forceNewDeployment"] = True
    predicted = dict(existing)
    predicted.update({k: v for k, v in update.items() if k != "forceNewDeployment"})
    diff = {"before": _service_view(existing), "after": _service_view(predicted)}
    if not update:
        return False, existing, diff
    if check_mode:
        return True, predicted, diff
    return True, ecs_api.update_service(client, dict(update, cluster=cluster, service=name)), diff


def scheduling_strategy_change_message(cluster, name, current, wanted, desired_count=None):
    count = f" (it runs {desired_count})" if desired_count is not None else ""
    return (
        f"Service {name} in cluster {cluster} uses scheduling strategy {current}; ECS cannot change an existing "
        f"service's scheduling strategy to {wanted} (UpdateService has no schedulingStrategy). Nothing was changed. "
        f"Either keep {current}: scheduling_strategy: {current}"
        + (f" with desired_count{count} (role nginx_service: nginx_service_scheduling_strategy: {current} and "
           "nginx_service_desired_count: <tasks>)" if current == REPLICA else
           " (role nginx_service: nginx_service_scheduling_strategy: DAEMON, without nginx_service_desired_count)")
        + f"; or move to {wanted}: delete the service (edgeops.ecs_anywhere.ecs_external_service state: absent, or "
        "the nginx_service role's `remove` entry point; its tasks stop until the next run re-creates it) and re-run."
    )


def check_daemon_options(cluster, name, desired_count=None, placement_strategy=None, deployment_configuration=None):
    """Refuse what a DAEMON service does not take, before anything changes."""
    problems = []
    if desired_count is not None:
        problems.append(f"desired_count ({desired_count}): a daemon service runs one task on every ACTIVE "
                        "container instance; leave desired_count unset, or use scheduling_strategy REPLICA")
    if placement_strategy:
        problems.append("placement_strategy: ECS does not support placement strategies for daemon services "
                        "(placement_constraints, for example memberOf, do select the instances)")
    maximum = (deployment_configuration or {}).get("maximumPercent")
    if maximum is not None and maximum != 100:
        problems.append(f"deployment_configuration.maximum_percent {maximum}: AWS documents 100 (the default) for "
                        "daemon services, which replace the task of each instance in place")
    if problems:
        raise EcsAnywhereError(
            f"Service {name} in cluster {cluster} uses the DAEMON scheduling strategy, which does not take "
            + "; ".join(problems) + ". Nothing was changed.",
            error_code="DaemonOption",
        )


# ------------------------------------------------------- failed task starts


def stopped_task_arns(client, cluster, name):
    """ARNs of the service's STOPPED tasks ECS still lists (it keeps them about an hour).
    Empty when the service or the cluster does not exist."""
    try:
        return set(ecs_api.list_task_arns(client, cluster, desired_status="STOPPED", serviceName=name))
    except is_boto3_error_code(["ServiceNotFoundException", "ClusterNotFoundException"]):
        return set()


def start_failure(task):
    """Why a stopped task failed to start (its containers' reason, else its stopped reason),
    or None when it ran, or was stopped on purpose."""
    if task.get("startedAt") or task.get("stopCode") in _DELIBERATE_STOP_CODES:
        return None
    reasons = [c["reason"] for c in task.get("containers") or [] if c.get("reason")]
    if reasons:
        return reasons[0]
    if task.get("stopCode") in ("TaskFailedToStart", "EssentialContainerExited"):
        return task.get("stoppedReason") or task.get("stopCode")
    return None


def start_failure_hint(reason):
    text = (reason or "").lower()
    if "address already in use" in text or "port is already allocated" in text:
        return ("A host port the task maps is taken on that host by a process ECS does not manage: free it "
                "(`ss -ltnp` on the host shows who listens) or map another host port (nginx_service_host_port).")
    if "cannotpullcontainer" in text or "pull" in text and "image" in text:
        return ("The host cannot pull the image: check the image name, the host's route (or proxy) to the "
                "registry and the task execution role.")
    if "memory" in text:
        return "The host lacks memory for the task: lower the task's memory or free memory on the host."
    return ("Look at the ECS agent's log on that host (/var/log/ecs/ecs-agent.log) and `docker ps -a` / "
            "`docker logs` there.")


class StartFailureWatch:
    """Counts the service's tasks that stopped without starting since the watch began
    (``baseline``: the STOPPED task ARNs before the change), per container instance.
    Each poll lists the STOPPED tasks and describes only the new ones."""

    def __init__(self, client, cluster, name, baseline, threshold=START_FAILURES_TO_FAIL):
        self.client = client
        self.cluster = cluster
        self.name = name
        self.seen = set(baseline or ())
        self.threshold = threshold
        self.failures = {}  # container instance ARN -> [task]

    def poll(self):
        """``{container_instance_arn: [failed tasks, newest last]}`` of the instances with at least
        ``threshold`` failed starts."""
        new = sorted(stopped_task_arns(self.client, self.cluster, self.name) - self.seen)
        self.seen.update(new)
        tasks = ecs_api.describe_tasks(self.client, self.cluster, new) if new else []
        for task in sorted(tasks, key=lambda t: str(t.get("stoppedAt") or t.get("createdAt") or "")):
            if start_failure(task):
                self.failures.setdefault(task.get("containerInstanceArn"), []).append(task)
        return {arn: found for arn, found in self.failures.items() if len(found) >= self.threshold}


def start_failure_error(client, cluster, name, repeated, service=None, describe_hosts=None):
    """The EcsAnywhereError naming each instance (managed instance id, hostname) whose
    tasks keep failing to start, with the stopped reason and a fix."""
    instances, dummy = ecs_api.describe_container_instances(client, cluster, sorted(repeated))
    managed = {i["containerInstanceArn"]: i.get("ec2InstanceId") for i in instances}
    hostnames = {}
    if describe_hosts:
        try:
            hostnames = describe_hosts(sorted(m for m in managed.values() if m)) or {}
        except Exception:  # pylint: disable=broad-except  # hostnames are a courtesy (ssm:DescribeInstanceInformation)
            hostnames = {}
    details = []
    parts = []
    for arn in sorted(repeated):
        tasks = repeated[arn]
        last = tasks[-1]
        mi = managed.get(arn)
        host = hostnames.get(mi)
        reason = start_failure(last)
        containers = {c.get("name"): c["reason"] for c in last.get("containers") or [] if c.get("reason")}
        details.append({
            "container_instance_arn": arn, "managed_instance_id": mi, "hostname": host,
            "failed_starts": len(tasks), "stopped_reason": last.get("stoppedReason"),
            "stop_code": last.get("stopCode"), "container_reasons": containers,
            "task_arns": [t.get("taskArn") for t in tasks],
        })
        ident = f"container instance {ecs_api.instance_id_of(arn)}"
        where = f"{host} ({mi}, {ident})" if host else f"{mi} ({ident})" if mi else ident
        parts.append(f"{where}: {len(tasks)} tasks stopped before running; stopped reason: {last.get('stoppedReason')}"
                     + (f"; container reason: {reason}" if reason != last.get("stoppedReason") else "")
                     + f" -- {start_failure_hint(reason)}")
    return EcsAnywhereError(
        f"Service {name} in cluster {cluster} cannot start its tasks on {len(parts)} container instance(s), so it "
        "cannot reach a steady state; stopped waiting early instead of waiting out the timeout. "
        + " | ".join(parts)
        + " The service change itself was made and ECS keeps retrying (each retry is one more stopped task): "
        "fix the host(s) and re-run, or take them out of the cluster (playbooks/decommission.yml).",
        service=service_result(service),
        start_failures=details,
    )


def wait_service_steady(client, cluster, name, timeout, stopped_baseline=None, describe_hosts=None,
                        start_failures_to_fail=START_FAILURES_TO_FAIL):
    """Wait for every desired task RUNNING and the rollout completed (a DAEMON service's
    desired count is its number of ACTIVE instances, which ECS maintains).

    With ``stopped_baseline`` (the service's STOPPED task ARNs before the change, from
    stopped_task_arns()), fail early when ``start_failures_to_fail`` tasks stopped since
    then failed to start on the same instance (``describe_hosts(managed_ids)`` -> hostnames).
    On timeout raise EcsAnywhereError listing the service's recent events."""
    watch = None
    if stopped_baseline is not None:
        watch = StartFailureWatch(client, cluster, name, stopped_baseline, start_failures_to_fail)

    def check():
        service = ecs_api.describe_service(client, cluster, name)
        if service is None:
            return False, (None, "the service does not exist")
        steady, why = ecs_api.service_steady(service)
        if not steady and watch is not None:
            repeated = watch.poll()
            if repeated:
                raise start_failure_error(client, cluster, name, repeated, service, describe_hosts)
        return steady, (service, why)

    try:
        return wait_for(check, timeout)[0]
    except WaitTimeout as e:
        service, why = e.last
        events = ecs_api.recent_events(service or {})
        failed = ""
        if watch is not None and watch.failures:
            failed = " Tasks that stopped before running since the change: " + "; ".join(
                f"{len(tasks)} on container instance {ecs_api.instance_id_of(arn or '?')} "
                f"({start_failure(tasks[-1])})" for arn, tasks in sorted(watch.failures.items(), key=lambda i: str(i[0]))) + "."
        raise EcsAnywhereError(
            f"Service {name} in cluster {cluster} did not reach a steady state within {timeout} s "
            f"({why}); the change was made and ECS keeps trying.{failed} Recent events, newest first: "
            + (" | ".join(events) if events else "none")
            + " -- Check that ACTIVE external instances with a connected agent have room for the "
            "tasks (edgeops.ecs_anywhere.ecs_container_instance_info), or raise wait_timeout.",
            service=service_result(service),
            events=events,
        ) from None


def ensure_service_absent(client, cluster, name, wait=True, wait_timeout=600, check_mode=False):
    """Scale the service to 0 and delete it (a missing cluster holds no service).
    Returns ``(changed, service, diff)``."""
    existing = ecs_api.describe_service(client, cluster, name, missing_cluster_ok=True)
    diff = {"before": _service_view(existing), "after": {}}
    if existing is None or existing.get("status") == "DRAINING" and not wait:
        return False, existing, diff
    if check_mode:
        return existing.get("status") != "DRAINING", dict(existing, status="INACTIVE"), diff
    changed = False
    service = existing
    if existing.get("status") == "ACTIVE":
        if existing.get("desiredCount") and existing.get("schedulingStrategy") != "DAEMON":
            ecs_api.update_service(client, {"cluster": cluster, "service": name, "desiredCount": 0})
        service = ecs_api.delete_service(client, cluster, name)
        changed = True
    if wait:
        def check():
            found = ecs_api.describe_service(client, cluster, name)
            return found is None, found

        try:
            wait_for(check, wait_timeout)
        except WaitTimeout as e:
            raise EcsAnywhereError(
                f"Service {name} was deleted but is still {(e.last or {}).get('status')} after "
                f"{wait_timeout} s: its tasks have not stopped yet. Recent events: "
                + " | ".join(ecs_api.recent_events(e.last or {}))
                + ". Re-running this task is safe.",
            ) from None
        service = dict(service, status="INACTIVE")
    return changed, service, diff
