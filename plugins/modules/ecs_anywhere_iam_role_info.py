#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_anywhere_iam_role_info
version_added: 0.2.0
short_description: Read IAM roles by name, with their tags, trust policy and attached policies
description:
  - Reads the IAM roles with the given names in one module run (GetRole and
    ListAttachedRolePolicies per role, paginated) and says which names IAM does not know.
  - The roles come in the form M(amazon.aws.iam_role_info) returns them, less what that module
    reads and the ownership check does not need (inline policies, instance profiles) and less its
    deprecated C(assume_role_policy_document_raw), so no deprecation warning is printed.
  - The roles M(edgeops.ecs_anywhere.aws_cluster) and M(edgeops.ecs_anywhere.ssm_activation)
    use it to tell their own IAM roles (tagged C(ecs-anywhere-cluster=<cluster>)) from other teams'.
  - Read-only; runs the same in check mode.
author:
  - edgeops platform team (@edgeops)
options:
  names:
    description:
      - Names of the IAM roles to read (without path). An empty list makes no call.
      - The names of O(requirements) are read too.
    type: list
    elements: str
    default: []
  requirements:
    description:
      - "What roles must have, each checked against the role as read and against the ownership tag
        O(owner_tag) (RV(checks)). A role without that tag is somebody else's (C(foreign)); the
        collection uses it as it is, and RV(checks[].missing) says what it lacks."
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The role's name.
        type: str
        required: true
      service:
        description: The service principal the role must trust with C(sts:AssumeRole), such as C(ssm.amazonaws.com).
        type: str
        required: true
      policies:
        description: ARNs of managed policies that must be attached.
        type: list
        elements: str
        default: []
  owner_tag:
    description:
      - The tag that marks a role as the collection's (its key and value). Required with O(requirements).
    type: dict
    suboptions:
      key:
        description: Tag key.
        type: str
        required: true
      value:
        description: Tag value.
        type: str
        required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the cluster's IAM roles
  edgeops.ecs_anywhere.ecs_anywhere_iam_role_info:
    names: [ecs-anywhere-edge-instance, ecs-anywhere-edge-task-execution]
  register: roles

- name: Which of them are ours, and what do the others lack?
  edgeops.ecs_anywhere.ecs_anywhere_iam_role_info:
    requirements:
      - name: ecs-anywhere-edge-instance
        service: ssm.amazonaws.com
        policies: [arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
    owner_tag: {key: ecs-anywhere-cluster, value: edge}
  register: checked
"""

RETURN = r"""
iam_roles:
  description: The roles of O(names) that exist, in the order of O(names).
  returned: always
  type: list
  elements: dict
  contains:
    role_name:
      description: Name of the role.
      returned: always
      type: str
      sample: ecs-anywhere-edge-instance
    arn:
      description: ARN of the role.
      returned: always
      type: str
      sample: arn:aws:iam::123456789012:role/ecs-anywhere-edge-instance
    path:
      description: Path of the role.
      returned: always
      type: str
      sample: /
    tags:
      description: Tags of the role, as a dict.
      returned: always
      type: dict
      sample: {"ecs-anywhere-cluster": "edge"}
    assume_role_policy_document:
      description: The trust policy, decoded (its keys as IAM spells them).
      returned: always
      type: dict
      sample: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
               "Action": "sts:AssumeRole"}]}
    managed_policies:
      description: The managed policies attached to the role.
      returned: always
      type: list
      elements: dict
      contains:
        policy_name:
          description: Name of the policy.
          type: str
          returned: always
          sample: AmazonSSMManagedInstanceCore
        policy_arn:
          description: ARN of the policy.
          type: str
          returned: always
          sample: arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
checks:
  description: Each role of O(requirements), in their order, checked.
  returned: always
  type: list
  elements: dict
  contains:
    role_name:
      description: Name of the role.
      type: str
    exists:
      description: Whether the role exists.
      type: bool
    owned:
      description: Whether it carries O(owner_tag).
      type: bool
    foreign:
      description: Whether it exists and does not carry O(owner_tag) (somebody else's).
      type: bool
    arn:
      description: Its ARN (empty when it does not exist).
      type: str
    tags:
      description: Its tags.
      type: dict
    trusted:
      description: Whether its trust policy lets O(requirements[].service) assume it.
      type: bool
    missing_policies:
      description: The policies of O(requirements[].policies) not attached to it.
      type: list
      elements: str
    missing:
      description: What a foreign role lacks, in words (empty for a role that is ours or absent).
      type: list
      elements: str
      sample: ["trust in ssm.amazonaws.com (an Allow statement for sts:AssumeRole)"]
missing_names:
  description: The names of O(names) and O(requirements) that IAM does not know.
  returned: always
  type: list
  elements: str
  sample: [ecs-anywhere-edge-task-execution]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import iam_roles
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        names=dict(type="list", elements="str", default=[]),
        requirements=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            service=dict(type="str", required=True),
            policies=dict(type="list", elements="str", default=[]))),
        owner_tag=dict(type="dict", options=dict(key=dict(type="str", required=True, no_log=False),
                                                 value=dict(type="str", required=True))),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    requirements = module.params["requirements"]
    if requirements and not module.params["owner_tag"]:
        module.fail_json(msg="requirements need owner_tag: the tag (key and value) that marks a role as ours")
    names = list(dict.fromkeys(module.params["names"] + [r["name"] for r in requirements]))
    if not names:
        module.exit_json(changed=False, iam_roles=[], checks=[], missing_names=[])
    client = aws_client(module, "iam")
    with module_errors(module, "Failed to read the IAM roles %s" % ", ".join(names)):
        roles, missing = iam_roles.describe_roles(client, names)
    checks = []
    if requirements:
        owner = module.params["owner_tag"]
        checks = iam_roles.check_roles(roles, requirements, owner["key"], owner["value"])
    module.exit_json(changed=False, iam_roles=roles, checks=checks, missing_names=missing)


if __name__ == "__main__":
    main()
