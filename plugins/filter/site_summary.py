# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: site_summary
author: edgeops platform team (@edgeops)
version_added: 0.9.0
short_description: site.yml's closing report, one line per edge host and one for the service
description:
  - Given the edge group's host names and their host variables, tells each host's outcome of a
    C(site.yml) run (C(ecs_anywhere_site_failure), C(ecs_anywhere_host_container_instance_arn)) and
    the service's, and which hosts did not make it.
  - "A host is: C(FAILED) with the reason it recorded; C(registered) with its container instance
    ARN; C(FAILED: unreachable) when it was in the run but never got as far as its first task; in
    the run but not registered (C(would register) in check mode); or not in this run (C(--limit))."
options:
  _input:
    description: The edge group's host names, in inventory order.
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars) (or a dict of host name to its variables).
    type: raw
    required: true
  in_run:
    description: The host names this run covers (its C(--limit)).
    type: list
    elements: str
    required: true
  check_mode:
    description: Whether the run is in check mode.
    type: bool
    default: false
  service_arn:
    description: The service's ARN, when its step ran.
    type: str
    default: ""
  service_failure:
    description: Why the service step failed, when it did.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Report each edge host's outcome
  ansible.builtin.debug:
    msg: "{{ (groups['ecs_anywhere_edge'] | edgeops.ecs_anywhere.site_summary(hostvars, ansible_play_hosts_all)).lines }}"
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    lines:
      description: One line per edge host, then one for the service.
      type: list
      elements: str
    problems:
      description: The hosts that did not make it, as C(host (why)), in inventory order.
      type: list
      elements: str
    message:
      description: Why the run fails (empty when every host in the run and the service made it).
      type: str
"""

from jinja2 import Undefined

FAILURE = "ecs_anywhere_site_failure"
ARN = "ecs_anywhere_host_container_instance_arn"
UNREACHED = "unreachable, or stopped before its first task"


def _get(hostvars, host, name):
    """A host's variable; None when it is not defined."""
    try:
        value = hostvars[host][name]
    except KeyError:
        return None
    return None if isinstance(value, Undefined) else value


def _one_line(text):
    return " ".join(str(text).split())


def site_summary(hosts, hostvars, in_run, check_mode=False, service_arn="", service_failure=""):
    """The closing report of site.yml (see DOCUMENTATION)."""
    in_run = set(in_run or [])
    lines, problems = [], []
    for host in hosts or []:
        failure, arn = _get(hostvars, host, FAILURE), _get(hostvars, host, ARN)
        if failure is not None:
            lines.append("%s: FAILED: %s" % (host, _one_line(failure)))
            problems.append("%s (%s)" % (host, _one_line(failure)))
        elif arn:
            lines.append("%s: registered: %s" % (host, arn))
        elif host in in_run and arn is None:
            lines.append("%s: FAILED: %s (see above)" % (host, UNREACHED))
            problems.append("%s (%s)" % (host, UNREACHED))
        elif host in in_run:
            lines.append("%s: %s" % (host, "would register (check mode)" if check_mode else "not registered"))
        else:
            lines.append("%s: not in this run (--limit)" % host)
    if service_failure:
        lines.append("nginx service: FAILED: %s" % _one_line(service_failure))
    else:
        planned = "would be created or updated (check mode)" if check_mode else "not run"
        lines.append("nginx service: %s" % (service_arn or planned))
    message = ""
    if problems:
        message = ("%d edge host(s) did not make it: %s; fix them and re-run with --limit <those hosts>,localhost."
                   % (len(problems), "; ".join(problems)))
    if service_failure:
        message = (message + " " if message else "") + "The nginx service step failed: %s" % _one_line(service_failure)
    return {"lines": lines, "problems": problems, "message": message}


class FilterModule:
    def filters(self):
        return {"site_summary": site_summary}
