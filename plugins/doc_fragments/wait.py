# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """O(wait) and O(wait_timeout) of the modules that wait for ECS
    (ecs_container_instance, ecs_external_service). A module says in its notes
    what it waits for."""

    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until ECS reports the change complete (the notes say what that is for each O(state)).
      - A wait that does not end within O(wait_timeout) fails the task, saying what ECS still
        reports. The change itself was made; re-running the task is safe.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait, for each wait the module makes.
      - Check mode never waits.
    type: int
    default: 600
"""
