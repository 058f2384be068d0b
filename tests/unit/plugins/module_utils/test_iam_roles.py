# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""iam_roles.trusts: the trust policy shapes IAM accepts (a single statement,
strings or lists, wildcards, Deny and other principals)."""

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.iam_roles import trusts

SSM = "ssm.amazonaws.com"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(service=SSM, action="sts:AssumeRole", effect="Allow"):
    return {"Effect": effect, "Principal": {"Service": service}, "Action": action}


@pytest.mark.parametrize("document, ok", [
    (doc(allow()), True),
    ({"Statement": allow()}, True),                                     # one statement, not a list
    (doc(allow(service=["ec2.amazonaws.com", SSM])), True),
    (doc(allow(action=["sts:TagSession", "sts:AssumeRole"])), True),
    (doc(allow(action="sts:*")), True),
    (doc(allow(action="*")), True),
    (doc(allow(effect="Deny")), False),
    (doc(allow(service="ec2.amazonaws.com")), False),
    (doc(allow(action="sts:AssumeRoleWithWebIdentity")), False),
    (doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}), False),   # not a service principal
    (doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}), False),
    (doc("not a statement"), False),
    ({}, False),
    (None, False),
    ("{}", False),
])
def test_trusts(document, ok):
    assert trusts(document, SSM) is ok
