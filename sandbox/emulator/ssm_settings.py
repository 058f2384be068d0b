"""SSM service settings (GetServiceSetting, UpdateServiceSetting,
ResetServiceSetting) per region: the settings the collection uses, with AWS's
defaults. Mixed into SsmBackend (ssm.py), whose reset() clears
``self.service_settings``."""
from __future__ import annotations

from typing import Any

from . import ACCOUNT_ID
from .core import AwsError

#: setting id -> (AWS's default value, accepted values)
SETTINGS = {
    "/ssm/managed-instance/activation-tier": ("standard", ("standard", "advanced")),
}


class ServiceSettingsMixin:
    service_settings: dict[tuple[str, str], dict[str, Any]]

    def _setting_id(self, body: dict[str, Any]) -> str:
        raw = body.get("SettingId")
        if not raw:
            raise AwsError("ValidationException", "1 validation error detected: Value null at 'settingId' "
                                                  "failed to satisfy constraint: Member must not be null")
        setting_id = raw.partition(":servicesetting")[2] if raw.startswith("arn:") else raw
        if setting_id not in SETTINGS:
            raise AwsError("ServiceSettingNotFound", f"The service setting {raw} was not found.")
        return setting_id

    def _setting(self, region: str, setting_id: str) -> dict[str, Any]:
        stored = self.service_settings.get((region, setting_id))
        if stored:
            return dict(stored)
        return {"SettingId": setting_id, "SettingValue": SETTINGS[setting_id][0],
                "ARN": f"arn:aws:ssm:{region}:{ACCOUNT_ID}:servicesetting{setting_id}",
                "Status": "Default", "LastModifiedDate": 0,
                "LastModifiedUser": "System"}

    def op_GetServiceSetting(self, body, ctx):
        return {"ServiceSetting": self._setting(ctx.region, self._setting_id(body))}

    def op_UpdateServiceSetting(self, body, ctx):
        setting_id = self._setting_id(body)
        value = body.get("SettingValue")
        if value not in SETTINGS[setting_id][1]:
            raise AwsError("ValidationException", f"The value {value} is not valid for {setting_id}: "
                                                  f"use one of {', '.join(SETTINGS[setting_id][1])}.")
        setting = self._setting(ctx.region, setting_id)
        setting.update(SettingValue=value, Status="Customized", LastModifiedDate=self.clock.now(),
                       LastModifiedUser=f"arn:aws:iam::{ACCOUNT_ID}:user/emulator")
        self.service_settings[(ctx.region, setting_id)] = setting
        return {}

    def op_ResetServiceSetting(self, body, ctx):
        setting_id = self._setting_id(body)
        self.service_settings.pop((ctx.region, setting_id), None)
        return {"ServiceSetting": self._setting(ctx.region, setting_id)}
