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
