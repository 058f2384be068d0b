"""Every moto internal the emulator touches, in one place (checked by tests/test_canary.py).

- moto.moto_server.werkzeug_app: DomainDispatcherApplication, create_backend_app,
  MotoRequestHandler (server mode, request routing to moto's Flask apps).
- moto.iam.models.iam_backends[account]["aws"].get_role / get_policy and
  moto.iam.exceptions.NotFoundException (role trust check of CreateActivation).
- moto.moto_api._internal.models.moto_api_backend.reset (operator reset).
- moto.iam.models.IAMBackend._init_aws_policies + AWSManagedPolicy (faster
  reset: AWS managed policies are parsed once per process, not per reset).
"""
from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

_CACHE: list[tuple[str, dict[str, Any]]] | None = None
_LOCK = threading.Lock()


def _policy_specs() -> list[tuple[str, dict[str, Any]]]:
    global _CACHE
    with _LOCK:
        if _CACHE is None:
            from moto.iam.aws_managed_policies import aws_managed_policies_data
            parsed = json.loads(aws_managed_policies_data)
            _CACHE = [(name, {
                "default_version_id": d.get("DefaultVersionId"),
                "path": d.get("Path"),
                "document": json.dumps(d.get("Document")),
                "create_date": datetime.fromisoformat(d["CreateDate"]),
                "update_date": datetime.fromisoformat(d["UpdateDate"]),
            }) for name, d in parsed.items()]
        return _CACHE


def install() -> None:
    """Patch IAMBackend so each (re)created IAM backend reuses the parsed policy data."""
    from moto.iam import models
    if getattr(models.IAMBackend._init_aws_policies, "_emulator", False):
        return

    def _init_aws_policies(self):
        if not models.load_iam_aws_managed_policies():
            return []
        return [models.AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name, **kw)
                for name, kw in _policy_specs()]

    _init_aws_policies._emulator = True  # type: ignore[attr-defined]
    models.IAMBackend._init_aws_policies = _init_aws_policies


def iam_backend(account_id: str):
    from moto.iam.models import iam_backends
    return iam_backends[account_id]["aws"]


def role_trust_policy(account_id: str, name: str) -> str | None:
    from moto.iam.exceptions import NotFoundException
    try:
        role = iam_backend(account_id).get_role(name)
    except NotFoundException:
        return None
    doc = role.assume_role_policy_document
    return doc if isinstance(doc, str) else json.dumps(doc)


def reset_moto() -> None:
    from moto.moto_api._internal.models import moto_api_backend
    moto_api_backend.reset()
