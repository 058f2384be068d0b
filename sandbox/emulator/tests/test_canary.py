"""Canary: fails loudly when a moto upgrade breaks the hooks the emulator relies on."""
from __future__ import annotations

import json

import moto

from sandbox.emulator import MOTO_VERSION

HINT = ("sandbox.emulator hooks into moto internals (see sandbox/emulator/README.md, 'moto hooks'); "
        "re-check them before moving off moto=={}".format(MOTO_VERSION))


def test_moto_version_is_the_pinned_one():
    assert moto.__version__ == MOTO_VERSION, (
        f"moto {moto.__version__} is installed but the emulator was written against moto=={MOTO_VERSION}. {HINT}")


def test_moto_internal_hooks_exist():
    from moto.moto_server import werkzeug_app
    for name in ("DomainDispatcherApplication", "create_backend_app", "MotoRequestHandler"):
        assert hasattr(werkzeug_app, name), f"moto.moto_server.werkzeug_app.{name} is gone. {HINT}"
    from moto.iam.exceptions import NotFoundException  # noqa: F401
    from moto.iam.models import iam_backends
    from moto.moto_api._internal.models import moto_api_backend
    assert callable(getattr(moto_api_backend, "reset", None)), f"moto_api_backend.reset is gone. {HINT}"
    from moto.iam import models
    assert hasattr(models, "AWSManagedPolicy") and hasattr(models, "load_iam_aws_managed_policies"), HINT
    assert callable(getattr(models.IAMBackend, "_init_aws_policies", None)), f"IAMBackend._init_aws_policies is gone. {HINT}"
    from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: F401
    from sandbox.emulator import moto_hooks
    moto_hooks.install()
    backend = iam_backends["123456789012"]["aws"]
    assert callable(getattr(backend, "get_role", None)), f"IAMBackend.get_role is gone. {HINT}"
    policy = backend.get_policy("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    assert policy is not None, f"AWS managed policies are not loaded (MOTO_IAM_LOAD_MANAGED_POLICIES). {HINT}"


def test_hooks_work_end_to_end(emu):
    """IAM served by moto, read back by the SSM extension (role trust check)."""
    iam = emu.client("iam")
    iam.create_role(RoleName="canary", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    for arn in ("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"):
        iam.attach_role_policy(RoleName="canary", PolicyArn=arn)
    attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="canary")["AttachedPolicies"]}
    assert attached == {"AmazonSSMManagedInstanceCore", "AmazonEC2ContainerServiceforEC2Role",
                        "AmazonECSTaskExecutionRolePolicy"}, HINT
    out = emu.client("ssm").create_activation(IamRole="canary")
    assert out["ActivationId"], HINT
    status, _ = emu.op("POST", "reset")
    assert status == 200
    assert not any(r["RoleName"] == "canary" for r in iam.list_roles()["Roles"]), f"moto reset hook failed. {HINT}"
