#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssm_managed_instance_info
version_added: 0.2.0
short_description: Look up SSM managed instances (hybrid C(mi-) nodes) by ID
description:
  - Reads the SSM managed instances with the given IDs (DescribeInstanceInformation, 50 IDs per
    call, paginated) and says which of them SSM no longer knows, for example because they were
    deregistered on the AWS side while the host still holds its registration files.
  - Read-only; runs the same in check mode.
author:
  - edgeops platform team (@edgeops)
options:
  instance_ids:
    description:
      - The managed instance IDs (C(mi-...)) to look up. An empty list makes no call.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which of these hosts does SSM still know?
  edgeops.ecs_anywhere.ssm_managed_instance_info:
    instance_ids: [mi-0123456789abcdef0, mi-0fedcba9876543210]
  register: known

- name: Show the ones SSM forgot
  ansible.builtin.debug:
    var: known.missing_instance_ids
"""

RETURN = r"""
managed_instances:
  description: The managed instances SSM knows, in the order of O(instance_ids).
  returned: always
  type: list
  elements: dict
  contains:
    managed_instance_id:
      description: ID of the managed instance.
      returned: always
      type: str
      sample: mi-0123456789abcdef0
    hostname:
      description: Computer name the SSM agent reports.
      returned: always
      type: str
      sample: edge-01
    ip_address:
      description: IP address the SSM agent reports.
      returned: always
      type: str
      sample: 192.0.2.10
    ping_status:
      description: SSM agent ping status (C(Online), C(ConnectionLost), C(Inactive)).
      returned: always
      type: str
      sample: Online
    last_ping_date_time:
      description: When the SSM agent last reported.
      returned: always
      type: str
      sample: "2026-11-27T00:31:50+00:00"
    ssm_agent_version:
      description: Version of the SSM agent.
      returned: always
      type: str
      sample: 3.3.1142.0
    platform_name:
      description: Operating system SSM reports.
      returned: always
      type: str
      sample: Debian GNU/Linux
    platform_version:
      description: Operating system version SSM reports.
      returned: always
      type: str
      sample: "12"
    activation_id:
      description: The activation the instance registered with.
      returned: always
      type: str
      sample: 5a9e3c70-1f0b-4b8c-9a2b-0d3e4f5a6b7c
    iam_role:
      description: IAM role of the managed instance.
      returned: always
      type: str
      sample: ecs-anywhere-edge-instance
    ssm_name:
      description: Name of the managed instance in SSM.
      returned: always
      type: str
      sample: ecs-anywhere-edge-20261201T101500Z-1a2b3c4d
missing_instance_ids:
  description: The IDs of O(instance_ids) that SSM does not know (deregistered, or never registered).
  returned: always
  type: list
  elements: str
  sample: [mi-0fedcba9876543210]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ssm as ssm_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    wanted = list(dict.fromkeys(module.params["instance_ids"]))
    if not wanted:
        module.exit_json(changed=False, managed_instances=[], missing_instance_ids=[])
    client = aws_client(module, "ssm")
    with module_errors(module, "Failed to describe SSM managed instances"):
        found = {i["InstanceId"]: i for i in ssm_api.describe_instance_information(client, wanted)}
    module.exit_json(
        changed=False,
        managed_instances=[ssm_api.instance_summary(found[i]) for i in wanted if i in found],
        missing_instance_ids=[i for i in wanted if i not in found],
    )


if __name__ == "__main__":
    main()
