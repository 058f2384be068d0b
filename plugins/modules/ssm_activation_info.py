#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssm_activation_info
version_added: 0.1.0
short_description: List SSM hybrid activations
description:
  - Lists the SSM hybrid activations of the account and region, optionally only those called
    O(name) or with given IDs.
  - Never returns an activation code (AWS returns a code only once, when it creates the
    activation; see M(edgeops.ecs_anywhere.ssm_activation)).
author:
  - edgeops platform team (@edgeops)
options:
  name:
    description:
      - Only activations with this name (default instance name and C(Name) tag), as
        M(edgeops.ecs_anywhere.ssm_activation) creates them.
    type: str
  activation_ids:
    description:
      - Only activations with these IDs.
    type: list
    elements: str
notes:
  - Read-only; supports check mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: List the activations of the edge fleet
  edgeops.ecs_anywhere.ssm_activation_info:
    name: edge-fleet
  register: edge_activations

- name: Show how many registrations are left
  ansible.builtin.debug:
    msg: "{{ item.activation_id }}: {{ item.registration_limit - item.registrations_count }} left"
  loop: "{{ edge_activations.activations }}"
"""

RETURN = r"""
activations:
  description: The activations, newest first. Never with a code.
  returned: always
  type: list
  elements: dict
  contains:
    activation_id:
      description: ID of the activation.
      returned: always
      type: str
      sample: 5a9e3c70-1f0b-4b8c-9a2b-0d3e4f5a6b7c
    name:
      description: Name of the activation (C(Name) tag, else default instance name).
      returned: always
      type: str
      sample: edge-fleet
    description:
      description: Description of the activation.
      returned: always
      type: str
      sample: ECS Anywhere edge hosts
    default_instance_name:
      description: Name SSM gives the managed instances registered with it.
      returned: always
      type: str
      sample: edge-fleet
    iam_role:
      description: IAM role of the managed instances.
      returned: always
      type: str
      sample: ecsAnywhereRole
    registration_limit:
      description: How many hosts may register.
      returned: always
      type: int
      sample: 3
    registrations_count:
      description: How many hosts registered so far.
      returned: always
      type: int
      sample: 1
    expiration_date:
      description: When the activation expires (ISO 8601).
      returned: always
      type: str
      sample: "2026-11-27T02:31:50+00:00"
    created_date:
      description: When the activation was created (ISO 8601).
      returned: always
      type: str
      sample: "2026-11-27T00:31:50+00:00"
    expired:
      description: Whether the activation has expired.
      returned: always
      type: bool
      sample: false
    exhausted:
      description: Whether all registrations are used.
      returned: always
      type: bool
      sample: false
    tags:
      description: Tags of the activation, without the C(Name) tag.
      returned: always
      type: dict
      sample: {"team": "edge"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ssm as ssm_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        name=dict(type="str"),
        activation_ids=dict(type="list", elements="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "ssm")
    if module.params["activation_ids"] == []:
        module.exit_json(changed=False, activations=[])
    with module_errors(module, "Failed to describe SSM activations"):
        found = ssm_api.describe_activations(
            client, name=module.params["name"], activation_ids=module.params["activation_ids"]
        )
    activations = [ssm_api.activation_summary(a) for a in ssm_api.newest_first(found)]
    module.exit_json(changed=False, activations=activations)


if __name__ == "__main__":
    main()
