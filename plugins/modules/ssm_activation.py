#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssm_activation
version_added: 0.1.0
short_description: Create, replace or delete an SSM hybrid activation for ECS Anywhere hosts
description:
  - Makes sure one usable SSM hybrid activation called O(name) exists (or none, with
    O(state=absent)). Hosts register with SSM using its ID and code, then join ECS.
  - B(The activation code is returned only by the run that created the activation.) AWS
    returns a code once, from CreateActivation, and never again; a later run that finds the
    activation usable returns it without RV(activation.activation_code). Use the code in the
    same play that created it, or set O(replace_when) to include V(always) to get a fresh
    activation (and code) every run.
  - B(A task that may create an activation must set no_log to true), so the code is never
    printed; without it the module fails before creating anything. Keep the registered
    variable out of logs too (no C(debug) of it, files holding the code mode C(0600)).
  - Activations cannot be modified. When the existing one differs from O(iam_role),
    O(registration_limit), O(description) or O(tags), or matches a condition of
    O(replace_when), it is deleted and a new one is created (a new ID and code). Hosts already
    registered stay registered (deleting an activation deregisters nothing).
  - The name is the activation's identity; it is stored as the default instance name (which
    SSM gives the managed instances) and as the C(Name) tag. Older activations with the same
    name are deleted.
author:
  - edgeops platform team (@edgeops)
options:
  name:
    description:
      - Name of the activation, unique among this account's activations in the region.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure a usable activation exists; V(absent) deletes every activation
        called O(name).
    type: str
    choices: [present, absent]
    default: present
  iam_role:
    description:
      - The IAM role (name or ARN) the managed instances get. It must trust
        C(ssm.amazonaws.com) and carry C(AmazonSSMManagedInstanceCore) and
        C(AmazonEC2ContainerServiceforEC2Role).
      - Required with O(state=present).
    type: str
  registration_limit:
    description:
      - How many hosts may register with the activation, 1 to 1000.
    type: int
    default: 1
  expiration:
    description:
      - How long a new activation stays valid, as a duration such as V(30m), V(12h), V(7d) or
        V(1d12h); at most 30 days. Only used when an activation is created.
    type: str
    default: 24h
  description:
    description:
      - Description of the activation. Left unset, any description is accepted.
    type: str
  tags:
    description:
      - Tags of the activation (the C(Name) tag is managed by the module). Left unset, any
        tags are accepted.
    type: dict
  replace_when:
    description:
      - When to replace a usable-looking existing activation with a new one.
      - V(expired) replaces an activation past its expiration date.
      - V(exhausted) replaces an activation whose registrations are all used.
      - V(always) replaces it on every run (never idempotent, but always returns a code).
    type: list
    elements: str
    choices: [expired, exhausted, always]
    default: [expired, exhausted]
notes:
  - Supports check mode (a predicted activation has no ID and no code) and C(--diff).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Make sure an activation for three edge hosts exists
  edgeops.ecs_anywhere.ssm_activation:
    name: edge-fleet
    iam_role: ecsAnywhereRole
    registration_limit: 3
    expiration: 2h
    tags:
      team: edge
  register: edge_activation
  no_log: true  # the result holds the activation code

- name: Register the hosts while the code is known (only the creating run returns it)
  ansible.builtin.command:
    argv: [amazon-ssm-agent, -register, -y, -region, eu-west-1,
           -id, "{{ edge_activation.activation.activation_id }}",
           -code, "{{ edge_activation.activation.activation_code }}"]
  when: edge_activation.activation.activation_code is defined
  no_log: true
  changed_when: true

- name: Delete the activation once the hosts are registered
  edgeops.ecs_anywhere.ssm_activation:
    name: edge-fleet
    state: absent
"""

RETURN = r"""
activation:
  description: The activation after the task (predicted in check mode); empty after O(state=absent).
  returned: always
  type: dict
  contains:
    activation_id:
      description: ID of the activation (null when predicted in check mode).
      returned: with O(state=present)
      type: str
      sample: 5a9e3c70-1f0b-4b8c-9a2b-0d3e4f5a6b7c
    activation_code:
      description:
        - The activation code. B(Returned only by the run that created the activation), never
          in check mode and never again (AWS does not return it twice). A secret - never print it.
      returned: when the activation was created by this task
      type: str
      sample: "hidden"
    name:
      description: Name of the activation.
      returned: with O(state=present)
      type: str
      sample: edge-fleet
    description:
      description: Description of the activation.
      returned: with O(state=present)
      type: str
      sample: ECS Anywhere edge hosts
    default_instance_name:
      description: Name SSM gives the managed instances registered with it.
      returned: with O(state=present)
      type: str
      sample: edge-fleet
    iam_role:
      description: IAM role of the managed instances.
      returned: with O(state=present)
      type: str
      sample: ecsAnywhereRole
    registration_limit:
      description: How many hosts may register.
      returned: with O(state=present)
      type: int
      sample: 3
    registrations_count:
      description: How many hosts registered so far.
      returned: with O(state=present)
      type: int
      sample: 0
    expiration_date:
      description: When the activation expires (ISO 8601).
      returned: with O(state=present)
      type: str
      sample: "2026-11-27T02:31:50+00:00"
    created_date:
      description: When the activation was created (ISO 8601).
      returned: with O(state=present)
      type: str
      sample: "2026-11-27T00:31:50+00:00"
    expired:
      description: Whether the activation has expired.
      returned: with O(state=present)
      type: bool
      sample: false
    exhausted:
      description: Whether all registrations are used.
      returned: with O(state=present)
      type: bool
      sample: false
    tags:
      description: Tags of the activation, without the C(Name) tag.
      returned: with O(state=present)
      type: dict
      sample: {"team": "edge"}
created:
  description: Whether the task created (or, in check mode, would create) an activation.
  returned: always
  type: bool
  sample: true
deleted_activation_ids:
  description: IDs of the activations deleted (replaced, duplicates, or with O(state=absent)).
  returned: always
  type: list
  elements: str
  sample: ["0b7f1e2d-3c4b-5a69-8877-665544332211"]
replace_reasons:
  description: Why an existing activation was replaced.
  returned: always
  type: list
  elements: str
  sample: ["it has expired"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ssm as ssm_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import exit_with_diff
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import parse_duration


def validate(module):
    params = module.params
    if not 1 <= params["registration_limit"] <= ssm_api.MAX_REGISTRATION_LIMIT:
        module.fail_json(msg=f"registration_limit must be between 1 and {ssm_api.MAX_REGISTRATION_LIMIT}, "
                             f"got {params['registration_limit']}.")
    try:
        seconds = parse_duration(params["expiration"])
    except ValueError as e:
        module.fail_json(msg=f"expiration: {e}.")
    if not 0 < seconds <= ssm_api.MAX_EXPIRATION_SECONDS:
        module.fail_json(msg=f"expiration must be more than 0 and at most 30 days (30d), got {params['expiration']}.")
    return seconds


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        iam_role=dict(type="str"),
        registration_limit=dict(type="int", default=1),
        expiration=dict(type="str", default="24h"),
        description=dict(type="str"),
        tags=dict(type="dict"),
        replace_when=dict(type="list", elements="str", default=["expired", "exhausted"],
                          choices=["expired", "exhausted", "always"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["iam_role"])],
        supports_check_mode=True,
    )
    params = module.params
    client = aws_client(module, "ssm")

    with module_errors(module, f"SSM activation call failed for activation {params['name']}"):
        if params["state"] == "absent":
            changed, outcome, diff = ssm_api.ensure_activation_absent(client, params["name"], check_mode=module.check_mode)
        else:
            seconds = validate(module)
            changed, outcome, diff = ssm_api.ensure_activation_present(
                client, params["name"], params["iam_role"], params["registration_limit"], seconds,
                description=params["description"], tags=params["tags"],
                replace_when=params["replace_when"], check_mode=module.check_mode,
                may_return_code=module.no_log,
            )
    result = dict(outcome, changed=changed)

    exit_with_diff(module, diff, **result)


if __name__ == "__main__":
    main()
