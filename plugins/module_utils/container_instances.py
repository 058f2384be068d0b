# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""External container instances seen from both sides: the ECS container
instance and the SSM managed instance (``mi-...``) behind it.

Selection, the ``ensure_*`` helpers of ecs_container_instance (each returns
``(changed, results, diff)`` like every ensure helper of this collection, and
returns the predicted results in check mode) and the joined
listing of ecs_container_instance_info. API calls live in ecs.py and ssm.py."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ssm as ssm_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import WaitTimeout
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import short_list
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import wait_for

STOP_REASON = "Container instance deregistered by edgeops.ecs_anywhere.ecs_container_instance"


def _empty_unmatched():
    return {"container_instance_arns": [], "managed_instance_ids": [], "hostnames": []}


class Selection:
    """The instances a task selected, with what matched nothing."""

    def __init__(self, cluster, targets, unmatched):
        self.cluster = cluster  # the described cluster
        self.targets = targets  # [{"instance": ecs dict or None, "info": ssm dict or None}]
        self.unmatched = unmatched

    @property
    def cluster_name(self):
        return self.cluster["clusterName"]


def select_instances(ecs, ssm, cluster, container_instance_arns=None, managed_instance_ids=None,
                     hostnames=None, region=None):
    """Resolve the three selectors against ``cluster`` and SSM.

    Raises EcsAnywhereError (before anything changes) when the cluster does not
    exist or a selected instance is registered in another cluster."""
    described = ecs_api.require_cluster(ecs, cluster, region)
    name = described["clusterName"]
    arns = list(dict.fromkeys(container_instance_arns or []))
    mi_ids = list(dict.fromkeys(managed_instance_ids or []))
    hostnames = list(dict.fromkeys(hostnames or []))
    unmatched = _empty_unmatched()

    foreign = [(a, ecs_api.cluster_of_instance_arn(a)) for a in arns]
    foreign = [(a, c) for a, c in foreign if c and c != name]
    if foreign:
        raise EcsAnywhereError(
            "These container instances belong to another cluster than "
            f"'{name}': " + short_list(f"{a} (cluster {c})" for a, c in foreign)
            + ". Set cluster to the cluster they belong to, or remove them from "
            "container_instance_arns. Nothing was changed."
        )

    by_arn = {}
    if mi_ids or hostnames:
        for instance in ecs_api.all_container_instances(ecs, name):
            by_arn[instance["containerInstanceArn"]] = instance
    lookup_ids = {ecs_api.instance_id_of(a): a for a in by_arn}
    unknown = [a for a in arns if a not in by_arn and ecs_api.instance_id_of(a) not in lookup_ids]
    if unknown:
        # ARNs not listed (or nothing listed yet): describe them, which also finds INACTIVE ones.
        found, missing = ecs_api.describe_container_instances(ecs, name, unknown)
        for instance in found:
            by_arn[instance["containerInstanceArn"]] = instance
        lookup_ids = {ecs_api.instance_id_of(a): a for a in by_arn}
    by_mi = {}
    for instance in by_arn.values():
        if instance.get("ec2InstanceId") and instance.get("status") in ecs_api.LIVE_STATUSES:
            by_mi[instance["ec2InstanceId"]] = instance
        elif instance.get("ec2InstanceId"):
            by_mi.setdefault(instance["ec2InstanceId"], instance)

    selected = {}  # key -> target; ECS ARN when there is one, else the mi- id
    for arn in arns:
        full = arn if arn in by_arn else lookup_ids.get(ecs_api.instance_id_of(arn))
        if full:
            selected[full] = {"instance": by_arn[full], "info": None}
        else:
            unmatched["container_instance_arns"].append(arn)

    if hostnames:
        ssm_all = ssm_api.describe_instance_information(ssm)
    else:
        wanted = set(mi_ids)
        wanted.update(
            t["instance"].get("ec2InstanceId") for t in selected.values()
            if (t["instance"].get("ec2InstanceId") or "").startswith("mi-")
        )
        ssm_all = ssm_api.describe_instance_information(ssm, sorted(wanted)) if wanted else []
    info_by_id = {i["InstanceId"]: i for i in ssm_all}

    host_mi = []
    for hostname in hostnames:
        matches = [i["InstanceId"] for i in ssm_all if ssm_api.hostname_matches(i, hostname)]
        if not matches:
            unmatched["hostnames"].append(hostname)
        host_mi.extend(matches)

    orphans = []
    for mi in list(dict.fromkeys(mi_ids + host_mi)):
        instance = by_mi.get(mi)
        if instance:
            selected.setdefault(instance["containerInstanceArn"], {"instance": instance, "info": None})
        elif mi in info_by_id:
            selected.setdefault(mi, {"instance": None, "info": None})
            orphans.append(mi)
        elif mi in mi_ids:
            unmatched["managed_instance_ids"].append(mi)

    for target in selected.values():
        mi = (target["instance"] or {}).get("ec2InstanceId")
        target["info"] = info_by_id.get(mi) if mi else None
    for mi in orphans:
        selected[mi]["info"] = info_by_id[mi]

    if orphans:
        elsewhere = find_in_other_clusters(ecs, described["clusterArn"], orphans)
        if elsewhere:
            raise EcsAnywhereError(
                f"These managed instances are registered in another ECS cluster than '{name}': "
                + short_list(f"{mi} (cluster {c})" for mi, c in sorted(elsewhere.items()))
                + ". Set cluster to the cluster they belong to, or remove them from the "
                "selection. Nothing was changed."
            )
    return Selection(described, list(selected.values()), unmatched)


def find_in_other_clusters(ecs, cluster_arn, mi_ids):
    """``{mi: cluster name}`` for each of ``mi_ids`` live in another cluster."""
    wanted = set(mi_ids)
    found = {}
    for arn in ecs_api.list_cluster_arns(ecs):
        if arn == cluster_arn:
            continue
        try:
            instances = ecs_api.all_container_instances(ecs, arn)
        except is_boto3_error_code("ClusterNotFoundException"):
            continue  # deleted while we looked
        for instance in instances:
            mi = instance.get("ec2InstanceId")
            if mi in wanted and instance.get("status") in ecs_api.LIVE_STATUSES:
                found[mi] = ecs_api.cluster_name(arn)
        if len(found) == len(wanted):
            break
    return found


# ---------------------------------------------------------------- reporting


def _live(target):
    return (target["instance"] or {}).get("status") in ecs_api.LIVE_STATUSES


def _arn(target):
    return (target["instance"] or {}).get("containerInstanceArn")


def target_result(target, status_after=None, tasks_stopped=None, container_instance=False,
                  managed_instance=False):
    instance = target["instance"] or {}
    info = target["info"] or {}
    status_before = instance.get("status")
    return {
        "container_instance_arn": instance.get("containerInstanceArn"),
        "managed_instance_id": instance.get("ec2InstanceId") or info.get("InstanceId"),
        "hostname": info.get("ComputerName"),
        "status_before": status_before,
        "status_after": status_after if status_after is not None else status_before,
        "tasks_stopped": list(tasks_stopped or []),
        "deregistered": {"container_instance": container_instance, "managed_instance": managed_instance},
        "managed_instance_registered_before": bool(info),
        "managed_instance_registered_after": bool(info) and not managed_instance,
    }


def diff_of(results):
    def key(r):
        return r["container_instance_arn"] or r["managed_instance_id"]

    before = {key(r): {"status": r["status_before"], "managed_instance_registered": r["managed_instance_registered_before"]}
              for r in results}
    after = {key(r): {"status": r["status_after"], "managed_instance_registered": r["managed_instance_registered_after"]}
             for r in results}
    return {"before": {"container_instances": before}, "after": {"container_instances": after}}


def changed_in(results):
    return any(
        r["status_before"] != r["status_after"] or r["deregistered"]["container_instance"]
        or r["deregistered"]["managed_instance"] or r["tasks_stopped"]
        for r in results
    )


# ------------------------------------------------------------------- waiting


def wait_tasks_stopped(ecs, cluster, arns, timeout):
    """Wait until none of ``arns`` runs or starts a task. Raises WaitTimeout
    with ``{arn: task count}`` of the instances still busy."""

    def check():
        instances, dummy = ecs_api.describe_container_instances(ecs, cluster, arns)
        busy = {i["containerInstanceArn"]: ecs_api.task_count(i) for i in instances if ecs_api.task_count(i)}
        return not busy, busy

    if arns:
        wait_for(check, timeout)


def wait_inactive(ecs, cluster, arns, timeout):
    def check():
        instances, dummy = ecs_api.describe_container_instances(ecs, cluster, arns)
        left = [i["containerInstanceArn"] for i in instances if i.get("status") != "INACTIVE"]
        return not left, left

    if arns:
        wait_for(check, timeout)


# ------------------------------------------------------------------- ensure


def ensure_absent(ecs, ssm, selection, drain=True, force=False, deregister_managed_instance=True,
                  wait=True, wait_timeout=600, check_mode=False, warn=None):
    """Deregister the selected instances (ECS and, optionally, SSM).

    Returns ``(changed, results, diff)``. With ``drain`` the live instances are set
    DRAINING, their standalone tasks stopped (services move theirs), and the
    module waits for every task to stop before deregistering."""
    cluster = selection.cluster_name
    live = [t for t in selection.targets if _live(t)]
    busy = [t for t in live if ecs_api.task_count(t["instance"])]
    if busy and not drain and not force:
        raise EcsAnywhereError(
            "Refusing to deregister container instances that still run tasks: "
            + short_list(f"{_arn(t)} ({ecs_api.task_count(t['instance'])} tasks)" for t in busy)
            + ". Set drain: true to drain them and stop their tasks first, or force: true to "
            "deregister them anyway (their tasks keep running on the hosts, unmanaged). "
            "Nothing was changed."
        )
    tasks = ecs_api.tasks_by_container_instance(ecs, cluster, [_arn(t) for t in busy]) if busy and drain else {}
    stopped = {arn: sorted(t["taskArn"] for t in found) for arn, found in tasks.items()}

    def plan(target):
        arn = _arn(target)
        return target_result(
            target,
            status_after="INACTIVE" if _live(target) else None,
            tasks_stopped=stopped.get(arn, []),
            container_instance=_live(target),
            managed_instance=bool(deregister_managed_instance and target["info"]),
        )

    if check_mode:
        results = [plan(t) for t in selection.targets]
        return changed_in(results), results, diff_of(results)

    force_deregister = force
    if drain and live:
        to_drain = [_arn(t) for t in live if t["instance"]["status"] == "ACTIVE"]
        ecs_api.update_container_instances_state(ecs, cluster, to_drain, "DRAINING")
        for found in tasks.values():
            for task in found:
                if not ecs_api.is_service_task(task):
                    ecs_api.stop_task(ecs, cluster, task["taskArn"], STOP_REASON)
        try:
            wait_tasks_stopped(ecs, cluster, [_arn(t) for t in busy], wait_timeout)
        except WaitTimeout as e:
            still = e.last
            if not force:
                raise EcsAnywhereError(
                    f"Timed out after {wait_timeout} s waiting for the tasks of draining container "
                    "instances to stop: " + short_list(f"{a} ({n} tasks)" for a, n in sorted(still.items()))
                    + ". All selected instances are now DRAINING; none was deregistered, and no "
                    "managed instance was deregistered. Find what keeps the tasks running (a "
                    "service whose tasks cannot be placed elsewhere?), then re-run with a larger "
                    "wait_timeout, or with force: true to deregister them with running tasks, or "
                    "set state: active to undo the drain.",
                    container_instances_draining=[_arn(t) for t in live],
                )
            if warn:
                warn(f"Tasks still running after {wait_timeout} s of draining on {short_list(sorted(still))}; "
                     "deregistering them anyway because force is true.")
            force_deregister = True

    results = []
    for target in selection.targets:
        arn = _arn(target)
        deregistered = False
        if _live(target):
            deregistered = ecs_api.deregister_container_instance(ecs, cluster, arn, force=force_deregister)
        mi_done = False
        if deregister_managed_instance and target["info"]:
            mi_done = ssm_api.deregister_managed_instance(ssm, target["info"]["InstanceId"])
        result = target_result(target, status_after="INACTIVE" if deregistered else None,
                               tasks_stopped=stopped.get(arn, []), container_instance=deregistered,
                               managed_instance=mi_done)
        results.append(result)
    if wait:
        try:
            wait_inactive(ecs, cluster, [r["container_instance_arn"] for r in results
                                         if r["deregistered"]["container_instance"]], wait_timeout)
        except WaitTimeout as e:
            raise EcsAnywhereError(
                f"The container instances were deregistered but {short_list(e.last)} did not "
                f"reach INACTIVE within {wait_timeout} s. Check them with "
                "edgeops.ecs_anywhere.ecs_container_instance_info; re-running this task is safe.",
                container_instances=results,
            ) from None
    return changed_in(results), results, diff_of(results)


def ensure_status(ecs, selection, status, wait=True, wait_timeout=600, check_mode=False):
    """Set ``status`` (DRAINING or ACTIVE) on the selected live instances.

    With DRAINING and ``wait``, wait for their tasks to stop. Instances that are
    not registered (INACTIVE or SSM-only) are reported unchanged."""
    cluster = selection.cluster_name
    live = [t for t in selection.targets if _live(t)]
    to_change = [t for t in live if t["instance"]["status"] != status]
    results = [target_result(t, status_after=status if _live(t) else None) for t in selection.targets]
    if check_mode:
        return bool(to_change), results, diff_of(results)
    ecs_api.update_container_instances_state(ecs, cluster, [_arn(t) for t in to_change], status)
    if status == "DRAINING" and wait:
        try:
            wait_tasks_stopped(ecs, cluster, [_arn(t) for t in live], wait_timeout)
        except WaitTimeout as e:
            raise EcsAnywhereError(
                f"The selected container instances are DRAINING, but after {wait_timeout} s these still "
                "run tasks: " + short_list(f"{a} ({n} tasks)" for a, n in sorted(e.last.items()))
                + ". Draining moves service tasks only: stop standalone tasks yourself, use "
                "state: absent (which stops them), or raise wait_timeout.",
                container_instances=results,
            ) from None
    return bool(to_change), results, diff_of(results)


# ------------------------------------------------------------------ listing


def gather(ecs, ssm, name, statuses=None):
    """Every container instance of cluster ``name`` (optionally only ``statuses``)
    joined with its managed instance. Returns snake_cased dicts."""
    instances = []
    if statuses:
        for status in statuses:
            instances.extend(ecs_api.all_container_instances(ecs, name, status=status))
    else:
        instances = ecs_api.all_container_instances(ecs, name)
    mi_ids = sorted({i.get("ec2InstanceId") for i in instances if (i.get("ec2InstanceId") or "").startswith("mi-")})
    infos = {i["InstanceId"]: i for i in ssm_api.describe_instance_information(ssm, mi_ids)} if mi_ids else {}
    joined = []
    for instance in instances:
        entry = {"cluster": name}
        ssm_side = ssm_api.instance_summary(infos.get(instance.get("ec2InstanceId")))
        entry.update({k: v for k, v in ssm_side.items() if k != "managed_instance_id"})
        entry.update(ecs_api.instance_summary(instance))
        joined.append(entry)
    return sorted(joined, key=lambda e: (e.get("hostname") or "", e["container_instance_arn"]))


def filter_listing(entries, container_instance_arns=None, managed_instance_ids=None, hostnames=None):
    """Entries matching any selector given (all entries when none is given)."""
    if container_instance_arns is None and managed_instance_ids is None and hostnames is None:
        return entries
    arns = set(container_instance_arns or [])
    ids = {ecs_api.instance_id_of(a) for a in arns}
    mis = set(managed_instance_ids or [])
    result = []
    for entry in entries:
        arn = entry["container_instance_arn"]
        if arn in arns or ecs_api.instance_id_of(arn) in ids or entry.get("managed_instance_id") in mis:
            result.append(entry)
        elif any(ssm_api.hostname_matches({"ComputerName": entry.get("hostname")}, h) for h in hostnames or []):
            result.append(entry)
    return result
