# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""site_summary: every outcome a host of site.yml can have, and the service's."""

from __future__ import annotations

from jinja2 import Undefined

from ansible_collections.edgeops.ecs_anywhere.plugins.filter.site_summary import site_summary

ARN = "arn:aws:ecs:us-east-1:123456789012:container-instance/sandbox/0abc"


def test_every_outcome_in_inventory_order():
    hostvars = {
        "ok": {"ecs_anywhere_host_container_instance_arn": ARN},
        "broken": {"ecs_anywhere_site_failure": "Preflight | Assert:\n port 8080 is taken",
                   "ecs_anywhere_host_container_instance_arn": ARN},
        "gone": {},
        "planned": {"ecs_anywhere_host_container_instance_arn": ""},
        "outside": {},
    }
    r = site_summary(["ok", "broken", "gone", "planned", "outside"], hostvars, ["ok", "broken", "gone", "planned"],
                     service_arn="arn:svc")
    assert r["lines"] == [
        "ok: registered: %s" % ARN,
        "broken: FAILED: Preflight | Assert: port 8080 is taken",
        "gone: FAILED: unreachable, or stopped before its first task (see above)",
        "planned: not registered",
        "outside: not in this run (--limit)",
        "nginx service: arn:svc",
    ]
    assert r["problems"] == ["broken (Preflight | Assert: port 8080 is taken)",
                             "gone (unreachable, or stopped before its first task)"]
    assert r["message"].startswith("2 edge host(s) did not make it: broken (")
    assert r["message"].endswith("re-run with --limit <those hosts>,localhost.")


def test_check_mode_and_a_failed_service():
    hostvars = {"new": {"ecs_anywhere_host_container_instance_arn": ""}}
    r = site_summary(["new"], hostvars, ["new"], check_mode=True)
    assert r["lines"] == ["new: would register (check mode)", "nginx service: would be created or updated (check mode)"]
    assert r["message"] == ""
    r = site_summary(["new"], hostvars, ["new"], service_failure="The nginx service: timed out")
    assert r["lines"][-1] == "nginx service: FAILED: The nginx service: timed out"
    assert r["message"] == "The nginx service step failed: The nginx service: timed out"


def test_an_undefined_value_counts_as_not_set_and_no_hosts_is_fine():
    r = site_summary(["h"], {"h": {"ecs_anywhere_host_container_instance_arn": Undefined()}}, ["h"])
    assert r["problems"] == ["h (unreachable, or stopped before its first task)"]
    assert site_summary([], {}, [], service_arn="")["lines"] == ["nginx service: not run"]
