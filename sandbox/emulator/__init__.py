"""Local AWS emulator for ECS Anywhere (moto 5.2.5 in server mode, extended).

Importing this package sets MOTO_IAM_LOAD_MANAGED_POLICIES=true before moto
is imported anywhere, so AWS-managed IAM policies can be attached.
"""
from __future__ import annotations

import os

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
# moto must not try to reach the network or use real credentials.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

#: The moto version the extension hooks were written against (see README).
MOTO_VERSION = "5.2.5"
ACCOUNT_ID = "123456789012"
