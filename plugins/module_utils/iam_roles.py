# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM roles read by name, in amazon.aws's own form.

The calls and the normalisation are amazon.aws's (module_utils.iam:
get_iam_role, list_iam_role_attached_policies, normalize_iam_role); what this
adds is reading several roles in one module run, and only what the ownership
check needs (the role with its tags and trust policy, and its attached managed
policies), without amazon.aws.iam_role_info's deprecated
``assume_role_policy_document_raw`` (whose warning that module prints on every
call).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.iam import get_iam_role
from ansible_collections.amazon.aws.plugins.module_utils.iam import list_iam_role_attached_policies
from ansible_collections.amazon.aws.plugins.module_utils.iam import normalize_iam_role


def describe_roles(client, names):
    """``(roles, missing)``: the IAM roles of ``names`` that exist, in the order of
    ``names`` (duplicates once), as amazon.aws returns them (snake_case keys,
    ``tags`` a dict, ``assume_role_policy_document`` the decoded trust policy,
    ``managed_policies`` a list of ``policy_name``/``policy_arn``); and the names
    IAM does not know."""
    roles, missing = [], []
    for name in dict.fromkeys(names):
        role = get_iam_role(client, name)
        if role is None:
            missing.append(name)
            continue
        role["ManagedPolicies"] = list_iam_role_attached_policies(client, name)
        roles.append(normalize_iam_role(role))
    return roles, missing


_ASSUME_ACTIONS = ("sts:AssumeRole", "sts:*", "*")


def _as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, (str, dict)) else list(value)


def trusts(document, service):
    """Whether a trust policy has an Allow statement letting ``service`` (a
    service principal such as ``ssm.amazonaws.com``) call sts:AssumeRole."""
    if not isinstance(document, dict):
        return False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if service in services and any(a in _ASSUME_ACTIONS for a in _as_list(statement.get("Action"))):
            return True
    return False


def check_role(role, requirement, owner_key, owner_value):
    """One role (as describe_roles returns it, or None when it does not exist)
    against what it must have (``requirement``: ``name``, ``service`` it must
    trust, managed ``policies`` it must have attached) and the ownership tag
    ``owner_key``=``owner_value``.

    A role without that tag is ``foreign``: somebody else's, used as it is and
    never changed; ``missing`` says in words what a foreign role lacks (empty
    for a role that is ours or absent: those are made to fit)."""
    policies = list(requirement.get("policies") or [])
    if role is None:
        return {"role_name": requirement["name"], "exists": False, "owned": False, "foreign": False, "arn": "",
                "tags": {}, "trusted": False, "missing_policies": policies, "missing": []}
    tags = role.get("tags") or {}
    owned = owner_key in tags and tags[owner_key] == owner_value
    trusted = trusts(role.get("assume_role_policy_document"), requirement["service"])
    attached = [p.get("policy_arn") for p in role.get("managed_policies") or []]
    missing_policies = [p for p in policies if p not in attached]
    missing = []
    if not owned:
        if not trusted:
            missing.append("trust in %s (an Allow statement for sts:AssumeRole)" % requirement["service"])
        missing.extend("the managed policy %s" % p for p in missing_policies)
    return {"role_name": requirement["name"], "exists": True, "owned": owned, "foreign": not owned,
            "arn": role.get("arn", ""), "tags": tags, "trusted": trusted, "missing_policies": missing_policies,
            "missing": missing}


def check_roles(roles, requirements, owner_key, owner_value):
    """check_role for each requirement, in their order."""
    by_name = dict((r.get("role_name"), r) for r in roles)
    return [check_role(by_name.get(req["name"]), req, owner_key, owner_value) for req in requirements]
