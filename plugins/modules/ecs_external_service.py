#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_external_service
version_added: 0.1.0
short_description: Create, update or delete ECS services with launch type EXTERNAL
description:
  - Manages an ECS service whose tasks run on ECS Anywhere external instances
    (launch type C(EXTERNAL)), which C(community.aws.ecs_service) cannot create.
  - Creates the service, or updates the task definition, desired count, deployment
    configuration and placement of an existing one; options left unset are not changed.
  - With O(wait), waits for a steady state - every desired task C(RUNNING), a single
    deployment whose rollout completed - and on timeout fails with the service's recent
    events. For a V(DAEMON) service the desired count is the number of C(ACTIVE) container
    instances (ECS maintains it).
  - While it waits, it reads the service's tasks that stopped since the change (C(ListTasks
    desiredStatus=STOPPED) and C(DescribeTasks)). Once 3 of them failed to start on the same
    container instance (for example C(CannotStartContainerError ... address already in use)), it
    fails at once naming the instance (its managed instance id and hostname), the stopped reason
    and a fix, instead of waiting out O(wait_timeout).
  - O(state=absent) scales the service to 0 and deletes it.
author:
  - edgeops platform team (@edgeops)
options:
  name:
    description:
      - Name of the service.
    type: str
    required: true
    aliases: [service]
  cluster:
    description:
      - Name or ARN of the ECS cluster.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the service; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description:
      - Task definition to run - C(family) (its latest C(ACTIVE) revision), C(family:revision)
        or an ARN. It must be compatible with C(EXTERNAL)
        (see M(edgeops.ecs_anywhere.ecs_external_taskdefinition)).
      - Required with O(state=present).
    type: str
  desired_count:
    description:
      - Number of tasks to keep running. Defaults to 1 when the service is created; left unset,
        an existing service keeps its count.
      - Refused for a V(DAEMON) service (one task per C(ACTIVE) instance), before anything changes.
    type: int
  scheduling_strategy:
    description:
      - V(REPLICA) keeps O(desired_count) tasks; V(DAEMON) runs one task on every C(ACTIVE) container
        instance of the cluster (that meets O(placement_constraints)); instances registered later get
        one, draining or deregistered ones lose theirs.
      - ECS cannot change it once the service exists. When it differs from the existing service's,
        the module fails before changing anything and says how to migrate (keep the current strategy,
        or delete the service with O(state=absent) and re-create it).
      - Left unset, an existing service keeps its strategy; V(REPLICA) when creating.
      - V(DAEMON) refuses O(desired_count), a non-empty O(placement_strategy) and a
        O(deployment_configuration.maximum_percent) other than 100 (what AWS documents for daemon
        services; their default minimum healthy percent is 0).
    type: str
    choices: [REPLICA, DAEMON]
  deployment_configuration:
    description:
      - How deployments replace tasks. Sub-options left unset are not changed.
    type: dict
    suboptions:
      maximum_percent:
        description: Upper limit of running tasks during a deployment, in percent of O(desired_count).
        type: int
      minimum_healthy_percent:
        description: Lower limit of running tasks during a deployment, in percent of O(desired_count).
        type: int
      deployment_circuit_breaker:
        description: Stop (and optionally roll back) a deployment that cannot reach a steady state.
        type: dict
        suboptions:
          enable:
            description: Whether the circuit breaker is on.
            type: bool
            required: true
          rollback:
            description: Whether a failed deployment rolls back.
            type: bool
            required: true
  placement_constraints:
    description:
      - Task placement constraints; an empty list removes them.
    type: list
    elements: dict
    suboptions:
      type:
        description: Constraint type.
        type: str
        required: true
        choices: [distinctInstance, memberOf]
      expression:
        description: Cluster query language expression (with V(memberOf)), for example C(attribute:role == edge).
        type: str
  placement_strategy:
    description:
      - Task placement strategy; an empty list removes it. Not supported with V(DAEMON).
    type: list
    elements: dict
    suboptions:
      type:
        description: Strategy type.
        type: str
        required: true
        choices: [random, spread, binpack]
      field:
        description: Field the strategy applies to, for example C(instanceId) or C(memory).
        type: str
  force_new_deployment:
    description:
      - Start a new deployment even when nothing changed (for example to pull a moved image tag).
        Always reports changed.
    type: bool
    default: false
notes:
  - Supports check mode (a predicted service has no ARN when it does not exist yet) and C(--diff).
  - O(wait) with O(state=present) waits for a steady state; with O(state=absent) until the
    service is C(INACTIVE) (its tasks stopped).
extends_documentation_fragment:
  - edgeops.ecs_anywhere.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run nginx on two edge hosts, one task per host
  edgeops.ecs_anywhere.ecs_external_service:
    name: nginx
    cluster: edge
    task_definition: nginx
    desired_count: 2
    deployment_configuration:
      maximum_percent: 100
      minimum_healthy_percent: 50
    placement_constraints:
      - type: distinctInstance
    wait_timeout: 300
  register: nginx_service

- name: Run an agent-like service on every ACTIVE external instance (new instances get one too)
  edgeops.ecs_anywhere.ecs_external_service:
    name: node-exporter
    cluster: edge
    task_definition: node-exporter
    scheduling_strategy: DAEMON
    deployment_configuration:
      maximum_percent: 100
      minimum_healthy_percent: 0

- name: Delete the service
  edgeops.ecs_anywhere.ecs_external_service:
    name: nginx
    cluster: edge
    state: absent
"""

RETURN = r"""
service:
  description:
    - The service after the task (predicted in check mode), keys snake_cased; empty when
      it does not exist. C(events) holds the 10 most recent events.
  returned: always
  type: dict
  contains:
    service_arn:
      description: ARN of the service (absent when predicted for a new service).
      returned: when the service exists
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:service/edge/nginx
    service_name:
      description: Name of the service.
      returned: when the service exists or is predicted
      type: str
      sample: nginx
    cluster_arn:
      description: ARN of the cluster.
      returned: when the service exists or is predicted
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:cluster/edge
    status:
      description: Status of the service (C(ACTIVE), C(DRAINING), C(INACTIVE)).
      returned: when the service exists or is predicted
      type: str
      sample: ACTIVE
    launch_type:
      description: Launch type, always C(EXTERNAL).
      returned: when the service exists or is predicted
      type: str
      sample: EXTERNAL
    task_definition:
      description: ARN of the task definition the service runs.
      returned: when the service exists or is predicted
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:task-definition/nginx:3
    desired_count:
      description: Number of tasks the service keeps running.
      returned: when the service exists or is predicted
      type: int
      sample: 2
    running_count:
      description: Tasks in the RUNNING state.
      returned: when the service exists or is predicted
      type: int
      sample: 2
    pending_count:
      description: Tasks in the PENDING state.
      returned: when the service exists or is predicted
      type: int
      sample: 0
    scheduling_strategy:
      description: C(REPLICA) or C(DAEMON).
      returned: when the service exists or is predicted
      type: str
      sample: REPLICA
    deployment_configuration:
      description: Deployment configuration.
      returned: when the service exists or set
      type: dict
      sample: {"maximum_percent": 100, "minimum_healthy_percent": 50}
    placement_constraints:
      description: Placement constraints.
      returned: when the service exists or set
      type: list
      elements: dict
      sample: [{"type": "distinctInstance"}]
    placement_strategy:
      description: Placement strategy.
      returned: when the service exists or set
      type: list
      elements: dict
      sample: []
    deployments:
      description: Deployments of the service (one when steady).
      returned: when the service exists or is predicted
      type: list
      elements: dict
      sample: [{"status": "PRIMARY", "rollout_state": "COMPLETED", "running_count": 2, "desired_count": 2}]
    events:
      description: The 10 most recent service events.
      returned: when the service exists or is predicted
      type: list
      elements: dict
      sample: [{"message": "(service nginx) has reached a steady state."}]
start_failures:
  description:
    - When the wait failed early because tasks keep failing to start (in the failure result), one
      entry per container instance with 3 or more such tasks since the change.
  returned: on repeated task start failures
  type: list
  elements: dict
  contains:
    container_instance_arn:
      description: The container instance.
      type: str
    managed_instance_id:
      description: Its SSM managed instance id (C(mi-...)).
      type: str
    hostname:
      description: The host's name as SSM knows it (null when SSM could not be asked).
      type: str
    failed_starts:
      description: Tasks that stopped before running there since the change.
      type: int
    stop_code:
      description: The last one's stop code, such as C(TaskFailedToStart).
      type: str
    stopped_reason:
      description: The last one's stopped reason.
      type: str
    container_reasons:
      description: The last one's container reasons, by container name.
      type: dict
    task_arns:
      description: The stopped tasks.
      type: list
      elements: str
  sample:
    - container_instance_arn: arn:aws:ecs:eu-west-1:123456789012:container-instance/edge/0f3c
      managed_instance_id: mi-0123456789abcdef0
      hostname: edge-17
      failed_starts: 3
      stop_code: TaskFailedToStart
      stopped_reason: "CannotStartContainerError: Error response from daemon: ... address already in use"
      container_reasons: {"nginx": "CannotStartContainerError: ... address already in use"}
      task_arns: ["arn:aws:ecs:eu-west-1:123456789012:task/edge/5b1d"]
events:
  description: The recent events as text, when a wait timed out (in the failure result).
  returned: on wait timeout
  type: list
  elements: str
  sample: ["2026-11-27T00:40:00+00:00 (service nginx) was unable to place a task..."]
"""

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ssm as ssm_api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import workloads
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import aws_client
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import exit_with_diff
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import module_errors


def _clean(items):
    """Drop unset sub-options from a list of dicts."""
    if items is None:
        return None
    return [{k: v for k, v in item.items() if v is not None} for item in items]


def _deployment_configuration(value):
    if not value:
        return None
    value = {k: v for k, v in value.items() if v is not None}
    return snake_dict_to_camel_dict(value) or None


def _hostnames(module):
    """managed instance ids -> hostnames (SSM ComputerName), for failure messages."""
    def describe(instance_ids):
        client = aws_client(module, "ssm")
        return {i["InstanceId"]: i.get("ComputerName") for i in ssm_api.describe_instance_information(client, instance_ids)}
    return describe


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["service"]),
        cluster=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        scheduling_strategy=dict(type="str", choices=["REPLICA", "DAEMON"]),
        deployment_configuration=dict(type="dict", options=dict(
            maximum_percent=dict(type="int"),
            minimum_healthy_percent=dict(type="int"),
            deployment_circuit_breaker=dict(type="dict", options=dict(
                enable=dict(type="bool", required=True),
                rollback=dict(type="bool", required=True),
            )),
        )),
        placement_constraints=dict(type="list", elements="dict", options=dict(
            type=dict(type="str", required=True, choices=["distinctInstance", "memberOf"]),
            expression=dict(type="str"),
        )),
        placement_strategy=dict(type="list", elements="dict", options=dict(
            type=dict(type="str", required=True, choices=["random", "spread", "binpack"]),
            field=dict(type="str"),
        )),
        force_new_deployment=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["task_definition"])],
        supports_check_mode=True,
    )
    params = module.params
    if params["desired_count"] is not None and params["desired_count"] < 0:
        module.fail_json(msg="desired_count must be 0 or more.")
    client = aws_client(module, "ecs")
    with module_errors(module, f"ECS call failed for service {params['name']} in cluster {params['cluster']}"):
        if params["state"] == "absent":
            changed, service, diff = workloads.ensure_service_absent(
                client, params["cluster"], params["name"], wait=params["wait"],
                wait_timeout=params["wait_timeout"], check_mode=module.check_mode,
            )
        else:
            baseline = None
            if params["wait"] and not module.check_mode:
                baseline = workloads.stopped_task_arns(client, params["cluster"], params["name"])
            task_definition = workloads.resolve_task_definition(
                client, params["task_definition"], check_mode=module.check_mode, warn=module.warn
            )
            changed, service, diff = workloads.ensure_service_present(
                client, params["cluster"], params["name"], task_definition,
                desired_count=params["desired_count"],
                deployment_configuration=_deployment_configuration(params["deployment_configuration"]),
                placement_constraints=_clean(params["placement_constraints"]),
                placement_strategy=_clean(params["placement_strategy"]),
                scheduling_strategy=params["scheduling_strategy"],
                force_new_deployment=params["force_new_deployment"],
                check_mode=module.check_mode,
            )
            if params["wait"] and not module.check_mode:
                service = workloads.wait_service_steady(
                    client, params["cluster"], params["name"], params["wait_timeout"],
                    stopped_baseline=baseline, describe_hosts=_hostnames(module),
                )
    result = dict(changed=changed, service=workloads.service_result(service))
    exit_with_diff(module, diff, **result)


if __name__ == "__main__":
    main()
