#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_anywhere_host_credentials
version_added: 0.2.0
short_description: Remove the SSM agent's credentials profile from an edge host, keeping every other profile
description:
  - Runs B(on the edge host). On hybrid (ECS Anywhere) instances the SSM agent writes the managed
    instance's role credentials into a shared credentials file (C(/root/.aws/credentials)), profile
    C(default) unless its C(Profile.ShareProfile) setting names another one. This module removes
    that one profile (its section header and every line up to the next section); every other
    profile, comment and line of the file stays byte for byte and the file keeps mode 0600.
  - The file itself is removed only when no profile is left in it (only comments or blank lines).
  - Makes no AWS call. Never returns or shows a key (the diff lists profile names only).
author:
  - edgeops platform team (@edgeops)
options:
  path:
    description: The shared credentials file.
    type: path
    default: /root/.aws/credentials
  profile:
    description: The profile (section name) to remove.
    type: str
    default: default
  state:
    description: Only C(absent).
    type: str
    choices: [absent]
    default: absent
notes:
  - Supports check mode (predicts the same result without writing) and diff mode (profile names).
"""

EXAMPLES = r"""
- name: Remove the SSM agent's instance credentials, keep other teams' profiles
  edgeops.ecs_anywhere.ecs_anywhere_host_credentials:
    profile: "{{ host_state.ssm.share_profile }}"
  become: true
"""

RETURN = r"""
removed:
  description: Whether the profile was (in check mode would be) removed.
  returned: always
  type: bool
file_removed:
  description: Whether the file was (in check mode would be) removed because no profile was left.
  returned: always
  type: bool
remaining_profiles:
  description: Names of the profiles left in the file.
  returned: always
  type: list
  elements: str
  sample: [other-team]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import host_state


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/root/.aws/credentials"),
            profile=dict(type="str", default="default"),
            state=dict(type="str", default="absent", choices=["absent"]),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    profile = module.params["profile"]
    result = dict(changed=False, removed=False, file_removed=False, remaining_profiles=[])

    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        module.exit_json(**result)
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot read %s: %s. Run with become (the file is root's)." % (path, exc), **result)

    before = host_state.ini_sections(text)
    new_text, removed, remaining = host_state.remove_ini_section(text, profile)
    result.update(removed=removed, remaining_profiles=remaining)
    if not removed:
        result["remaining_profiles"] = before
        module.exit_json(**result)
    result["changed"] = True
    result["file_removed"] = not remaining
    if module._diff:
        result["diff"] = {
            "before_header": path, "after_header": path,
            "before": "".join("[%s]\n" % name for name in before),
            "after": "" if not remaining else "".join("[%s]\n" % name for name in remaining),
        }
    if module.check_mode:
        module.exit_json(**result)

    try:
        if not remaining:
            os.unlink(path)
        else:
            fd, tmp = tempfile.mkstemp(prefix=".credentials.", dir=os.path.dirname(path) or ".")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(new_text.encode("utf-8", "surrogateescape"))
                stat = os.stat(path)
                os.chown(tmp, stat.st_uid, stat.st_gid)
                os.rename(tmp, path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot rewrite %s: %s. The profile %s is still in it." % (path, exc, profile), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
