#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_external_taskdefinition
version_added: 0.1.0
short_description: Register ECS task definitions for external (ECS Anywhere) instances
description:
  - Registers a task definition revision with C(requiresCompatibilities=[EXTERNAL]) so its
    tasks can run on ECS Anywhere external instances (launch type C(EXTERNAL)).
  - Idempotent - a new revision is registered only when the content differs from the
    latest C(ACTIVE) revision of the family (ECS defaults such as C(essential=true) or the
    C(tcp) protocol of port mappings count as equal).
  - O(state=absent) deregisters the family's C(ACTIVE) revisions (or one O(revision)).
  - C(community.aws.ecs_taskdefinition) cannot target C(EXTERNAL); this module can.
author:
  - edgeops platform team (@edgeops)
options:
  family:
    description:
      - Family of the task definition.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the latest revision has this content; V(absent) deregisters revisions.
    type: str
    choices: [present, absent]
    default: present
  containers:
    description:
      - Container definitions, in the ECS API format (camelCase keys as in ECS's
        C(containerDefinitions) - C(name), C(image), C(memory), C(portMappings),
        C(logConfiguration), C(environment), ...).
      - Required with O(state=present).
    type: list
    elements: dict
  network_mode:
    description:
      - Docker networking mode of the tasks. External instances support V(bridge), V(host) and V(none).
    type: str
    choices: [bridge, host, none]
    default: bridge
  execution_role_arn:
    description:
      - ARN of the task execution role (pulls images, writes logs). It must trust
        C(ecs-tasks.amazonaws.com).
    type: str
  task_role_arn:
    description:
      - ARN of the IAM role the containers get.
    type: str
  cpu:
    description:
      - CPU units of the task (for example V(256)).
    type: str
  memory:
    description:
      - Memory of the task in MiB (for example V(512)).
    type: str
  volumes:
    description:
      - Volumes, in the ECS API format (C(name), C(host), C(dockerVolumeConfiguration)).
    type: list
    elements: dict
  placement_constraints:
    description:
      - Task placement constraints, in the ECS API format (C(type=memberOf), C(expression)).
    type: list
    elements: dict
  revision:
    description:
      - With O(state=absent), deregister only this revision.
    type: int
notes:
  - Supports check mode (the predicted revision number assumes no concurrent registration) and C(--diff).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: nginx for the edge hosts, port 8080 on the host
  edgeops.ecs_anywhere.ecs_external_taskdefinition:
    family: nginx
    network_mode: bridge
    execution_role_arn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
    memory: "256"
    containers:
      - name: nginx
        image: public.ecr.aws/nginx/nginx:1.27
        essential: true
        memory: 256
        portMappings:
          - containerPort: 80
            hostPort: 8080
            protocol: tcp
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/edge
            awslogs-region: eu-west-1
            awslogs-stream-prefix: nginx
  register: nginx_taskdef

- name: Deregister every revision of the family
  edgeops.ecs_anywhere.ecs_external_taskdefinition:
    family: nginx
    state: absent
"""

RETURN = r"""
task_definition:
  description:
    - The latest revision after the task (predicted in check mode; C(task_definition_arn) is
      null when no revision existed yet). Keys snake_cased, except user-defined map keys
      (log options, docker labels). Empty with O(state=absent).
  returned: always
  type: dict
  contains:
    task_definition_arn:
      description: ARN of the revision.
      returned: with O(state=present)
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:task-definition/nginx:3
    family:
      description: Family.
      returned: with O(state=present)
      type: str
      sample: nginx
    revision:
      description: Revision number.
      returned: with O(state=present)
      type: int
      sample: 3
    status:
      description: Status of the revision.
      returned: with O(state=present)
      type: str
      sample: ACTIVE
    network_mode:
      description: Docker networking mode.
      returned: with O(state=present)
      type: str
      sample: bridge
    requires_compatibilities:
      description: Launch types the revision was validated for.
      returned: with O(state=present)
      type: list
      elements: str
      sample: [EXTERNAL]
    compatibilities:
      description: Launch types the revision is compatible with.
      returned: with O(state=present)
      type: list
      elements: str
      sample: [EXTERNAL, EC2]
    container_definitions:
      description: Container definitions, snake_cased.
      returned: with O(state=present)
      type: list
      elements: dict
      sample: [{"name": "nginx", "image": "public.ecr.aws/nginx/nginx:1.27", "port_mappings": [{"container_port": 80, "host_port": 8080, "protocol": "tcp"}]}]
    execution_role_arn:
      description: Task execution role.
      returned: when set
      type: str
      sample: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
    cpu:
      description: CPU units of the task.
      returned: when set
      type: str
      sample: "256"
    memory:
      description: Memory of the task in MiB.
      returned: when set
      type: str
      sample: "256"
deregistered_task_definition_arns:
  description: Revisions deregistered (would be, in check mode) with O(state=absent).
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:ecs:eu-west-1:123456789012:task-definition/nginx:1"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import workloads
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import exit_with_diff
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        family=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        containers=dict(type="list", elements="dict"),
        network_mode=dict(type="str", default="bridge", choices=list(ecs_api.EXTERNAL_NETWORK_MODES)),
        execution_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        volumes=dict(type="list", elements="dict"),
        placement_constraints=dict(type="list", elements="dict"),
        revision=dict(type="int"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["containers"])],
        supports_check_mode=True,
    )
    params = module.params
    client = aws_client(module, "ecs")
    with module_errors(module, f"ECS call failed for task definition family {params['family']}"):
        if params["state"] == "absent":
            changed, arns, diff = workloads.ensure_task_definition_absent(
                client, params["family"], revision=params["revision"], check_mode=module.check_mode
            )
            result = dict(changed=changed, task_definition={}, deregistered_task_definition_arns=arns)
        else:
            missing = [c.get("name", f"#{i}") for i, c in enumerate(params["containers"]) if not c.get("name") or not c.get("image")]
            if missing or not params["containers"]:
                module.fail_json(msg="Every entry of containers needs a name and an image "
                                     f"(check {', '.join(missing) or 'the empty list'}).")
            request = ecs_api.build_task_definition_request(
                params["family"], params["containers"], network_mode=params["network_mode"],
                execution_role_arn=params["execution_role_arn"], task_role_arn=params["task_role_arn"],
                cpu=params["cpu"], memory=params["memory"], volumes=params["volumes"],
                placement_constraints=params["placement_constraints"],
            )
            changed, definition, diff = workloads.ensure_task_definition_present(
                client, request, check_mode=module.check_mode
            )
            definition = workloads.task_definition_result(definition)
            definition.setdefault("task_definition_arn", None)
            result = dict(changed=changed, task_definition=definition, deregistered_task_definition_arns=[])
    exit_with_diff(module, diff, **result)


if __name__ == "__main__":
    main()
