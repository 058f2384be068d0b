# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ecs_name
author: edgeops platform team (@edgeops)
version_added: 0.2.0
short_description: Whether a value is an ECS cluster, service or task definition family name
description:
  - True for 1 to 255 letters, digits, hyphens and underscores (what ECS accepts for a cluster name, a
    service name and a task definition family), false for anything else, also for a value that is not a
    string.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the cluster name
  ansible.builtin.assert:
    that: ecs_anywhere_cluster_name is edgeops.ecs_anywhere.ecs_name
"""

RETURN = r"""
_value:
  description: Whether the value matches.
  type: bool
"""

import re

ECS_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,255}\Z")


def ecs_name(value):
    """An ECS cluster, service or task definition family name."""
    return isinstance(value, str) and ECS_NAME_RE.match(value) is not None


class TestModule:
    def tests(self):
        return {"ecs_name": ecs_name}
