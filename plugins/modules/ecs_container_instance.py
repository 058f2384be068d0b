#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_container_instance
version_added: 0.1.0
short_description: Drain, re-activate or deregister ECS Anywhere external container instances
description:
  - Changes the state of container instances of an ECS cluster, selected by container instance
    ARN, by SSM managed instance ID (C(mi-...)) or by host name (the SSM computer name).
  - O(state=absent) deregisters them from ECS and, with O(deregister_managed_instance), also
    deregisters their SSM managed instances. By default it drains them first - sets them
    C(DRAINING), stops their standalone tasks (service tasks are moved by the ECS scheduler)
    and waits until no task runs - so no task is left orphaned.
  - O(state=draining) sets them C(DRAINING); O(state=active) sets them C(ACTIVE) again.
  - Instances already deregistered (C(INACTIVE) or gone) are reported unchanged, not as errors.
    Selectors that match nothing are not errors either; RV(unmatched) lists them.
  - Fails, before changing anything, when the cluster does not exist or a selected instance
    is registered in another cluster.
  - Calls are batched as the API allows (100 instances a describe, 10 a state change), so
    deregistering N instances costs N deregister calls and about N/10 other calls.
author:
  - edgeops platform team (@edgeops)
options:
  cluster:
    description:
      - Name or ARN of the ECS cluster the instances are registered in.
    type: str
    required: true
  state:
    description:
      - V(absent) deregisters the selected container instances (see O(drain), O(force) and
        O(deregister_managed_instance)).
      - V(draining) sets them C(DRAINING); with O(wait) it waits until they run no task.
        Draining moves only tasks of services; standalone tasks keep running.
      - V(active) sets C(DRAINING) instances C(ACTIVE) again.
    type: str
    required: true
    choices: [absent, draining, active]
  drain:
    description:
      - With O(state=absent), drain the instances before deregistering them - set them
        C(DRAINING), stop their standalone tasks, and wait (up to O(wait_timeout)) until
        no task runs on them.
      - When the wait times out the module fails and deregisters nothing (the instances stay
        C(DRAINING)), unless O(force) is true.
    type: bool
    default: true
  force:
    description:
      - With O(state=absent), deregister instances that still run tasks.
      - With O(drain=false) and O(force=false) the module refuses to deregister an instance
        that runs or starts tasks, and changes nothing.
      - With O(drain=true) and O(force=true) a drain that times out is followed by a forced
        deregistration (with a warning) instead of a failure.
      - Tasks of a force-deregistered instance keep running on the host, unmanaged by ECS.
    type: bool
    default: false
  deregister_managed_instance:
    description:
      - With O(state=absent), also deregister the SSM managed instance of each selected
        instance (only those selected, never others).
    type: bool
    default: true
notes:
  - Supports check mode with a realistic prediction of RV(container_instances), and C(--diff).
  - At least one of O(container_instance_arns), O(managed_instance_ids) and O(hostnames)
    must be given; an empty list selects nothing.
  - An ARN in O(container_instance_arns) naming another cluster than O(cluster) is an error.
  - With O(state=absent) a managed instance of O(managed_instance_ids) that has no container
    instance in O(cluster) (and none in another cluster) is still deregistered from SSM when
    O(deregister_managed_instance) is true.
  - O(hostnames) selects all managed instances with that name, including stale registrations
    of a re-installed host.
  - O(wait) with O(state=draining) waits until the instances run no task; with O(state=absent)
    until the deregistered container instances report C(INACTIVE). (Draining before a
    deregistration always waits.)
extends_documentation_fragment:
  - edgeops.ecs_anywhere.instance_selectors
  - edgeops.ecs_anywhere.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Decommission two edge hosts (drain, stop their tasks, deregister ECS and SSM)
  edgeops.ecs_anywhere.ecs_container_instance:
    cluster: edge
    hostnames:
      - edge-01
      - edge-02
    state: absent

- name: Drain an instance for maintenance and wait until its service tasks moved away
  edgeops.ecs_anywhere.ecs_container_instance:
    cluster: edge
    managed_instance_ids:
      - mi-0123456789abcdef0
    state: draining
    wait_timeout: 900

- name: Put it back into service
  edgeops.ecs_anywhere.ecs_container_instance:
    cluster: edge
    managed_instance_ids:
      - mi-0123456789abcdef0
    state: active

- name: Deregister a dead host at once, keeping its SSM registration
  edgeops.ecs_anywhere.ecs_container_instance:
    cluster: edge
    container_instance_arns:
      - arn:aws:ecs:eu-west-1:123456789012:container-instance/edge/0c4a0d6e1d2f4e8c9b7a6f5e4d3c2b1a
    state: absent
    drain: false
    force: true
    deregister_managed_instance: false
"""

RETURN = r"""
container_instances:
  description: One entry per selected instance (matched in ECS, or in SSM only).
  returned: always
  type: list
  elements: dict
  contains:
    container_instance_arn:
      description: ARN of the container instance; null when the host has no container instance in the cluster.
      returned: always
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:container-instance/edge/0c4a0d6e1d2f4e8c9b7a6f5e4d3c2b1a
    managed_instance_id:
      description: The SSM managed instance ID of the host.
      returned: always
      type: str
      sample: mi-0123456789abcdef0
    hostname:
      description: The host name SSM reports; null when SSM does not know the instance.
      returned: always
      type: str
      sample: edge-01
    status_before:
      description: ECS status before the task (C(ACTIVE), C(DRAINING), C(INACTIVE)); null when not registered in the cluster.
      returned: always
      type: str
      sample: ACTIVE
    status_after:
      description: ECS status after the task (predicted in check mode).
      returned: always
      type: str
      sample: INACTIVE
    tasks_stopped:
      description: ARNs of the tasks that were running on the instance and were stopped (by the drain) before it was deregistered.
      returned: always
      type: list
      elements: str
      sample: ["arn:aws:ecs:eu-west-1:123456789012:task/edge/5e1b2c3d4e5f60718293a4b5c6d7e8f9"]
    deregistered:
      description: What this task deregistered.
      returned: always
      type: dict
      contains:
        container_instance:
          description: Whether the ECS container instance was deregistered.
          returned: always
          type: bool
          sample: true
        managed_instance:
          description: Whether the SSM managed instance was deregistered.
          returned: always
          type: bool
          sample: true
    managed_instance_registered_before:
      description: Whether SSM knew the managed instance before the task.
      returned: always
      type: bool
      sample: true
    managed_instance_registered_after:
      description: Whether SSM knows the managed instance after the task.
      returned: always
      type: bool
      sample: false
unmatched:
  description: The selector values that matched no instance (not an error).
  returned: always
  type: dict
  contains:
    container_instance_arns:
      description: Container instance ARNs or IDs not found in the cluster.
      returned: always
      type: list
      elements: str
      sample: []
    managed_instance_ids:
      description: Managed instance IDs found neither in the cluster nor in SSM.
      returned: always
      type: list
      elements: str
      sample: ["mi-00000000000000000"]
    hostnames:
      description: Host names no SSM managed instance reports.
      returned: always
      type: list
      elements: str
      sample: []
matched:
  description: Number of instances the selectors matched.
  returned: always
  type: int
  sample: 2
cluster_arn:
  description: ARN of the cluster.
  returned: always
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:cluster/edge
msg:
  description: A one-line summary, which says when the selectors matched nothing.
  returned: always
  type: str
  sample: 2 container instances selected
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import container_instances
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import exit_with_diff
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors

SELECTORS = ("container_instance_arns", "managed_instance_ids", "hostnames")


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        container_instance_arns=dict(type="list", elements="str"),
        managed_instance_ids=dict(type="list", elements="str"),
        hostnames=dict(type="list", elements="str"),
        state=dict(type="str", required=True, choices=["absent", "draining", "active"]),
        drain=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
        deregister_managed_instance=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_one_of=[SELECTORS],
        supports_check_mode=True,
    )
    params = module.params
    if params["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must be 0 or more seconds.")
    ecs = aws_client(module, "ecs")
    ssm = aws_client(module, "ssm")

    with module_errors(module, f"ECS/SSM call failed for cluster {params['cluster']}"):
        selection = container_instances.select_instances(
            ecs, ssm, params["cluster"], region=module.region,
            **{key: params[key] for key in SELECTORS}
        )
        if params["state"] == "absent":
            changed, results, diff = container_instances.ensure_absent(
                ecs, ssm, selection,
                drain=params["drain"], force=params["force"],
                deregister_managed_instance=params["deregister_managed_instance"],
                wait=params["wait"], wait_timeout=params["wait_timeout"],
                check_mode=module.check_mode, warn=module.warn,
            )
        else:
            changed, results, diff = container_instances.ensure_status(
                ecs, selection, params["state"].upper(),
                wait=params["wait"], wait_timeout=params["wait_timeout"],
                check_mode=module.check_mode,
            )

    if results:
        msg = f"{len(results)} container instance(s) selected"
    else:
        msg = "The selectors matched no container instance and no managed instance: nothing to do"
    result = dict(
        changed=changed,
        container_instances=results,
        unmatched=selection.unmatched,
        matched=len(results),
        cluster_arn=selection.cluster["clusterArn"],
        msg=msg,
    )
    exit_with_diff(module, diff, **result)


if __name__ == "__main__":
    main()
