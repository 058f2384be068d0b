#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_anywhere_host_config
version_added: 0.9.0
short_description: Put the ECS Anywhere agents' configuration files and directories in their wanted state, on the host
description:
  - "Runs B(on the edge host) and makes B(no AWS call). The host role's configuration stage in one
    call: every directory and file it manages, compared with the host (content, owner,
    group, mode; existence) and put right where it differs. What decides that nothing is to be done is
    the code that does it, so any drift (a file edited or removed, its owner or mode changed, a directory
    removed) is repaired by the next run."
  - Directories first (created with their parents when missing), then files, each written to a
    temporary file beside it and moved over it (a reader never sees half a file).
  - In check mode nothing is written; the result says what would change. With C(--diff) each
    changed path shows its before and after (a content as a unified diff in which the values of
    settings named like secrets, such as C(ECS_ENGINE_AUTH_DATA), and the credentials of URLs are
    redacted).
author:
  - edgeops platform team (@edgeops)
options:
  directories:
    description: Directories that must exist, with their owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: Its owner (a user name); omitted is not managed.
        type: str
      group:
        description: Its group (a group name); omitted is not managed.
        type: str
      mode:
        description: Its permission bits, an octal string such as C("0755"); omitted is not managed.
        type: str
      label:
        description: A name for what reads it (for example the service to restart), returned in RV(changed_labels) when it changed.
        type: str
  files:
    description: Files and their wanted state.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file. Its directory must exist or be listed in O(directories).
        type: path
        required: true
      state:
        description:
          - C(present) writes O(files[].content) when the file is missing or differs, and sets its attributes.
          - C(absent) removes it.
          - C(attributes) only sets the owner, group and mode of a file another program writes (left
            alone when it does not exist).
        type: str
        choices: [present, absent, attributes]
        default: present
      content:
        description: The content (state C(present)). Not logged.
        type: str
      owner:
        description: Its owner (a user name); omitted is not managed.
        type: str
      group:
        description: Its group (a group name); omitted is not managed.
        type: str
      mode:
        description: Its permission bits, an octal string such as C("0600"); omitted is not managed.
        type: str
      label:
        description: A name for what reads it (for example the service to restart), returned in RV(changed_labels) when it changed.
        type: str
  units:
    description:
      - systemd units enabled and started where they are not, in this order, after the files. A unit that
        does not exist fails, except in check mode (its package may only be about to be installed).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The unit.
        type: str
        required: true
      enabled:
        description: Enable it where it is not (C(systemctl enable)).
        type: bool
        default: true
      started:
        description: Start it where it is not active (C(systemctl start)).
        type: bool
        default: true
      wait_for:
        description: Start the unit only once this file matches this pattern (waited for, up to the timeout).
        type: dict
        suboptions:
          path:
            description: The file.
            type: path
            required: true
          regex:
            description: The pattern (Python C(re.search)).
            type: str
            required: true
          timeout:
            description: Seconds to wait at most.
            type: int
            default: 300
          msg:
            description: The error when it does not come.
            type: str
notes:
  - Supports check mode and diff mode.
  - The host role calls it once for its configuration (its handlers restart only the services whose
    labels changed) and once for its units.
"""

EXAMPLES = r"""
- name: The ECS agent's settings, root's and private
  edgeops.ecs_anywhere.ecs_anywhere_host_config:
    directories:
      - {path: /etc/ecs, owner: root, group: root, mode: "0755"}
    files:
      - path: /etc/ecs/ecs.config
        content: "{{ lookup('ansible.builtin.template', 'ecs.config.j2') }}"
        owner: root
        group: root
        mode: "0600"
      - {path: /var/lib/amazon/ssm/registration, state: attributes, owner: root, group: root, mode: "0600"}
  become: true
  notify: restart ecs
"""

RETURN = r"""
changes:
  description: Each path that differed (or would, in check mode) and what differed.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The path.
      type: str
    what:
      description: What differed, in words (C(created), C(content), C(removed), C(owner nobody -> root), ...).
      type: list
      elements: str
  sample: [{"path": "/etc/ecs/ecs.config", "what": ["owner nobody -> root", "group nogroup -> root"]}]
changed_labels:
  description: The labels of the directories and files that changed, sorted, each once.
  returned: always
  type: list
  elements: str
  sample: [ecs]
units:
  description: Each unit that was (or in check mode would be) enabled or started, and what was done.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "docker", "what": ["enabled (was disabled)"]}]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import host_config  # noqa: E402

_ATTRIBUTES = dict(owner=dict(type="str"), group=dict(type="str"), mode=dict(type="str"), label=dict(type="str"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="dict", default=[],
                             options=dict(path=dict(type="path", required=True), **_ATTRIBUTES)),
            files=dict(type="list", elements="dict", default=[],
                       options=dict(path=dict(type="path", required=True),
                                    state=dict(type="str", default="present", choices=["present", "absent", "attributes"]),
                                    content=dict(type="str", no_log=True),
                                    **_ATTRIBUTES)),
            units=dict(type="list", elements="dict", default=[],
                       options=dict(name=dict(type="str", required=True),
                                    enabled=dict(type="bool", default=True),
                                    started=dict(type="bool", default=True),
                                    wait_for=dict(type="dict", options=dict(
                                        path=dict(type="path", required=True),
                                        regex=dict(type="str", required=True),
                                        timeout=dict(type="int", default=300),
                                        msg=dict(type="str"))))),
        ),
        supports_check_mode=True,
    )

    def move(src, dest):
        module.atomic_move(src, dest)

    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C", "SYSTEMD_PAGER": ""})

    specs = module.params["directories"] + module.params["files"]
    try:
        changes, diffs = host_config.converge(module.params["directories"], module.params["files"],
                                              check_mode=module.check_mode, move=move)
    except (host_config.HostConfigError, OSError) as e:
        module.fail_json(msg="Could not put the agents' configuration in place: %s" % e)
    try:
        units = host_config.converge_units(module.params["units"], run, check_mode=module.check_mode,
                                           wait=host_config.wait_for_file)
    except host_config.HostConfigError as e:
        module.fail_json(msg="Could not enable and start the units: %s" % e, changes=changes)
    result = dict(changed=bool(changes or units), changes=changes, units=units,
                  changed_labels=host_config.changed_labels(changes, specs))
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diffs + [{"prepared": "unit %s: %s\n" % (u["path"], ", ".join(u["what"]))} for u in units]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
