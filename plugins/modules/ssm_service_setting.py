#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssm_service_setting
version_added: 0.2.0
short_description: Read, set or reset an SSM service setting (such as the hybrid instance tier)
description:
  - Reads an account-level SSM service setting of the region and, with O(value), sets it
    (C(UpdateServiceSetting)); with O(state=default) resets it to AWS's default (C(ResetServiceSetting)).
  - The setting of interest for ECS Anywhere is the instance tier of hybrid-activated nodes,
    C(/ssm/managed-instance/activation-tier) (C(standard) or C(advanced)). The advanced-instances
    tier is needed for Session Manager on edge hosts and for more than 1,000 hybrid nodes per account and
    region, and is billed per advanced node and hour (about USD 0.00695 per on-prem instance-hour).
  - B(The setting belongs to the whole account and region), not to one cluster; it changes the tier and the
    bill of every team's hybrid nodes there. Change it only on purpose.
  - Going back to C(standard) is refused by SSM while the account and region have more than 1,000 hybrid
    nodes; afterwards Session Manager no longer reaches them, and the switch can take 30 minutes or more.
author:
  - edgeops platform team (@edgeops)
options:
  setting_id:
    description:
      - The setting, as C(/ssm/...) or as its ARN.
    type: str
    default: /ssm/managed-instance/activation-tier
  value:
    description:
      - The value to set, with O(state=present). Omit it to only read the setting.
      - For C(/ssm/managed-instance/activation-tier) one of C(standard), C(advanced).
    type: str
  state:
    description:
      - C(present) reads the setting and, with O(value), sets it.
      - C(default) resets it to AWS's default.
    type: str
    choices: [present, default]
    default: present
notes:
  - Supports check mode (the predicted setting is returned, nothing is changed) and diff (the value before
    and after).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Turn on the advanced-instances tier for hybrid nodes (Session Manager to edge hosts)
  edgeops.ecs_anywhere.ssm_service_setting:
    value: advanced

- name: Read the tier
  edgeops.ecs_anywhere.ssm_service_setting:
  register: tier

- name: Back to the standard-instances tier
  edgeops.ecs_anywhere.ssm_service_setting:
    value: standard
"""

RETURN = r"""
service_setting:
  description: The setting after the change (predicted in check mode).
  returned: always
  type: dict
  contains:
    setting_id:
      description: The setting's id.
      returned: always
      type: str
      sample: /ssm/managed-instance/activation-tier
    setting_value:
      description: Its value.
      returned: always
      type: str
      sample: advanced
    arn:
      description: Its ARN.
      returned: always
      type: str
      sample: arn:aws:ssm:us-east-1:123456789012:servicesetting/ssm/managed-instance/activation-tier
    status:
      description: C(Default), C(Customized) or C(PendingUpdate).
      returned: always
      type: str
      sample: Customized
    last_modified_date:
      description: When it last changed (ISO 8601).
      returned: always
      type: str
      sample: "2026-12-01T14:03:00+00:00"
    last_modified_user:
      description: Who changed it last (an ARN).
      returned: always
      type: str
      sample: arn:aws:sts::123456789012:assumed-role/platform/ops
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import service_settings as settings_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import exit_with_diff
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        setting_id=dict(type="str", default=settings_api.ACTIVATION_TIER),
        value=dict(type="str"),
        state=dict(type="str", choices=["present", "default"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["state"] == "default" and params["value"] is not None:
        module.fail_json(msg="value and state=default exclude each other: state=default resets to AWS's default.")
    client = aws_client(module, "ssm")
    with module_errors(module, "Failed to read or change the SSM service setting"):
        setting_id = settings_api.setting_id_of(params["setting_id"])
        if params["state"] == "default":
            changed, setting, diff = settings_api.ensure_setting_default(client, setting_id, module.check_mode)
        elif params["value"] is None:
            setting = settings_api.get_setting(client, setting_id)
            changed, diff = False, {"before": {}, "after": {}}
        else:
            changed, setting, diff = settings_api.ensure_setting(client, setting_id, params["value"], module.check_mode)
    exit_with_diff(module, diff, changed=changed, service_setting=settings_api.setting_view(setting))


if __name__ == "__main__":
    main()
