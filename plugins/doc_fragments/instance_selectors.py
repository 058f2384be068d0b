# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The three ways to select container instances of a cluster
    (ecs_container_instance, ecs_container_instance_info)."""

    DOCUMENTATION = r"""
options:
  container_instance_arns:
    description:
      - Container instances by ARN or by container instance ID.
    type: list
    elements: str
  managed_instance_ids:
    description:
      - Container instances by the SSM managed instance ID of their host (C(mi-...)), which ECS
        reports as the instance's C(ec2InstanceId).
    type: list
    elements: str
  hostnames:
    description:
      - Container instances by the host name SSM reports for their host (C(ComputerName),
        compared case-insensitively; a short name matches the first label of a fully qualified one).
    type: list
    elements: str
notes:
  - When several selectors are given, an instance matching any of them is selected.
"""
