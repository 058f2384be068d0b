# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``ensure_*`` helpers for the ECS cluster: its Container Insights setting and
its tags.

Each returns ``(changed, predicted_or_actual, diff)`` and changes nothing in
check mode. API calls live in ecs.py."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError


def cluster_result(cluster):
    """The return value of a (described or predicted) cluster, snake_cased, tags as a dict."""
    if not cluster:
        return {}
    return {
        "cluster_arn": cluster.get("clusterArn"),
        "cluster_name": cluster.get("clusterName"),
        "status": cluster.get("status"),
        "settings": [dict(s) for s in cluster.get("settings") or []],
        "container_insights": ecs_api.cluster_setting(cluster),
        "tags": ecs_api.tags_from_ecs(cluster.get("tags")),
        "registered_container_instances_count": cluster.get("registeredContainerInstancesCount", 0),
        "active_services_count": cluster.get("activeServicesCount", 0),
        "running_tasks_count": cluster.get("runningTasksCount", 0),
        "pending_tasks_count": cluster.get("pendingTasksCount", 0),
    }


def _view(cluster):
    """What the diff shows of a cluster."""
    if not cluster:
        return {}
    return {
        "cluster_name": cluster.get("clusterName"),
        "container_insights": ecs_api.cluster_setting(cluster),
        "tags": ecs_api.tags_from_ecs(cluster.get("tags")),
    }


def _insights_setting(value):
    return [{"name": ecs_api.CONTAINER_INSIGHTS, "value": value}]


def ensure_cluster_present(client, name, container_insights=None, tags=None, purge_tags=False,
                           check_mode=False):
    """Create the cluster, or bring its Container Insights setting and tags in line.

    ``container_insights`` None leaves the setting as it is; ``tags`` None leaves the
    tags alone (``purge_tags`` only applies to a given ``tags``)."""
    if container_insights is not None and container_insights not in ecs_api.CONTAINER_INSIGHTS_VALUES:
        raise EcsAnywhereError(
            f"container_insights must be one of {', '.join(ecs_api.CONTAINER_INSIGHTS_VALUES)}, "
            f"not {container_insights!r}. Nothing was changed."
        )
    existing = ecs_api.describe_cluster_full(client, name)
    if existing is None:
        settings = _insights_setting(container_insights) if container_insights else []
        predicted = {
            "clusterArn": None, "clusterName": name, "status": "ACTIVE", "settings": settings,
            "tags": ecs_api.tags_to_ecs(tags), "registeredContainerInstancesCount": 0,
            "activeServicesCount": 0, "runningTasksCount": 0, "pendingTasksCount": 0,
        }
        diff = {"before": {}, "after": _view(predicted)}
        if check_mode:
            return True, predicted, diff
        ecs_api.create_cluster(client, name, settings=settings, tags=tags)
        created = ecs_api.describe_cluster_full(client, name)
        if created is None:
            raise EcsAnywhereError(
                f"ECS accepted CreateCluster for '{name}' but does not describe it as ACTIVE. "
                "Re-run the task; if this persists, check the cluster in the ECS console."
            )
        return True, created, diff

    predicted = dict(existing)
    changed = False
    current_insights = ecs_api.cluster_setting(existing)
    update_settings = container_insights is not None and current_insights != container_insights
    if update_settings:
        others = [s for s in existing.get("settings") or [] if s.get("name") != ecs_api.CONTAINER_INSIGHTS]
        predicted["settings"] = others + _insights_setting(container_insights)
        changed = True
    to_set, to_remove = ({}, [])
    current_tags = ecs_api.tags_from_ecs(existing.get("tags"))
    if tags is not None:
        # amazon.aws never purges the reserved aws:* tags (AWS refuses to remove them anyway).
        to_set, to_remove = compare_aws_tags(current_tags, tags, purge_tags)
        to_remove = sorted(to_remove)
    if to_set or to_remove:
        new_tags = {k: v for k, v in current_tags.items() if k not in to_remove}
        new_tags.update(to_set)
        predicted["tags"] = ecs_api.tags_to_ecs(new_tags)
        changed = True
    diff = {"before": _view(existing), "after": _view(predicted)}
    if not changed or check_mode:
        return changed, (predicted if changed else existing), diff
    arn = existing["clusterArn"]
    if update_settings:
        ecs_api.update_cluster_settings(client, arn, _insights_setting(container_insights))
    if to_remove:
        ecs_api.untag_resource(client, arn, to_remove)
    if to_set:
        ecs_api.tag_resource(client, arn, to_set)
    return True, ecs_api.describe_cluster_full(client, arn) or predicted, diff


def _not_empty_reasons(cluster):
    reasons = []
    if cluster.get("registeredContainerInstancesCount"):
        reasons.append(f"{cluster['registeredContainerInstancesCount']} container instance(s) are still registered")
    if cluster.get("activeServicesCount"):
        reasons.append(f"{cluster['activeServicesCount']} service(s) are still active")
    if cluster.get("runningTasksCount") or cluster.get("pendingTasksCount"):
        count = (cluster.get("runningTasksCount") or 0) + (cluster.get("pendingTasksCount") or 0)
        reasons.append(f"{count} task(s) are still running")
    return reasons


def ensure_cluster_absent(client, name, check_mode=False):
    """Delete the cluster. A cluster with registered instances, active services or
    running tasks is refused (also in check mode, as AWS would refuse it) with what
    to remove first. Returns ``(changed, cluster, diff)``; ``cluster`` is the deleted
    cluster with status INACTIVE, or None when there was none."""
    existing = ecs_api.describe_cluster_full(client, name)
    diff = {"before": _view(existing), "after": {}}
    if existing is None:
        return False, None, diff
    reasons = _not_empty_reasons(existing)
    if reasons:
        raise EcsAnywhereError(
            ecs_api.cluster_not_empty_message(name, "; ".join(reasons)),
            cluster=cluster_result(existing),
        )
    if not check_mode:
        ecs_api.delete_cluster(client, existing["clusterArn"])
    return True, dict(existing, status="INACTIVE"), diff
