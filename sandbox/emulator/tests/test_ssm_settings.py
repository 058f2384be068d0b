"""SSM service settings: the hybrid instance tier (/ssm/managed-instance/activation-tier)."""
from __future__ import annotations

import botocore.exceptions
import pytest

TIER = "/ssm/managed-instance/activation-tier"


def test_activation_tier_defaults_to_standard_and_can_be_changed_and_reset(emu):
    ssm = emu.client("ssm")
    setting = ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]
    assert (setting["SettingValue"], setting["Status"]) == ("standard", "Default")
    assert setting["ARN"] == f"arn:aws:ssm:us-east-1:123456789012:servicesetting{TIER}"

    ssm.update_service_setting(SettingId=setting["ARN"], SettingValue="advanced")
    after = ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]
    assert (after["SettingValue"], after["Status"]) == ("advanced", "Customized")
    # per region
    other = emu.client("ssm", region="eu-west-1").get_service_setting(SettingId=TIER)["ServiceSetting"]
    assert other["SettingValue"] == "standard"

    reset = ssm.reset_service_setting(SettingId=TIER)["ServiceSetting"]
    assert (reset["SettingValue"], reset["Status"]) == ("standard", "Default")


def test_bad_value_and_unknown_setting_are_refused(emu):
    ssm = emu.client("ssm")
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        ssm.update_service_setting(SettingId=TIER, SettingValue="premium")
    assert bad.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as unknown:
        ssm.get_service_setting(SettingId="/ssm/no/such-setting")
    assert unknown.value.response["Error"]["Code"] == "ServiceSettingNotFound"
    assert ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]["SettingValue"] == "standard"
