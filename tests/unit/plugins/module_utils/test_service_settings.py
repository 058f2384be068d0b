# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import service_settings as api
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError

TIER = api.ACTIVATION_TIER


class FakeSsmSettings:
    """GetServiceSetting / UpdateServiceSetting / ResetServiceSetting of one region."""

    def __init__(self, value="standard", status="Default"):
        self.setting = {"SettingId": TIER, "SettingValue": value, "Status": status,
                        "ARN": "arn:aws:ssm:us-east-1:123456789012:servicesetting" + TIER}
        self.calls = []

    def get_service_setting(self, SettingId, aws_retry=False):
        self.calls.append(("get", SettingId))
        return {"ServiceSetting": dict(self.setting)}

    def update_service_setting(self, SettingId, SettingValue, aws_retry=False):
        self.calls.append(("update", SettingId, SettingValue))
        self.setting.update(SettingValue=SettingValue, Status="Customized")
        return {}

    def reset_service_setting(self, SettingId, aws_retry=False):
        self.calls.append(("reset", SettingId))
        self.setting.update(SettingValue="standard", Status="Default")
        return {"ServiceSetting": dict(self.setting)}

    def changes(self):
        return [c for c in self.calls if c[0] != "get"]


def test_setting_id_from_id_or_arn():
    assert api.setting_id_of(TIER) == TIER
    assert api.setting_id_of("arn:aws:ssm:eu-west-1:123456789012:servicesetting" + TIER) == TIER
    for bad in ("activation-tier", "arn:aws:ssm:eu-west-1:123456789012:parameter/x", ""):
        with pytest.raises(EcsAnywhereError):
            api.setting_id_of(bad)


def test_set_advanced_then_idempotent():
    client = FakeSsmSettings()
    changed, setting, diff = api.ensure_setting(client, TIER, "advanced")
    assert changed and setting["SettingValue"] == "advanced"
    assert diff == {"before": {"setting_value": "standard"}, "after": {"setting_value": "advanced"}}
    assert client.changes() == [("update", TIER, "advanced")]
    changed, setting, diff = api.ensure_setting(client, TIER, "advanced")
    assert not changed and len(client.changes()) == 1
    assert diff["before"] == diff["after"]


def test_check_mode_predicts_and_changes_nothing():
    client = FakeSsmSettings()
    changed, setting, diff = api.ensure_setting(client, TIER, "advanced", check_mode=True)
    assert changed and setting["SettingValue"] == "advanced" and setting["Status"] == "Customized"
    assert client.changes() == [] and client.setting["SettingValue"] == "standard"
    changed, setting, diff = api.ensure_setting_default(FakeSsmSettings("advanced", "Customized"), TIER, check_mode=True)
    assert changed and setting["Status"] == "Default"


def test_a_value_the_tier_does_not_take_is_refused_before_any_call():
    client = FakeSsmSettings()
    with pytest.raises(EcsAnywhereError, match="standard, advanced"):
        api.ensure_setting(client, TIER, "Advanced")
    assert client.calls == []


def test_reset_only_when_customized():
    client = FakeSsmSettings()
    assert api.ensure_setting_default(client, TIER)[0] is False
    client = FakeSsmSettings("advanced", "Customized")
    changed, setting, diff = api.ensure_setting_default(client, TIER)
    assert changed and setting["SettingValue"] == "standard"
    assert client.changes() == [("reset", TIER)]


def test_view():
    view = api.setting_view({"SettingId": TIER, "SettingValue": "advanced", "Status": "Customized", "ARN": "a"})
    assert view["setting_id"] == TIER and view["setting_value"] == "advanced" and view["status"] == "Customized"
    assert api.setting_view(None) == {}
