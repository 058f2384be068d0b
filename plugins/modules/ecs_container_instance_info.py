#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_container_instance_info
version_added: 0.1.0
short_description: List an ECS cluster's container instances joined with their SSM managed instances
description:
  - Lists the container instances of an ECS cluster, each joined with the SSM managed instance
    of its host (C(mi-...)) - host name, IP address, ping status, agent versions, ECS status,
    running and pending task counts and attributes.
  - Optionally only instances with given statuses, or matching any of the selectors.
  - Fails when the cluster does not exist.
author:
  - edgeops platform team (@edgeops)
options:
  cluster:
    description:
      - Name or ARN of the ECS cluster.
    type: str
    required: true
  status:
    description:
      - Only instances with one of these ECS statuses.
      - By default every status except C(INACTIVE).
    type: list
    elements: str
    choices: [ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED]
notes:
  - Read-only; supports check mode.
extends_documentation_fragment:
  - edgeops.ecs_anywhere.instance_selectors
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: List every container instance of the cluster
  edgeops.ecs_anywhere.ecs_container_instance_info:
    cluster: edge
  register: edge_instances

- name: Show the hosts whose ECS agent is disconnected
  ansible.builtin.debug:
    msg: "{{ edge_instances.container_instances | rejectattr('agent_connected') | map(attribute='hostname') }}"

- name: Find one host's container instance
  edgeops.ecs_anywhere.ecs_container_instance_info:
    cluster: edge
    hostnames:
      - edge-01
  register: edge_01
"""

RETURN = r"""
container_instances:
  description: The container instances, sorted by host name.
  returned: always
  type: list
  elements: dict
  contains:
    cluster:
      description: Name of the cluster.
      returned: always
      type: str
      sample: edge
    container_instance_arn:
      description: ARN of the container instance.
      returned: always
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:container-instance/edge/0c4a0d6e1d2f4e8c9b7a6f5e4d3c2b1a
    managed_instance_id:
      description: SSM managed instance ID of the host (ECS C(ec2InstanceId)).
      returned: always
      type: str
      sample: mi-0123456789abcdef0
    hostname:
      description: Host name SSM reports; null when SSM does not know the instance.
      returned: always
      type: str
      sample: edge-01
    ip_address:
      description: IP address SSM reports.
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
      description: The activation the host registered with.
      returned: always
      type: str
      sample: 5a9e3c70-1f0b-4b8c-9a2b-0d3e4f5a6b7c
    iam_role:
      description: IAM role of the managed instance.
      returned: always
      type: str
      sample: ecsAnywhereRole
    ssm_name:
      description: Name SSM gives the managed instance (the activation's default instance name).
      returned: always
      type: str
      sample: edge-fleet
    status:
      description: ECS status of the container instance.
      returned: always
      type: str
      sample: ACTIVE
    status_reason:
      description: Why the instance has its status, when ECS says.
      returned: always
      type: str
      sample: null
    agent_connected:
      description: Whether the ECS agent is connected.
      returned: always
      type: bool
      sample: true
    agent_version:
      description: Version of the ECS agent.
      returned: always
      type: str
      sample: 1.89.2
    docker_version:
      description: Docker version the ECS agent reports.
      returned: always
      type: str
      sample: DockerVersion 20.10.24
    running_tasks_count:
      description: Tasks in the RUNNING state.
      returned: always
      type: int
      sample: 1
    pending_tasks_count:
      description: Tasks in the PENDING state.
      returned: always
      type: int
      sample: 0
    registered_at:
      description: When the container instance registered.
      returned: always
      type: str
      sample: "2026-11-27T00:20:00+00:00"
    attributes:
      description: The instance's attributes, name to value (null for capability flags).
      returned: always
      type: dict
      sample: {"ecs.capability.external": null, "ecs.os-type": "linux"}
cluster_arn:
  description: ARN of the cluster.
  returned: always
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:cluster/edge
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import container_instances
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        status=dict(type="list", elements="str",
                    choices=["ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"]),
        container_instance_arns=dict(type="list", elements="str"),
        managed_instance_ids=dict(type="list", elements="str"),
        hostnames=dict(type="list", elements="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    ecs = aws_client(module, "ecs")
    ssm = aws_client(module, "ssm")
    with module_errors(module, f"Failed to list the container instances of cluster {params['cluster']}"):
        cluster = ecs_api.require_cluster(ecs, params["cluster"], module.region)
        entries = container_instances.gather(ecs, ssm, cluster["clusterName"], statuses=params["status"])
    entries = container_instances.filter_listing(
        entries,
        container_instance_arns=params["container_instance_arns"],
        managed_instance_ids=params["managed_instance_ids"],
        hostnames=params["hostnames"],
    )
    module.exit_json(changed=False, container_instances=entries, cluster_arn=cluster["clusterArn"])


if __name__ == "__main__":
    main()
