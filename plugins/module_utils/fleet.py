# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet: every hybrid managed instance (``mi-...``) joined with the
container instances of the named ECS clusters, and the health report over it.

Shared by the inventory plugin ``edgeops.ecs_anywhere.ecs_anywhere`` and the
module ``ecs_anywhere_fleet_info``. Read-only: nothing here changes AWS.
API calls go through ecs.py / ssm.py helpers where they fit; every call
retries throttling (``aws_retry=True``)."""

from __future__ import annotations

import datetime
import fnmatch
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ssm as ssm_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import paginate

MANAGED_INSTANCE_ID_RE = re.compile(r"^mi-[0-9a-f]{17}\Z")
# ECS Anywhere price per registered external instance and hour (USD, us-east-1 list price).
ECS_ANYWHERE_HOURLY_COST = 0.01025
HOURS_PER_MONTH = 730
BAD_PING_STATUSES = ("ConnectionLost", "Inactive")

SSM_KEYS = ("managed_instance_id", "computer_name", "ip_address", "platform_type", "platform_name",
            "platform_version", "ping_status", "last_ping_date_time", "ssm_agent_version", "activation_id",
            "iam_role", "ssm_name", "registration_date")
ECS_KEYS = ("cluster", "container_instance_arn", "container_instance_id", "ecs_status", "ecs_status_reason",
            "agent_connected", "ecs_agent_version", "docker_version", "running_tasks_count",
            "pending_tasks_count", "registered_at", "attributes")


def is_managed_instance_id(value):
    return bool(value) and bool(MANAGED_INSTANCE_ID_RE.match(value))


def _iso(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc).isoformat()
    return value


# ------------------------------------------------------------------ reading


def ssm_filters(activation_ids=None, tags=None):
    """DescribeInstanceInformation ``Filters`` for activation ids and tags.

    ``tags`` maps a tag key to a value, a list of values (any of them) or None
    (the key only). Several filters must all match."""
    filters = []
    if activation_ids:
        filters.append({"Key": "ActivationIds", "Values": [str(a) for a in activation_ids]})
    for key, value in sorted((tags or {}).items()):
        if value is None:
            filters.append({"Key": "tag-key", "Values": [str(key)]})
        else:
            values = value if isinstance(value, (list, tuple)) else [value]
            filters.append({"Key": f"tag:{key}", "Values": [str(v) for v in values]})
    return filters


def describe_managed_instances(ssm, activation_ids=None, tags=None):
    """The hybrid managed instances (``mi-`` only, EC2 instances are left out),
    optionally only those of ``activation_ids`` / with ``tags``; every page."""
    kwargs = {"MaxResults": ssm_api.INSTANCE_PAGE_SIZE}
    filters = ssm_filters(activation_ids, tags)
    if filters:
        kwargs["Filters"] = filters
    infos = paginate(ssm.describe_instance_information, "InstanceInformationList",
                     token_in="NextToken", token_out="NextToken", **kwargs)
    return [i for i in infos if is_managed_instance_id(i.get("InstanceId"))]


def list_tags(ssm, managed_instance_id):
    response = ssm.list_tags_for_resource(aws_retry=True, ResourceType="ManagedInstance",
                                          ResourceId=managed_instance_id)
    return boto3_tag_list_to_ansible_dict(response.get("TagList") or [])


def cluster_container_instances(ecs, clusters, region=None):
    """``{cluster name: [described container instances]}`` (every status but
    INACTIVE; ListContainerInstances paginated, DescribeContainerInstances 100 a
    call). Raises EcsAnywhereError naming the clusters that do not exist."""
    result = {}
    missing = []
    for cluster in clusters:
        name = ecs_api.cluster_name(cluster)
        if ecs_api.describe_cluster(ecs, cluster) is None:
            missing.append(name)
            continue
        try:
            result[name] = ecs_api.all_container_instances(ecs, cluster)
        except is_boto3_error_code("ClusterNotFoundException"):
            missing.append(name)
    if missing:
        where = f" in region {region}" if region else ""
        raise EcsAnywhereError(
            f"ECS cluster(s) {', '.join(missing)} do not exist{where} (or are INACTIVE). Fix the cluster "
            "names (option clusters) or the region, or create the cluster first (role "
            "edgeops.ecs_anywhere.aws_cluster)."
        )
    return result


def ssm_name_matches(info, patterns):
    """True when the managed instance's SSM Name (the activation's default
    instance name) matches one of the shell-style ``patterns``."""
    name = info.get("Name") or ""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def collect(ecs, ssm, clusters, activation_ids=None, tags=None, ssm_names=None, region=None, with_tags=False):
    """Read the fleet: ``(records, warnings)`` (see :func:`join`).

    With SSM filters (``activation_ids``, ``tags``, ``ssm_names`` patterns) a
    container instance whose managed instance exists but does not match them is
    left out; one whose managed instance SSM does not know at all (deregistered
    from SSM only) is kept."""
    infos = describe_managed_instances(ssm, activation_ids, tags)
    if ssm_names:
        infos = [i for i in infos if ssm_name_matches(i, ssm_names)]
    instances = cluster_container_instances(ecs, clusters, region) if clusters else {}
    known = {i["InstanceId"] for i in infos}
    ecs_mis = sorted({ci.get("ec2InstanceId") for cis in instances.values() for ci in cis
                      if is_managed_instance_id(ci.get("ec2InstanceId"))} - known)
    excluded = set()
    if ecs_mis and (activation_ids or tags or ssm_names):
        excluded = {i["InstanceId"] for i in ssm_api.describe_instance_information(ssm, ecs_mis)}
    records, warnings = join(infos, instances, exclude=excluded, region=region)
    if with_tags:
        for record in records:
            record["tags"] = list_tags(ssm, record["managed_instance_id"]) if record["ssm_registered"] else {}
    return records, warnings


def ssm_side(info):
    info = info or {}
    return {
        "managed_instance_id": info.get("InstanceId"),
        "computer_name": info.get("ComputerName"),
        "ip_address": info.get("IPAddress"),
        "platform_type": info.get("PlatformType"),
        "platform_name": info.get("PlatformName"),
        "platform_version": info.get("PlatformVersion"),
        "ping_status": info.get("PingStatus"),
        "last_ping_date_time": _iso(info.get("LastPingDateTime")),
        "ssm_agent_version": info.get("AgentVersion"),
        "activation_id": info.get("ActivationId"),
        "iam_role": info.get("IamRole"),
        "ssm_name": info.get("Name"),
        "registration_date": _iso(info.get("RegistrationDate")),
    }


def ecs_side(cluster, instance):
    if not instance:
        return {k: None for k in ECS_KEYS}
    summary = ecs_api.instance_summary(instance)
    return {
        "cluster": cluster,
        "container_instance_arn": summary["container_instance_arn"],
        "container_instance_id": ecs_api.instance_id_of(summary["container_instance_arn"] or ""),
        "ecs_status": summary["status"],
        "ecs_status_reason": summary["status_reason"],
        "agent_connected": summary["agent_connected"],
        "ecs_agent_version": summary["agent_version"],
        "docker_version": summary["docker_version"],
        "running_tasks_count": summary["running_tasks_count"],
        "pending_tasks_count": summary["pending_tasks_count"],
        "registered_at": _iso(summary["registered_at"]),
        "attributes": summary["attributes"],
    }


def join(infos, instances_by_cluster, exclude=(), region=None):
    """One record per managed instance: its SSM side and its container instance
    in one of the clusters (ECS keys None when it has none), plus a record per
    container instance whose managed instance SSM does not list (SSM keys None,
    except managed_instance_id), unless its mi- id is in ``exclude``.

    Records are JSON-safe dicts sorted by (computer name, mi- id), with
    ``region``, ``ssm_registered`` and ``ecs_registered``. Returns
    ``(records, warnings)``; a managed instance live in two clusters keeps the
    first cluster listed and yields a warning."""
    warnings = []
    by_mi = {}
    for cluster, instances in instances_by_cluster.items():
        for instance in instances:
            mi = instance.get("ec2InstanceId")
            if not is_managed_instance_id(mi):
                continue  # an EC2 container instance in the same cluster: not ECS Anywhere
            if mi in by_mi:
                warnings.append(
                    f"{mi} is registered in clusters {by_mi[mi][0]} and {cluster}; listed with {by_mi[mi][0]}. "
                    f"Deregister the stale container instance {instance.get('containerInstanceArn')}."
                )
                continue
            by_mi[mi] = (cluster, instance)
    records = []
    seen = set()
    for info in infos:
        mi = info["InstanceId"]
        seen.add(mi)
        cluster, instance = by_mi.get(mi, (None, None))
        records.append(_record(info, cluster, instance, region))
    for mi, (cluster, instance) in by_mi.items():
        if mi in seen or mi in set(exclude):
            continue
        records.append(_record({"InstanceId": mi}, cluster, instance, region, ssm_registered=False))
    records.sort(key=lambda r: ((r["computer_name"] or "").lower(), r["managed_instance_id"]))
    return records, warnings


def _record(info, cluster, instance, region, ssm_registered=True):
    record = ssm_side(info)
    record.update(ecs_side(cluster, instance))
    record["region"] = region
    record["ssm_registered"] = ssm_registered
    record["ecs_registered"] = bool(instance) and instance.get("status") in ecs_api.LIVE_STATUSES
    return record


# ------------------------------------------------------------------- health


def agent_version_of_ecs_init(version):
    """The ECS agent version an ecs-init package version installs: ``1.89.2-1`` -> ``1.89.2``."""
    if not version:
        return version
    return str(version).lstrip("v").split("-", 1)[0]


def _version_key(version):
    return [int(p) if p.isdigit() else p for p in re.split(r"[.\-]", str(version).lstrip("v"))]


def compare_versions(running, pinned):
    """``older``, ``newer`` or ``equal``."""
    a, b = _version_key(running), _version_key(pinned)
    try:
        if a == b:
            return "equal"
        return "older" if a < b else "newer"
    except TypeError:  # mixed numbers and words: compare as text
        return "equal" if str(running) == str(pinned) else ("older" if str(running) < str(pinned) else "newer")


def name_matches(record, name):
    """True when inventory name ``name`` designates ``record``: its mi- id, or its
    SSM computer name (case-insensitive; short names match the first label)."""
    if not name:
        return False
    if name == record.get("managed_instance_id"):
        return True
    computer = (record.get("computer_name") or "").lower()
    wanted = str(name).lower()
    if not computer:
        return False
    return (computer == wanted or computer.split(".", maxsplit=1)[0] == wanted
            or wanted.split(".", maxsplit=1)[0] == computer)


def host_label(record):
    return record.get("computer_name") or record.get("managed_instance_id")


def _brief(record):
    return {
        "host": host_label(record),
        "managed_instance_id": record.get("managed_instance_id"),
        "cluster": record.get("cluster"),
        "container_instance_arn": record.get("container_instance_arn"),
    }


def health_report(records, clusters, expected_hosts=None, ssm_agent_version=None, ecs_init_version=None,
                  hourly_cost=ECS_ANYWHERE_HOURLY_COST):
    """The fleet's health, per cluster, from :func:`join` records.

    ``expected_hosts`` (inventory names or mi- ids) enables the orphan and
    not-registered checks; None skips them. Orphans registered in ECS cost
    ``hourly_cost`` an hour each; SSM-only orphans cost nothing in the standard
    instances tier. Returns a JSON-safe dict with ``healthy`` and ``summary``."""
    pinned_ecs_agent = agent_version_of_ecs_init(ecs_init_version)
    per_cluster = {ecs_api.cluster_name(c): _empty_cluster() for c in clusters}
    unclustered = _empty_cluster()
    orphans = []
    for record in records:
        bucket = per_cluster.setdefault(record["cluster"], _empty_cluster()) if record["cluster"] else unclustered
        if record["ecs_registered"]:
            bucket["container_instances"] += 1
        if record["ssm_registered"]:
            bucket["managed_instances"] += 1
        if record["ecs_registered"] and record.get("agent_connected") is False:
            bucket["agent_disconnected"].append(dict(_brief(record), ecs_status=record["ecs_status"]))
        if record["ssm_registered"] and record.get("ping_status") in BAD_PING_STATUSES:
            bucket["ping_lost"].append(dict(_brief(record), ping_status=record["ping_status"],
                                            last_ping_date_time=record.get("last_ping_date_time")))
        for component, running, pinned in (("amazon-ssm-agent", record.get("ssm_agent_version"), ssm_agent_version),
                                           ("ecs-agent", record.get("ecs_agent_version"), pinned_ecs_agent)):
            if pinned and running and compare_versions(running, pinned) != "equal":
                bucket["version_drift"].append(dict(_brief(record), component=component, running=running,
                                                    pinned=pinned, relation=compare_versions(running, pinned)))
        if expected_hosts is not None:
            names = [n for n in expected_hosts if name_matches(record, n)]
            if not names:
                cost = hourly_cost * HOURS_PER_MONTH if record["ecs_registered"] else 0.0
                where = [side for side, on in (("ecs", record["ecs_registered"]), ("ssm", record["ssm_registered"])) if on]
                entry = dict(_brief(record), registered_in=where, monthly_cost=round(cost, 2))
                bucket["orphans"].append(entry)
                orphans.append(entry)
    not_registered = []
    if expected_hosts is not None:
        for name in expected_hosts:
            found = [r for r in records if name_matches(r, name)]
            ecs_live = [r for r in found if r["ecs_registered"]]
            if not ecs_live:
                not_registered.append({
                    "host": name,
                    "reason": ("registered in SSM (" + ", ".join(r["managed_instance_id"] for r in found)
                               + ") but in none of the clusters") if found else "registered in neither SSM nor ECS",
                })
    for bucket in list(per_cluster.values()) + [unclustered]:
        bucket["orphan_monthly_cost"] = round(sum(o["monthly_cost"] for o in bucket["orphans"]), 2)
    counts = {
        "hosts": len(records),
        "agent_disconnected": sum(len(b["agent_disconnected"]) for b in per_cluster.values()),
        "ping_lost": sum(len(b["ping_lost"]) for b in list(per_cluster.values()) + [unclustered]),
        "version_drift": sum(len(b["version_drift"]) for b in list(per_cluster.values()) + [unclustered]),
        "orphans": len(orphans),
        "not_registered": len(not_registered),
    }
    report = {
        "healthy": not any(v for k, v in counts.items() if k != "hosts"),
        "counts": counts,
        "clusters": per_cluster,
        "unclustered": unclustered,
        "not_registered": not_registered,
        "orphan_monthly_cost": round(sum(o["monthly_cost"] for o in orphans), 2),
        "hourly_cost": hourly_cost,
        "pinned": {"ssm_agent_version": ssm_agent_version, "ecs_init_version": ecs_init_version,
                   "ecs_agent_version": pinned_ecs_agent},
        "orphan_check": expected_hosts is not None,
    }
    report["summary"] = summary_lines(report)
    return report


def _empty_cluster():
    return {"container_instances": 0, "managed_instances": 0, "agent_disconnected": [], "ping_lost": [],
            "version_drift": [], "orphans": []}


def summary_lines(report):
    """The report as lines a human reads (one per finding)."""
    lines = []
    counts = report["counts"]
    state = "HEALTHY" if report["healthy"] else "UNHEALTHY"
    lines.append(
        f"fleet {state}: {counts['hosts']} hosts; {counts['agent_disconnected']} ECS agent(s) disconnected, "
        f"{counts['ping_lost']} SSM ping lost, {counts['version_drift']} version drift(s), "
        f"{counts['orphans']} orphan(s) (${report['orphan_monthly_cost']:.2f}/month), "
        f"{counts['not_registered']} inventory host(s) not registered"
    )
    sections = sorted(report["clusters"].items())
    sections.append(("(managed instances in no cluster)", report["unclustered"]))
    for name, b in sections:
        if name.startswith("(") and not b["managed_instances"] and not b["orphans"]:
            continue
        label = name if name.startswith("(") else f"cluster {name}"
        lines.append(f"{label}: {b['container_instances']} container instance(s), "
                     f"{b['managed_instances']} managed instance(s)")
        for e in b["agent_disconnected"]:
            lines.append(f"  ECS agent disconnected: {e['host']} ({e['managed_instance_id']}, {e['ecs_status']})")
        for e in b["ping_lost"]:
            lines.append(f"  SSM ping {e['ping_status']}: {e['host']} ({e['managed_instance_id']}, "
                         f"last ping {e['last_ping_date_time']})")
        for e in b["version_drift"]:
            lines.append(f"  version drift: {e['host']} runs {e['component']} {e['running']}, "
                         f"pinned {e['pinned']} ({e['relation']})")
        for e in b["orphans"]:
            lines.append(f"  orphan (not in the inventory): {e['host']} ({e['managed_instance_id']}, registered in "
                         f"{' and '.join(e['registered_in']) or 'nothing'}, ${e['monthly_cost']:.2f}/month)")
    for e in report["not_registered"]:
        lines.append(f"inventory host not registered: {e['host']}: {e['reason']}")
    if not report["orphan_check"]:
        lines.append("orphans and unregistered hosts not checked (no expected hosts given)")
    return lines
