# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Jinja tests aws_region and ecs_name: the one pattern each that roles and playbooks check."""

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.test import aws_region, ecs_name


@pytest.mark.parametrize("value", ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1", "cn-north-1",
                                   "il-central-1"])
def test_regions(value):
    assert aws_region.TestModule().tests()["aws_region"](value) is True


@pytest.mark.parametrize("value", ["", "us-east", "useast1", "US-EAST-1", "us-east-1 ", "us-east-1\n", "x-east-1",
                                   "us_east_1", None, 1, ["us-east-1"]])
def test_not_regions(value):
    assert aws_region.aws_region(value) is False


@pytest.mark.parametrize("value,ok", [("default", True), ("edge_fleet-01", True), ("a" * 255, True),
                                      ("a" * 256, False), ("", False), ("with space", False), ("dots.no", False),
                                      ("trailing\n", False), (None, False), (7, False)])
def test_ecs_names(value, ok):
    assert ecs_name.TestModule().tests()["ecs_name"](value) is ok
