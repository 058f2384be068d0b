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
    call per restart group: every directory and file it manages, compared with the host (content, owner,
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
notes:
  - Supports check mode and diff mode.
  - The host role calls it once per restart group (the ECS agent's settings, the SSM agent's, the
    proxy drop-ins), so that a change restarts only the services that read it.
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
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import host_config  # noqa: E402

_ATTRIBUTES = dict(owner=dict(type="str"), group=dict(type="str"), mode=dict(type="str"))


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
        ),
        supports_check_mode=True,
    )

    def move(src, dest):
        module.atomic_move(src, dest)

    try:
        changes, diffs = host_config.converge(module.params["directories"], module.params["files"],
                                              check_mode=module.check_mode, move=move)
    except (host_config.HostConfigError, OSError) as e:
        module.fail_json(msg="Could not put the agents' configuration in place: %s" % e)
    result = dict(changed=bool(changes), changes=changes)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
