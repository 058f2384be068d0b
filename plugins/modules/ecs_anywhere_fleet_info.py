#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_anywhere_fleet_info
version_added: 0.2.0
short_description: Health report of an ECS Anywhere fleet - disconnected agents, lost pings, version drift, orphans
description:
  - Reads the hybrid managed instances of SSM and the container instances of the given ECS clusters (the same
    join as the inventory plugin C(edgeops.ecs_anywhere.ecs_anywhere)) and reports, per cluster -
    container instances whose ECS agent is disconnected; managed instances whose SSM ping status is
    C(ConnectionLost) or C(Inactive); agent versions that differ from the pinned ones; and, when
    O(expected_hosts) is given, instances registered in ECS or SSM that are not expected (orphans, with what
    they cost a month) and expected hosts that are registered in none of the clusters.
  - Returns a human-readable RV(summary) and the machine-readable RV(report). Read-only; never fails
    because the fleet is unhealthy (RV(healthy) says so; playbook C(playbooks/health.yml) can fail on it).
  - Managed instances in none of the clusters are considered only when one of O(activation_ids), O(tags) or
    O(ssm_names) scopes SSM to this fleet - in a shared account the other managed instances belong to
    someone else.
author:
  - edgeops platform team (@edgeops)
options:
  clusters:
    description: ECS clusters (names or ARNs) of the fleet. Each must exist.
    type: list
    elements: str
    required: true
  activation_ids:
    description: Only managed instances registered with one of these SSM activations.
    type: list
    elements: str
  tags:
    description:
      - Only managed instances with all these SSM tags (a value may be a list - any of them - or null - any value).
    type: dict
  ssm_names:
    description:
      - Only managed instances whose SSM name (the activation's default instance name) matches one of these
        shell-style patterns, for example V(ecs-anywhere-edge-*) for the hosts role
        edgeops.ecs_anywhere.ssm_activation registered for cluster C(edge) (its default activation names).
    type: list
    elements: str
  expected_hosts:
    description:
      - The hosts that should be registered - inventory host names (matched case-insensitively with the SSM computer
        name, short names with its first label) or C(mi-) ids. Typically C(groups['ecs_anywhere_edge']).
      - When omitted, orphans and unregistered hosts are not checked.
    type: list
    elements: str
  ssm_agent_version:
    description:
      - The pinned SSM agent version (the role's C(ecs_anywhere_host_ssm_agent_version)), for example V(3.3.1957.0).
      - Omitted - the SSM agent version is not checked.
    type: str
  ecs_init_version:
    description:
      - The pinned ecs-init package version (the role's C(ecs_anywhere_host_ecs_init_version)), for example
        V(1.89.2-1); the ECS agent must report the version without the package release (V(1.89.2)).
      - Omitted - the ECS agent version is not checked.
    type: str
  hourly_cost:
    description:
      - USD per hour an instance registered in ECS Anywhere costs (the list price; SSM standard-tier managed
        instances cost nothing). Orphans' monthly cost is this times 730 hours.
    type: float
    default: 0.01025
notes:
  - Read-only; supports check mode.
  - IAM permissions - C(ssm:DescribeInstanceInformation), C(ecs:DescribeClusters), C(ecs:ListContainerInstances),
    C(ecs:DescribeContainerInstances).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Health of the edge fleet against the inventory and the pinned agent versions
  edgeops.ecs_anywhere.ecs_anywhere_fleet_info:
    clusters: [edge]
    ssm_names: ["ecs-anywhere-edge-*"]
    expected_hosts: "{{ groups['ecs_anywhere_edge'] }}"
    ssm_agent_version: "{{ ecs_anywhere_host_ssm_agent_version }}"
    ecs_init_version: "{{ ecs_anywhere_host_ecs_init_version }}"
  register: fleet

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ fleet.summary }}"

- name: Fail when anything is unhealthy
  ansible.builtin.assert:
    that: fleet.healthy
    fail_msg: "{{ fleet.summary | join('\n') }}"
"""

RETURN = r"""
healthy:
  description: True when nothing below was found (no disconnected agent, lost ping, drift, orphan or unregistered host).
  returned: always
  type: bool
  sample: false
summary:
  description: The report as lines to read; the first line sums it up.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      fleet UNHEALTHY: 4 hosts; 1 ECS agent(s) disconnected, 1 SSM ping lost, 0 version drift(s),
      1 orphan(s) ($7.48/month), 0 inventory host(s) not registered
    - "cluster edge: 3 container instance(s), 3 managed instance(s)"
    - "  ECS agent disconnected: edge-2 (mi-0123456789abcdef0, ACTIVE)"
report:
  description: The machine-readable report (also what C(playbooks/health.yml) writes to its JSON file).
  returned: always
  type: dict
  contains:
    healthy:
      description: Same as RV(healthy).
      type: bool
      returned: always
    counts:
      description: Number of hosts and of findings of each kind.
      type: dict
      returned: always
      sample: {"hosts": 4, "agent_disconnected": 1, "ping_lost": 1, "version_drift": 0, "orphans": 1, "not_registered": 0}
    clusters:
      description:
        - Per cluster name - C(container_instances) and C(managed_instances) (counts), and the lists
          C(agent_disconnected), C(ping_lost), C(version_drift), C(orphans), plus C(orphan_monthly_cost).
        - Each finding names C(host), C(managed_instance_id), C(cluster), C(container_instance_arn); drift adds
          C(component) (C(amazon-ssm-agent) or C(ecs-agent)), C(running), C(pinned), C(relation) (C(older) or
          C(newer)); orphans add C(registered_in) (C(ecs), C(ssm)) and C(monthly_cost).
      type: dict
      returned: always
    unclustered:
      description: The same for managed instances registered in none of the clusters.
      type: dict
      returned: always
    not_registered:
      description: Expected hosts registered in none of the clusters, with C(host) and C(reason).
      type: list
      elements: dict
      returned: always
    orphan_monthly_cost:
      description: USD a month the orphans registered in ECS cost.
      type: float
      returned: always
      sample: 7.48
    hourly_cost:
      description: The O(hourly_cost) used.
      type: float
      returned: always
    pinned:
      description: C(ssm_agent_version), C(ecs_init_version) and the C(ecs_agent_version) derived from it.
      type: dict
      returned: always
    orphan_check:
      description: Whether orphans and unregistered hosts were checked (O(expected_hosts) given).
      type: bool
      returned: always
    summary:
      description: Same as RV(summary).
      type: list
      elements: str
      returned: always
hosts:
  description: The joined records the report was made from (the inventory plugin's host variables).
  returned: always
  type: list
  elements: dict
  sample:
    - managed_instance_id: mi-0123456789abcdef0
      computer_name: edge-1
      ping_status: Online
      cluster: edge
      ecs_status: ACTIVE
      agent_connected: true
      ssm_registered: true
      ecs_registered: true
warnings_found:
  description: Oddities met while joining (a managed instance live in two clusters).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import fleet
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        clusters=dict(type="list", elements="str", required=True),
        activation_ids=dict(type="list", elements="str"),
        tags=dict(type="dict"),
        ssm_names=dict(type="list", elements="str"),
        expected_hosts=dict(type="list", elements="str"),
        ssm_agent_version=dict(type="str"),
        ecs_init_version=dict(type="str"),
        hourly_cost=dict(type="float", default=fleet.ECS_ANYWHERE_HOURLY_COST),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not params["clusters"]:
        module.fail_json(msg="clusters is empty: name the ECS cluster(s) of the fleet, e.g. clusters: [edge].")
    scoped = bool(params["activation_ids"] or params["tags"] or params["ssm_names"])
    ecs = aws_client(module, "ecs")
    ssm = aws_client(module, "ssm")
    with module_errors(module, "Failed to read the fleet's managed and container instances"):
        records, warnings = fleet.collect(
            ecs, ssm, params["clusters"], activation_ids=params["activation_ids"], tags=params["tags"],
            ssm_names=params["ssm_names"], region=module.region,
        )
    if not scoped:
        # Unscoped SSM: only the managed instances of the clusters are this fleet's.
        records = [r for r in records if r["cluster"]]
    for warning in warnings:
        module.warn(warning)
    report = fleet.health_report(
        records, params["clusters"], expected_hosts=params["expected_hosts"],
        ssm_agent_version=params["ssm_agent_version"], ecs_init_version=params["ecs_init_version"],
        hourly_cost=params["hourly_cost"],
    )
    module.exit_json(changed=False, healthy=report["healthy"], summary=report["summary"], report=report,
                     hosts=records, warnings_found=warnings)


if __name__ == "__main__":
    main()
