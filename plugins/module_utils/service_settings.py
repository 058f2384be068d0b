# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SSM service settings (GetServiceSetting, UpdateServiceSetting,
ResetServiceSetting): account-level settings of one region, such as the
instance tier of hybrid-activated nodes (``/ssm/managed-instance/activation-tier``).

One ensure contract, as elsewhere: ``(changed, setting, diff)``; check mode
returns the predicted setting and calls nothing that changes AWS."""

from __future__ import annotations

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError

ACTIVATION_TIER = "/ssm/managed-instance/activation-tier"
#: values SSM accepts, per setting this collection knows; others are passed as given
KNOWN_VALUES = {ACTIVATION_TIER: ("standard", "advanced")}


def setting_id_of(value):
    """``/ssm/...`` from a setting id or its ARN (arn:aws:ssm:<region>:<account>:servicesetting/ssm/...)."""
    value = (value or "").strip()
    if value.startswith("arn:"):
        rest = value.partition(":servicesetting")[2]
        if not rest.startswith("/"):
            raise EcsAnywhereError(
                f"{value!r} is not a service setting ARN (arn:aws:ssm:<region>:<account>:servicesetting/ssm/...)."
            )
        return rest
    if not value.startswith("/ssm/"):
        raise EcsAnywhereError(
            f"setting_id must start with /ssm/ (e.g. {ACTIVATION_TIER}) or be its ARN, not {value!r}."
        )
    return value


def setting_view(setting):
    """The module's view of a ServiceSetting (snake_case keys; dates as ISO 8601 text)."""
    if not setting:
        return {}

    def text(v):
        return v.isoformat() if hasattr(v, "isoformat") else v

    return {
        "setting_id": setting.get("SettingId"),
        "setting_value": setting.get("SettingValue"),
        "arn": setting.get("ARN"),
        "status": setting.get("Status"),
        "last_modified_date": text(setting.get("LastModifiedDate")),
        "last_modified_user": setting.get("LastModifiedUser"),
    }


def get_setting(client, setting_id):
    return client.get_service_setting(SettingId=setting_id, aws_retry=True)["ServiceSetting"]


def _check_value(setting_id, value):
    known = KNOWN_VALUES.get(setting_id)
    if known and value not in known:
        raise EcsAnywhereError(
            f"{setting_id} takes one of {', '.join(known)}, not {value!r}. Nothing was changed."
        )


def _diff(before, after):
    return {"before": {"setting_value": before.get("SettingValue")},
            "after": {"setting_value": after.get("SettingValue")}}


def ensure_setting(client, setting_id, value, check_mode=False):
    """Give the setting ``value``. Returns ``(changed, setting, diff)``."""
    _check_value(setting_id, value)
    existing = get_setting(client, setting_id)
    if existing.get("SettingValue") == value:
        return False, existing, _diff(existing, existing)
    predicted = dict(existing, SettingValue=value, Status="Customized")
    diff = _diff(existing, predicted)
    if check_mode:
        return True, predicted, diff
    client.update_service_setting(SettingId=setting_id, SettingValue=value, aws_retry=True)
    return True, get_setting(client, setting_id), diff


def ensure_setting_default(client, setting_id, check_mode=False):
    """Reset the setting to AWS's default (ResetServiceSetting). Returns ``(changed, setting, diff)``;
    a setting already at its default (status ``Default``) is left alone."""
    existing = get_setting(client, setting_id)
    if existing.get("Status") == "Default":
        return False, existing, _diff(existing, existing)
    if check_mode:
        # the default value is AWS's to know; the prediction says only that it will be the default
        predicted = dict(existing, Status="Default")
        return True, predicted, {"before": {"setting_value": existing.get("SettingValue")},
                                 "after": {"setting_value": "(the default)"}}
    reset = client.reset_service_setting(SettingId=setting_id, aws_retry=True)["ServiceSetting"]
    return True, reset, _diff(existing, reset)
