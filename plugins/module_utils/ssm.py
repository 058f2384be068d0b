# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Everything this collection knows about the SSM API: hybrid activations and
managed instances (``mi-...``). Every call retries throttling (``aws_retry=True``)."""

from __future__ import annotations

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import chunks
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import gone_error_handler
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import paginate

# DescribeInstanceInformation: at most 50 values in an InstanceIds filter, pages of 5..50.
INSTANCE_FILTER_BATCH = 50
INSTANCE_PAGE_SIZE = 50
# DescribeActivations: pages of at most 50.
ACTIVATION_PAGE_SIZE = 50
# The tag that carries an activation's name (its identity for this collection).
NAME_TAG = "Name"
MAX_REGISTRATION_LIMIT = 1000
MAX_EXPIRATION_SECONDS = 30 * 86400
# What SSM answers for a managed instance or an activation that is not there.
ManagedInstanceErrors = gone_error_handler("InvalidInstanceId", "InvalidInstanceID.NotFound")
ActivationErrors = gone_error_handler("InvalidActivation", "InvalidActivationId")


# ---------------------------------------------------------------- instances


def describe_instance_information(client, instance_ids=None):
    """Managed instances, all of them or only ``instance_ids`` (batches of 50)."""
    if instance_ids is None:
        return paginate(client.describe_instance_information, "InstanceInformationList",
                        token_in="NextToken", token_out="NextToken", MaxResults=INSTANCE_PAGE_SIZE)
    result = []
    for batch in chunks(sorted(set(instance_ids)), INSTANCE_FILTER_BATCH):
        result.extend(paginate(
            client.describe_instance_information, "InstanceInformationList",
            token_in="NextToken", token_out="NextToken", MaxResults=INSTANCE_PAGE_SIZE,
            Filters=[{"Key": "InstanceIds", "Values": batch}],
        ))
    return result


@ManagedInstanceErrors.deletion_error_handler("deregister the SSM managed instance")
def deregister_managed_instance(client, instance_id):
    """Deregister one managed instance. False when it was already gone."""
    client.deregister_managed_instance(aws_retry=True, InstanceId=instance_id)
    return True


def instance_summary(info):
    """The SSM side of a managed instance, snake_cased for return values."""
    if not info:
        return {}
    last_ping = info.get("LastPingDateTime")
    return {
        "managed_instance_id": info.get("InstanceId"),
        "hostname": info.get("ComputerName"),
        "ip_address": info.get("IPAddress"),
        "ping_status": info.get("PingStatus"),
        "last_ping_date_time": last_ping.isoformat() if hasattr(last_ping, "isoformat") else last_ping,
        "ssm_agent_version": info.get("AgentVersion"),
        "platform_name": info.get("PlatformName"),
        "platform_version": info.get("PlatformVersion"),
        "activation_id": info.get("ActivationId"),
        "iam_role": info.get("IamRole"),
        "ssm_name": info.get("Name"),
    }


def hostname_matches(info, hostname):
    """True when a managed instance's computer name is ``hostname`` (case-insensitive,
    full name or its first label)."""
    name = (info.get("ComputerName") or "").lower()
    wanted = hostname.lower()
    return bool(name) and (name == wanted or name.split(".")[0] == wanted)


# -------------------------------------------------------------- activations


def describe_activations(client, name=None, activation_ids=None):
    """Activations, optionally only those called ``name`` (DefaultInstanceName
    and Name tag) and/or with the given ids."""
    filters = []
    if name is not None:
        filters.append({"FilterKey": "DefaultInstanceName", "FilterValues": [name]})
    if activation_ids:
        filters.append({"FilterKey": "ActivationIds", "FilterValues": list(activation_ids)})
    kwargs = {"MaxResults": ACTIVATION_PAGE_SIZE}
    if filters:
        kwargs["Filters"] = filters
    activations = paginate(client.describe_activations, "ActivationList",
                           token_in="NextToken", token_out="NextToken", **kwargs)
    if name is not None:
        # The filter matches the instance name; identity also needs our tag.
        activations = [a for a in activations if activation_name(a) == name]
    return activations


def activation_tags(activation):
    """All tags of an activation (its Name tag included) as a dict."""
    return boto3_tag_list_to_ansible_dict(activation.get("Tags") or [])


def activation_tag_list(name, tags=None):
    """The SSM tag list of an activation called ``name`` with ``tags``, sorted by key."""
    return ansible_dict_to_boto3_tag_list(dict(sorted(dict(tags or {}, **{NAME_TAG: name}).items())))


def activation_name(activation):
    return activation_tags(activation).get(NAME_TAG, activation.get("DefaultInstanceName"))


def create_activation(client, name, iam_role, registration_limit, expiration_date,
                      description=None, tags=None):
    """Create an activation; returns ``(activation_id, activation_code)``."""
    kwargs = {
        "DefaultInstanceName": name,
        "IamRole": iam_role,
        "RegistrationLimit": registration_limit,
        "ExpirationDate": expiration_date,
        "Tags": activation_tag_list(name, tags),
    }
    if description:
        kwargs["Description"] = description
    response = client.create_activation(aws_retry=True, **kwargs)
    return response["ActivationId"], response["ActivationCode"]


@ActivationErrors.deletion_error_handler("delete the SSM activation")
def delete_activation(client, activation_id):
    """Delete one activation. False when it was already gone."""
    client.delete_activation(aws_retry=True, ActivationId=activation_id)
    return True


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _as_datetime(value):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    if isinstance(value, str) and value:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _iso(value):
    value = _as_datetime(value)
    return value.isoformat() if value else None


def activation_expired(activation, now=None):
    if activation.get("Expired"):
        return True
    expiration = _as_datetime(activation.get("ExpirationDate"))
    return bool(expiration and expiration <= (now or _utcnow()))


def activation_exhausted(activation):
    return (activation.get("RegistrationsCount") or 0) >= (activation.get("RegistrationLimit") or 1)


def activation_summary(activation, now=None):
    """An activation as this collection returns it (never with a code)."""
    tags = activation_tags(activation)
    return {
        "activation_id": activation.get("ActivationId"),
        "name": activation_name(activation),
        "description": activation.get("Description"),
        "default_instance_name": activation.get("DefaultInstanceName"),
        "iam_role": activation.get("IamRole"),
        "registration_limit": activation.get("RegistrationLimit"),
        "registrations_count": activation.get("RegistrationsCount", 0),
        "expiration_date": _iso(activation.get("ExpirationDate")),
        "created_date": _iso(activation.get("CreatedDate")),
        "expired": activation_expired(activation, now),
        "exhausted": activation_exhausted(activation),
        "tags": {k: v for k, v in tags.items() if k != NAME_TAG},
    }


def replacement_reasons(activation, wanted, replace_when, now=None):
    """Why an existing activation cannot serve ``wanted``; empty when it can.

    ``wanted`` holds ``iam_role``, ``registration_limit``, ``description`` and
    ``tags`` (None means: do not care). Activations cannot be updated, so any
    difference means replacing it.
    """
    reasons = []
    if "always" in replace_when:
        reasons.append("replace_when contains always")
    if "expired" in replace_when and activation_expired(activation, now):
        reasons.append("it has expired")
    if "exhausted" in replace_when and activation_exhausted(activation):
        reasons.append(
            f"all {activation.get('RegistrationLimit')} registrations are used"
        )
    if wanted.get("iam_role") is not None and _role_name(activation.get("IamRole")) != _role_name(wanted["iam_role"]):
        reasons.append(f"iam_role differs ({activation.get('IamRole')} -> {wanted['iam_role']})")
    if wanted.get("registration_limit") is not None and activation.get("RegistrationLimit") != wanted["registration_limit"]:
        reasons.append(
            f"registration_limit differs ({activation.get('RegistrationLimit')} -> {wanted['registration_limit']})"
        )
    if wanted.get("description") is not None and (activation.get("Description") or "") != wanted["description"]:
        reasons.append("description differs")
    if wanted.get("tags") is not None:
        current = activation_summary(activation, now)["tags"]
        if current != {k: str(v) for k, v in wanted["tags"].items()}:
            reasons.append("tags differ")
    return reasons


def _role_name(role):
    """IAM role name from a name or an ARN (SSM stores what it was given)."""
    if not role:
        return role
    return role.rsplit("/", 1)[-1]


def expiration_date_in(seconds, now=None):
    return (now or _utcnow()) + datetime.timedelta(seconds=seconds)


# ------------------------------------------------------------------- ensure


def newest_first(activations):
    def created(a):
        return _as_datetime(a.get("CreatedDate")) or datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

    return sorted(activations, key=created, reverse=True)


def ensure_activation_present(client, name, iam_role, registration_limit, expiration_seconds,
                              description=None, tags=None, replace_when=("expired", "exhausted"),
                              check_mode=False, now=None, may_return_code=True):
    """Make sure one usable activation called ``name`` exists.

    ``may_return_code`` False (the task does not set no_log) makes a run that
    would create an activation raise EcsAnywhereError before changing anything.

    Returns ``(changed, outcome, diff)`` like every ensure helper; ``outcome`` is
    :func:`activation_outcome`: ``activation`` is the summary (predicted in check
    mode; with ``activation_code`` only when this call created it), ``created``,
    ``deleted_activation_ids`` and ``replace_reasons``."""
    now = now or _utcnow()
    existing = newest_first(describe_activations(client, name=name))
    current = existing[0] if existing else None
    extras = existing[1:]
    wanted = {"iam_role": iam_role, "registration_limit": registration_limit,
              "description": description, "tags": tags}
    reasons = replacement_reasons(current, wanted, replace_when, now) if current else []
    create = current is None or bool(reasons)
    to_delete = [a["ActivationId"] for a in extras]
    if current is not None and reasons:
        to_delete.insert(0, current["ActivationId"])
    if extras:
        reasons = reasons + [f"{len(extras)} older activation(s) share the name"]
    before = activation_summary(current, now) if current else {}

    if not create and not to_delete:
        return False, activation_outcome(before), {"before": before, "after": before}

    if create:
        expiration = expiration_date_in(expiration_seconds, now)
        activation = activation_summary({
            "ActivationId": None,
            "DefaultInstanceName": name,
            "Description": description,
            "IamRole": iam_role,
            "RegistrationLimit": registration_limit,
            "RegistrationsCount": 0,
            "ExpirationDate": expiration,
            "CreatedDate": now,
            "Expired": False,
            "Tags": activation_tag_list(name, tags),
        }, now)
    else:
        activation = before
    diff = {"before": before, "after": {k: v for k, v in activation.items() if k != "activation_id" or v}}
    if check_mode:
        return True, activation_outcome(activation, create, to_delete, reasons), diff
    if create and not may_return_code:
        raise EcsAnywhereError(
            "This task would create an SSM activation and return its code, but it does not set "
            "no_log: true. Add no_log: true to the task so the code is never printed. "
            "Nothing was changed."
        )

    for activation_id in to_delete:
        delete_activation(client, activation_id)
    if create:
        activation_id, code = create_activation(
            client, name, iam_role, registration_limit, expiration, description=description, tags=tags
        )
        activation = dict(activation, activation_id=activation_id, activation_code=code)
    return True, activation_outcome(activation, create, to_delete, reasons), diff


def activation_outcome(activation, created=False, deleted_activation_ids=(), replace_reasons=()):
    """What an ensure call did (or would do) to the activations of a name: the
    return values of the ssm_activation module but ``changed``."""
    return {"activation": activation, "created": created,
            "deleted_activation_ids": list(deleted_activation_ids), "replace_reasons": list(replace_reasons)}


def ensure_activation_absent(client, name, check_mode=False, now=None):
    """Delete every activation called ``name``. Returns ``(changed, outcome, diff)``:
    ``outcome`` (:func:`activation_outcome`) lists the ids deleted (or, in check mode,
    that would be)."""
    existing = newest_first(describe_activations(client, name=name))
    ids = [a["ActivationId"] for a in existing]
    before = activation_summary(existing[0], now) if existing else {}
    diff = {"before": before, "after": {}}
    if not check_mode:
        ids = [i for i in ids if delete_activation(client, i)]
    return bool(ids), activation_outcome({}, deleted_activation_ids=ids), diff
