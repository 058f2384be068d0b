# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``ensure_*`` helpers for EXTERNAL task definitions and services.

Each returns ``(changed, predicted_or_actual, diff)`` and changes nothing in
check mode. API calls live in ecs.py."""

from __future__ import annotations

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import WaitTimeout
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import wait_for

MAX_RETURNED_EVENTS = 10


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

    if scheduling_strategy and existing.get("schedulingStrategy") != scheduling_strategy:
        raise EcsAnywhereError(
            f"Service {name} uses scheduling strategy {existing.get('schedulingStrategy')}; ECS cannot "
            f"change it to {scheduling_strategy}. Delete the service (state: absent) and re-create it. "
            "Nothing was changed."
        )
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


def wait_service_steady(client, cluster, name, timeout):
    """Wait for every desired task RUNNING and the rollout completed.

    On timeout raise EcsAnywhereError listing the service's recent events."""
    def check():
        service = ecs_api.describe_service(client, cluster, name)
        if service is None:
            return False, (None, "the service does not exist")
        steady, why = ecs_api.service_steady(service)
        return steady, (service, why)

    try:
        return wait_for(check, timeout)[0]
    except WaitTimeout as e:
        service, why = e.last
        events = ecs_api.recent_events(service or {})
        raise EcsAnywhereError(
            f"Service {name} in cluster {cluster} did not reach a steady state within {timeout} s "
            f"({why}); the change was made and ECS keeps trying. Recent events, newest first: "
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
