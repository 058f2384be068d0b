#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_cluster
version_added: 0.1.0
short_description: Manage an ECS cluster, its Container Insights setting and its tags
description:
  - Creates an ECS cluster (with its Container Insights setting and tags in the same call),
    or brings an existing cluster's Container Insights setting and tags in line.
  - Idempotent - C(UpdateClusterSettings) is called only when the setting differs, C(TagResource)
    and C(UntagResource) only for the tags that differ.
  - O(state=absent) deletes the cluster. ECS refuses to delete a cluster that still has registered
    container instances, active services or running tasks; the module then fails and says what
    to remove first (also in check mode).
  - C(community.aws.ecs_cluster) cannot set the cluster's settings; this module can.
author:
  - edgeops platform team (@edgeops)
options:
  name:
    description:
      - Name of the cluster (1 to 255 letters, digits, hyphens and underscores).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the cluster; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  container_insights:
    description:
      - The cluster's C(containerInsights) setting. V(enhanced) is Container Insights with
        enhanced observability.
      - Unset, an existing cluster's setting is left as it is and a new cluster gets the
        account default.
    type: str
    choices: [enabled, disabled, enhanced]
  tags:
    description:
      - Tags of the cluster. Unset, the tags are left as they are.
    type: dict
  purge_tags:
    description:
      - Remove tags that O(tags) does not list. Only applies when O(tags) is set.
    type: bool
    default: false
notes:
  - Supports check mode (a cluster to be created has C(cluster_arn) null) and C(--diff)
    (C(container_insights) and C(tags) before and after).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The cluster of the edge hosts, Container Insights on
  edgeops.ecs_anywhere.ecs_cluster:
    name: edge
    container_insights: enabled
    tags:
      team: edge
  register: edge_cluster

- name: Delete the cluster (decommission the edge hosts and delete the services first)
  edgeops.ecs_anywhere.ecs_cluster:
    name: edge
    state: absent
"""

RETURN = r"""
cluster:
  description:
    - The cluster after the task (predicted in check mode). With O(state=absent), the deleted
      cluster with C(status=INACTIVE), or empty when there was none.
  returned: always
  type: dict
  contains:
    cluster_arn:
      description: ARN of the cluster; null in check mode when the cluster would be created.
      returned: when a cluster exists or would be created
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:cluster/edge
    cluster_name:
      description: Name of the cluster.
      returned: when a cluster exists or would be created
      type: str
      sample: edge
    status:
      description: Status of the cluster.
      returned: when a cluster exists or would be created
      type: str
      sample: ACTIVE
    settings:
      description: The cluster's settings, as ECS returns them.
      returned: when a cluster exists or would be created
      type: list
      elements: dict
      sample: [{"name": "containerInsights", "value": "enabled"}]
    container_insights:
      description: Value of the C(containerInsights) setting (null when ECS reports none).
      returned: when a cluster exists or would be created
      type: str
      sample: enabled
    tags:
      description: Tags of the cluster.
      returned: when a cluster exists or would be created
      type: dict
      sample: {"team": "edge"}
    registered_container_instances_count:
      description: Container instances registered (ACTIVE or DRAINING) in the cluster.
      returned: when a cluster exists or would be created
      type: int
      sample: 3
    active_services_count:
      description: Services ACTIVE in the cluster.
      returned: when a cluster exists or would be created
      type: int
      sample: 1
    running_tasks_count:
      description: Tasks RUNNING in the cluster.
      returned: when a cluster exists or would be created
      type: int
      sample: 3
    pending_tasks_count:
      description: Tasks PENDING in the cluster.
      returned: when a cluster exists or would be created
      type: int
      sample: 0
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import clusters
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs as ecs_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import exit_with_diff
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        container_insights=dict(type="str", choices=list(ecs_api.CONTAINER_INSIGHTS_VALUES)),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    client = aws_client(module, "ecs")
    with module_errors(module, f"ECS call failed for cluster {params['name']}"):
        if params["state"] == "absent":
            changed, cluster, diff = clusters.ensure_cluster_absent(
                client, params["name"], check_mode=module.check_mode
            )
        else:
            changed, cluster, diff = clusters.ensure_cluster_present(
                client, params["name"], container_insights=params["container_insights"],
                tags=params["tags"], purge_tags=params["purge_tags"], check_mode=module.check_mode,
            )
    result = dict(changed=changed, cluster=clusters.cluster_result(cluster))
    exit_with_diff(module, diff, **result)


if __name__ == "__main__":
    main()
