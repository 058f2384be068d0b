# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_plan
author: edgeops platform team (@edgeops)
version_added: 0.9.0
short_description: What the host role must install and whether the host registers, from its probe
description:
  - Given the result of M(edgeops.ecs_anywhere.ecs_anywhere_host_info) for a host, the pinned agent
    versions and the Docker packages the install source wants, says what the stages of
    P(edgeops.ecs_anywhere.ecs_anywhere_host#role) that install and register must do there. The one
    place these are decided (module_utils C(host_state.plan)); the configuration and the services are
    compared and put right by the stages themselves on every run.
options:
  _input:
    description: The probe (the registered result of M(edgeops.ecs_anywhere.ecs_anywhere_host_info)).
    type: dict
    required: true
  pins:
    description: Agent package name -> pinned version (an installed C(3.3.1957.0-1) satisfies C(3.3.1957.0)).
    type: dict
    required: true
  docker_packages:
    description: The Docker packages the install source wants (empty for C(none)).
    type: list
    elements: str
    default: []
  reregister:
    description: Consent to register a host that is registered elsewhere again (C(ecs_anywhere_host_reregister)).
    type: bool
    default: false
  forgotten:
    description: SSM no longer knows the host's managed instance (C(ssm_activation_forgotten)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Decide what this host needs
  ansible.builtin.set_fact:
    host_plan: >-
      {{ probe | edgeops.ecs_anywhere.host_plan({'amazon-ssm-agent': '3.3.1957.0', 'amazon-ecs-init': '1.89.0-1'},
                                                ['docker.io']) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    registration:
      description: The probe's registration state (C(needs_registration) for a host SSM forgot).
      type: str
    reasons:
      description: Why, in words.
      type: list
      elements: str
    register:
      description: Whether the host registers in this run.
      type: bool
    refuse:
      description: Whether the host is registered elsewhere and no re-registration was asked (nothing may change).
      type: bool
    clear_first:
      description: Whether state of an earlier registration must be cleared before registering.
      type: bool
    installed:
      description: Installed packages and their versions.
      type: dict
    packages_behind:
      description: Agent packages whose installed version does not satisfy the pin.
      type: list
      elements: str
    docker_missing:
      description: Docker packages to install.
      type: list
      elements: str
    leftovers:
      description: What an interrupted run of the role left on the host.
      type: list
      elements: str
    install:
      description: Whether anything must be installed or cleaned up (any of the three lists).
      type: bool
"""

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.host_state import plan


def host_plan(state, pins, docker_packages=None, reregister=False, forgotten=False):
    """host_state.plan() as a filter."""
    return plan(state, dict(pins), list(docker_packages or []), reregister=bool(reregister), forgotten=bool(forgotten))


class FilterModule:
    def filters(self):
        return {"host_plan": host_plan}
