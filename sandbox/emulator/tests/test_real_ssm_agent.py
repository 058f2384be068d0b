"""AWS's REAL amazon-ssm-agent (3.3.1142.0) against the emulator, in one edge container.

The emulator listens on the gateway of a throwaway docker network; the agent's
binaries (built from source into .cache/real-agents/bin) are copied into an
edge container (never run on the controller). The agent registers with an
activation, fetches role credentials with the RSA-signed
RequestManagedInstanceRoleToken, writes /root/.aws/credentials, heartbeats and
long-polls ec2messages. Skipped when docker, the edge image or the binaries are
missing.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import FAST, SSM_TRUST
from .edge_lab import ROOT, docker_skip_reason, edge_lab, run, skip_unless_runnable

BIN = ROOT / ".cache/real-agents/bin"
#: AWS's systemd unit, read from the source tarball the binaries were built from
SOURCES = Path(os.environ.get("AWS_AGENTS_SRC", ROOT.parent / "shared/vendor/aws-agents"))
TARBALL = SOURCES / "amazon-ssm-agent-3.3.1142.0-src.tar.gz"
UNIT_MEMBER = "amazon-ssm-agent/packaging/linux/amazon-ssm-agent.service"
BINARIES = ("amazon-ssm-agent", "ssm-agent-worker", "ssm-session-worker", "ssm-document-worker")
AGENT_VERSION = "3.3.1142.0"
REGION = "us-east-1"
LOG = "/var/log/amazon/ssm/amazon-ssm-agent.log"
ERRORS_LOG = "/var/log/amazon/ssm/errors.log"
STEADY_SECONDS = 30
TOKEN_LIFETIME = 40


def _skip_reason() -> str | None:
    missing = [b for b in BINARIES if not (BIN / b).is_file()]
    if missing:
        return f"real SSM agent binaries missing in {BIN}: {', '.join(missing)} (sandbox/agents/build.sh builds them)"
    if not TARBALL.is_file():
        return f"{TARBALL} missing (AWS's agent sources; AWS_AGENTS_SRC names another directory)"
    return docker_skip_reason()


pytestmark = skip_unless_runnable(_skip_reason(), "real SSM agent")


@pytest.fixture(scope="module")
def sandbox():
    """-> (emulator server, Edge, gateway), the agent's binaries and AWS's unit in the edge."""
    # systemd may still be starting after 60 s: the test starts the agent's unit itself
    ready = 'case "$(systemctl is-system-running)" in running|degraded) ;; *) exit 1;; esac'
    with edge_lab("f-ssm-real", ready, ready_required=False) as (srv, edge, gateway):
        for b in BINARIES:
            run("docker", "cp", str(BIN / b), f"{edge.name}:/usr/bin/{b}")
        with tarfile.open(TARBALL) as tar, tempfile.TemporaryDirectory() as tmp:
            unit = Path(tmp) / "amazon-ssm-agent.service"
            unit.write_bytes(tar.extractfile(UNIT_MEMBER).read())
            run("docker", "cp", str(unit), f"{edge.name}:/etc/systemd/system/amazon-ssm-agent.service")
        yield srv, edge, gateway


def agent_config(endpoint: str, region: str = REGION) -> dict:
    """The amazon-ssm-agent.json that keeps every agent call on the emulator (scheme required)."""
    return {
        "Agent": {"Region": region},
        "Profile": {"ShareCreds": True, "ShareProfile": ""},
        "Ssm": {"Endpoint": endpoint},
        "Mds": {"Endpoint": endpoint},
        "Mgs": {"Endpoint": endpoint, "Region": region},
        "Kms": {"Endpoint": endpoint},
        "S3": {"Endpoint": endpoint, "Region": region},
    }


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(r"\bERROR\b", line)]


#: Session Manager (MGS, ssmmessages) is out of scope: the agent always speaks https/wss to
#: Mgs.Endpoint, and the emulator speaks plain http, so CreateControlChannel fails with
#: "tls: first record does not look like a TLS handshake" and is retried with back-off. Those lines
#: are expected (they show that MGS traffic goes to the emulator, not to AWS); any other ERROR fails.
_MGS = re.compile(r"\[MGSInteractor\]|controlchannel|CreateControlChannel|control-channel")


def _split_mgs(lines: list[str], gateway: str) -> tuple[list[str], list[str]]:
    mgs = [line for line in lines if _MGS.search(line)]
    for line in mgs:
        for url in re.findall(r"(?:https|wss)://[^\s\"/]+", line):
            assert url.split("://", 1)[1].split(":")[0] == gateway, f"MGS traffic leaves the sandbox: {line}"
    return [line for line in lines if not _MGS.search(line)], mgs


def _keep(name: str, text: str) -> None:
    """With REAL_AGENT_LOG_DIR set, keep the agent's logs there (for the report)."""
    out = os.environ.get("REAL_AGENT_LOG_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / name).write_text(text)


def test_real_agent_registers_heartbeats_and_shares_credentials(sandbox):
    import boto3

    srv, edge, gateway = sandbox
    endpoint = f"http://{gateway}:{srv.port}"
    clients = dict(endpoint_url=srv.url, region_name=REGION, aws_access_key_id="testing",
                   aws_secret_access_key="testing", config=FAST)
    iam, ssm = boto3.client("iam", **clients), boto3.client("ssm", **clients)
    role = "realSsmAgentTestRole"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(SSM_TRUST))
    act = ssm.create_activation(IamRole=role, RegistrationLimit=1, DefaultInstanceName="real-edge")
    code = act["ActivationCode"]

    def hide(text: str) -> str:  # nothing printed by this test may hold the code
        return text.replace(code, "<activation code>")

    edge.sh("mkdir -p /etc/amazon/ssm && cat > /etc/amazon/ssm/amazon-ssm-agent.json",
            input=json.dumps(agent_config(endpoint), indent=2))
    # the code goes in on stdin, never on a command line of the controller
    reg = edge.sh(f"read -r CODE; exec amazon-ssm-agent -register -code \"$CODE\" -id {act['ActivationId']} "
                  f"-region {REGION} -y", input=code + "\n", check=False, timeout=180)
    out = reg.stdout + reg.stderr
    assert code not in out, "the registration printed the activation code"
    assert reg.returncode == 0, f"registration failed ({reg.returncode}):\n{hide(out)}"
    mi = re.search(r"mi-[0-9a-f]{17}", out)
    assert mi, f"no mi- id in the registration output:\n{hide(out)}"
    mi = mi.group(0)

    # the files the role reads: registration (JSON) and the vault entry (private key inside: not printed)
    registration = json.loads(edge.read("/var/lib/amazon/ssm/registration") or "{}")
    assert registration.get("ManagedInstanceID") == mi and registration.get("Region") == REGION, registration
    manifest = json.loads(edge.read("/var/lib/amazon/ssm/Vault/Manifest") or "{}")
    assert manifest.get("RegistrationKey") == "/var/lib/amazon/ssm/Vault/Store/RegistrationKey", manifest
    vault = json.loads(edge.read("/var/lib/amazon/ssm/Vault/Store/RegistrationKey") or "{}")
    assert {k: bool(vault.get(k)) for k in ("instanceID", "region", "privateKey", "privateKeyType")} == \
        dict.fromkeys(("instanceID", "region", "privateKey", "privateKeyType"), True), sorted(vault)
    assert vault["instanceID"] == mi and vault["privateKeyType"] == "Rsa"
    modes = edge.sh("stat -c '%a %n' /var/lib/amazon/ssm/Vault/Store/RegistrationKey").stdout
    assert modes.startswith("600 ") or modes.startswith("400 "), modes
    inst = srv.app.ssm.instances[mi]
    assert inst.rsa_key() is not None and inst.public_key_type == "Rsa" and inst.fingerprint

    srv.app.ssm.token_lifetime = TOKEN_LIFETIME  # the agent renews at half: a few renewals during the test
    edge.sh("systemctl daemon-reload && systemctl start amazon-ssm-agent")
    deadline = time.monotonic() + 150
    info: dict = {}
    while time.monotonic() < deadline:
        items = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [mi]}])["InstanceInformationList"]
        info = items[0] if items else {}
        # the agent sends a short UpdateInstanceInformation (agent and platform type) and the full one
        # (IPAddress, ComputerName, PlatformName...) in either order
        if info.get("PingStatus") == "Online" and info.get("AgentVersion") == AGENT_VERSION and \
                info.get("ComputerName") and info.get("PlatformName"):
            break
        time.sleep(2)
    log = edge.read(LOG)
    assert info.get("PingStatus") == "Online" and info.get("AgentVersion") == AGENT_VERSION, \
        f"{info}\nagent log:\n{hide(log)[-6000:]}"
    assert info["PlatformType"] == "Linux" and info.get("ComputerName") and info.get("IPAddress"), info
    assert info.get("PlatformName"), info

    # Profile.ShareCreds (default true): role credentials in /root/.aws/credentials [default]
    deadline = time.monotonic() + 60
    creds = ""
    while time.monotonic() < deadline:
        creds = edge.read("/root/.aws/credentials")
        if "aws_access_key_id" in creds:
            break
        time.sleep(2)
    m = re.search(r"^\[default\]\s*$(?P<body>(?:\n(?!\[).*)*)", creds, re.M)
    assert m, "no [default] profile in /root/.aws/credentials"
    akid = re.search(r"aws_access_key_id\s*=\s*(\S+)", m.group("body"))
    assert akid and srv.app.ssm.credentials.get(akid.group(1)) == mi, "the shared key is not one the emulator issued to " + mi
    assert re.search(r"aws_session_token\s*=\s*\S+", m.group("body"))

    # steady state: no ERROR for STEADY_SECONDS, including credential renewals and a key rotation
    # asked by the service (UpdateKeyPair: the agent calls UpdateManagedInstancePublicKey signed with
    # the old key, stores the new one in the vault and signs with it from then on)
    before = len(edge.read(LOG))
    before_err = len(edge.read(ERRORS_LOG))
    started = time.monotonic()
    vault_key = hashlib.sha256(vault["privateKey"].encode()).hexdigest()
    old_public = inst.public_key
    inst.update_key_pair = True
    deadline = time.monotonic() + 3 * TOKEN_LIFETIME
    while time.monotonic() < deadline and inst.public_key == old_public:
        time.sleep(1)
    assert inst.public_key != old_public, "the agent did not rotate its key (UpdateManagedInstancePublicKey)"
    tokens = srv.app.counts.snapshot().get("ssm.RequestManagedInstanceRoleToken", 0)
    deadline = time.monotonic() + 2 * TOKEN_LIFETIME
    while time.monotonic() < deadline and srv.app.counts.snapshot().get("ssm.RequestManagedInstanceRoleToken", 0) <= tokens:
        time.sleep(1)
    assert srv.app.counts.snapshot().get("ssm.RequestManagedInstanceRoleToken", 0) > tokens, \
        "no role-token request after the rotation"
    new_vault = json.loads(edge.read("/var/lib/amazon/ssm/Vault/Store/RegistrationKey") or "{}")
    assert hashlib.sha256(new_vault.get("privateKey", "").encode()).hexdigest() != vault_key, \
        "the vault still holds the old private key"
    time.sleep(max(0.0, STEADY_SECONDS - (time.monotonic() - started)))
    creds_now = edge.read("/root/.aws/credentials")
    akid_now = re.search(r"aws_access_key_id\s*=\s*(\S+)", creds_now)
    assert akid_now and srv.app.ssm.credentials.get(akid_now.group(1)) == mi
    log, errors_log = edge.read(LOG), edge.read(ERRORS_LOG)
    _keep("amazon-ssm-agent.log", hide(log))
    _keep("errors.log", hide(errors_log))
    new_errors, mgs_errors = _split_mgs(_errors(log[before:]) + _errors(errors_log[before_err:]), gateway)
    assert not new_errors, "ERROR lines in steady state:\n" + hide("\n".join(new_errors))
    counts = srv.app.counts.snapshot()
    _keep("counts.json", json.dumps(counts, indent=1, sort_keys=True))
    _keep("mgs-errors.log", hide("\n".join(mgs_errors)))
    assert counts.get("ec2messages.GetMessages", 0) >= 1, counts
    assert counts.get("ssm.UpdateInstanceInformation", 0) >= 1, counts
    assert counts.get("ssm.UpdateManagedInstancePublicKey", 0) == 1, counts
    assert srv.app.ssm.ping_status(srv.app.ssm.instances[mi]) == "Online"

    # the activation code is in no log of the edge host
    leaked = edge.sh(f"grep -rl -F -e '{code}' /var/log /var/lib/amazon /root/.aws /etc/amazon || true").stdout.strip()
    assert not leaked, f"the activation code is in: {leaked}"
