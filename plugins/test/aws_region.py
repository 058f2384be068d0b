# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_region
author: edgeops platform team (@edgeops)
version_added: 0.2.0
short_description: Whether a value is an AWS region name
description:
  - True for a region name such as C(us-east-1), C(eu-west-3) or C(us-gov-west-1), that is two letters,
    one or more dash-separated words, a number. False for anything else, also for a value that is not a
    string. The modules of the collection use the same pattern.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the region
  ansible.builtin.assert:
    that: ecs_anywhere_region is edgeops.ecs_anywhere.aws_region
    fail_msg: Set ecs_anywhere_region to an AWS region such as us-east-1.
"""

RETURN = r"""
_value:
  description: Whether the value matches.
  type: bool
"""

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.host_state import REGION_RE


def aws_region(value):
    """An AWS region name (REGION_RE of module_utils/host_state.py)."""
    return isinstance(value, str) and REGION_RE.match(value) is not None


class TestModule:
    def tests(self):
        return {"aws_region": aws_region}
