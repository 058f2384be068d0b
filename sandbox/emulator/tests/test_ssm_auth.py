"""RSA-PSS authentication of hybrid instances (ssm_auth.py) and the calls that use it.

The agent side is ssm_auth.sign(), which follows amazon-ssm-agent's
agent/ssm/rsaauth (SigV4 string to sign, RSA-PSS-SHA256, salt 32, base64).
"""
from __future__ import annotations

import base64
import time

import pytest

from sandbox.emulator import ssm_auth
from sandbox.emulator.core import AwsError

REGION = "us-east-1"


def _lower(headers: dict, host: str) -> dict:
    out = {k.lower(): v for k, v in headers.items()}
    out["host"] = host
    return out


# ---------------------------------------------------------------- pure verification
def test_verify_good_wrong_key_and_tampering():
    key, pub = ssm_auth.new_key()
    other, _ = ssm_auth.new_key()
    body = b'{"Fingerprint": "f"}'
    hdrs = ssm_auth.sign(key, "mi-0123456789abcdef0", REGION, "POST", "http://10.0.0.1:4566/",
                         {"Content-Type": "application/x-amz-json-1.1",
                          "X-Amz-Target": "AmazonSSM.RequestManagedInstanceRoleToken"}, body)
    pk = ssm_auth.load_public_key(pub)
    assert pk is not None
    auth = ssm_auth.parse_authorization(hdrs["Authorization"])
    assert auth.access_key == "mi-0123456789abcdef0" and auth.service == "ssm" and "host" in auth.signed_headers
    lower = _lower(hdrs, "10.0.0.1:4566")
    ssm_auth.verify(pk, auth, "POST", "/", "", lower, body, now=time.time())  # good

    # another key's public half
    with pytest.raises(AwsError) as exc:
        ssm_auth.verify(ssm_auth.load_public_key(ssm_auth.new_key()[1]), auth, "POST", "/", "", lower, body)
    assert exc.value.code == "InvalidSignatureException"
    # signed by another private key
    bad = ssm_auth.sign(other, "mi-0123456789abcdef0", REGION, "POST", "http://10.0.0.1:4566/",
                        {"Content-Type": "application/x-amz-json-1.1",
                         "X-Amz-Target": "AmazonSSM.RequestManagedInstanceRoleToken"}, body)
    with pytest.raises(AwsError) as exc:
        ssm_auth.verify(pk, ssm_auth.parse_authorization(bad["Authorization"]), "POST", "/", "",
                        _lower(bad, "10.0.0.1:4566"), body)
    assert exc.value.code == "InvalidSignatureException"
    # tampered signed header, tampered body, tampered host
    for changed, changed_body in ((dict(lower, **{"x-amz-target": "AmazonSSM.UpdateManagedInstancePublicKey"}), body),
                                  (lower, b'{"Fingerprint": "g"}'),
                                  (dict(lower, host="10.0.0.2:4566"), body)):
        with pytest.raises(AwsError) as exc:
            ssm_auth.verify(pk, auth, "POST", "/", "", changed, changed_body)
        assert exc.value.code == "InvalidSignatureException"
    # a signature from the past
    with pytest.raises(AwsError) as exc:
        ssm_auth.verify(pk, auth, "POST", "/", "", lower, body, now=time.time() + 3600)
    assert exc.value.code == "InvalidSignatureException" and "expired" in exc.value.message


@pytest.mark.parametrize("header", [
    "", "AWS4-HMAC-SHA256 Credential=mi-0123456789abcdef0/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host",
    "AWS4-HMAC-SHA256 Credential=mi-0123456789abcdef0/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=%%%",
    "AWS4-HMAC-SHA256 Credential=mi-0123456789abcdef0/us-east-1/ssm, SignedHeaders=host, Signature=AAAA",
    "AWS4-HMAC-SHA256 Credential=mi-0123456789abcdef0/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=AAAA\n",
])
def test_garbled_authorization_is_incomplete(header):
    with pytest.raises(AwsError) as exc:
        ssm_auth.parse_authorization(header)
    assert exc.value.code == "IncompleteSignatureException"


def test_placeholder_keys_are_no_rsa_keys():
    assert ssm_auth.load_public_key("pk-edge-1") is None
    assert ssm_auth.load_public_key(base64.b64encode(b"not der").decode()) is None
    assert ssm_auth.load_public_key(ssm_auth.new_key()[1], "Ecdsa") is None


# ---------------------------------------------------------------- through the emulator
@pytest.fixture
def rsa_instance(emu):
    key, pub = ssm_auth.new_key()
    return key, emu.register_instance(emu.activation(), pub, "fp-rsa")


def test_role_token_needs_the_registered_key(emu, rsa_instance):
    key, mi = rsa_instance
    hdrs, data = emu.rsa_signed(key, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    status, tok = emu.post(hdrs, data)
    assert status == 200, tok
    assert tok["AccessKeyId"].startswith("ASIAEMU") and tok["UpdateKeyPair"] is False and tok["TokenExpirationDate"]
    creds = (tok["AccessKeyId"], tok["SecretAccessKey"], tok["SessionToken"])
    assert emu.client("sts", creds).get_caller_identity()["Arn"].endswith("/" + mi)

    wrong, _ = ssm_auth.new_key()
    hdrs, data = emu.rsa_signed(wrong, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    status, out = emu.post(hdrs, data)
    assert (status, out["__type"]) == (400, "InvalidSignatureException"), out
    assert "AccessKeyId" not in out

    hdrs, data = emu.rsa_signed(key, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    status, out = emu.post(hdrs, data.replace(b"fp-rsa", b"fp-rsb"))  # body changed after signing
    assert (status, out["__type"]) == (400, "InvalidSignatureException")

    hdrs, data = emu.rsa_signed(key, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    status, out = emu.post(dict(hdrs, Authorization=hdrs["Authorization"].rsplit("Signature=", 1)[0] + "Signature=!"),
                           data)
    assert (status, out["__type"]) == (400, "IncompleteSignatureException")

    # unsigned (naming itself in a header does not help), or signed with an access key instead of the RSA key
    for headers, creds in (({"X-Ssm-Instance-Id": mi}, None), (None, None), (None, ("testing", "testing", None))):
        status, out = emu.raw("AmazonSSM.RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"},
                              headers=headers, creds=creds)
        assert (status, out["__type"]) == (400, "MissingAuthenticationTokenException"), (headers, creds, out)

    hdrs, data = emu.rsa_signed(key, "mi-0123456789abcdef0", "RequestManagedInstanceRoleToken", {"Fingerprint": "x"})
    status, out = emu.post(hdrs, data)
    assert (status, out["__type"]) == (400, "InvalidInstanceId")


@pytest.mark.parametrize("public_key", ["pk-edge-1", base64.b64encode(b"not der").decode()])
def test_an_instance_without_an_rsa_key_cannot_authenticate(emu, server, public_key):
    """No unsigned way in: an instance registered with a key that is no RSA key gets no role token."""
    mi = emu.register_instance(emu.activation(), public_key, "fp-placeholder")
    for op, body in (("RequestManagedInstanceRoleToken", {"Fingerprint": "fp-placeholder"}),
                     ("UpdateManagedInstancePublicKey", {"NewPublicKey": ssm_auth.new_key()[1]})):
        status, out = emu.raw(f"AmazonSSM.{op}", body, headers={"X-Ssm-Instance-Id": mi})
        assert (status, out["__type"]) == (400, "MissingAuthenticationTokenException"), out
        status, out = emu.post(*emu.rsa_signed(ssm_auth.new_key()[0], mi, op, body))
        assert (status, out["__type"]) == (400, "InvalidSignatureException"), out
        assert "cannot be verified" in out["Message"]
    assert mi not in server.app.ssm.credentials.values()  # no role token was issued


def test_public_key_rotation(emu, rsa_instance, server):
    key, mi = rsa_instance
    server.app.ssm.instances[mi].update_key_pair = True  # the service asks the agent to rotate
    hdrs, data = emu.rsa_signed(key, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    status, out = emu.post(hdrs, data)
    assert status == 200 and out["UpdateKeyPair"] is True
    new, new_pub = ssm_auth.new_key()
    hdrs, data = emu.rsa_signed(new, mi, "UpdateManagedInstancePublicKey",
                         {"NewPublicKey": new_pub, "NewPublicKeyType": "Rsa"})
    status, out = emu.post(hdrs, data)  # must be signed with the current key
    assert (status, out["__type"]) == (400, "InvalidSignatureException")
    hdrs, data = emu.rsa_signed(key, mi, "UpdateManagedInstancePublicKey",
                         {"NewPublicKey": new_pub, "NewPublicKeyType": "Rsa"})
    assert emu.post(hdrs, data) == (200, {})
    hdrs, data = emu.rsa_signed(key, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    status, out = emu.post(hdrs, data)
    assert (status, out["__type"]) == (400, "InvalidSignatureException")  # the old key no longer works
    hdrs, data = emu.rsa_signed(new, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    status, out = emu.post(hdrs, data)
    assert status == 200 and out["AccessKeyId"] and out["UpdateKeyPair"] is False
    hdrs, data = emu.rsa_signed(new, mi, "UpdateManagedInstancePublicKey",
                         {"NewPublicKey": "pk-placeholder", "NewPublicKeyType": "Rsa"})
    status, out = emu.post(hdrs, data)
    assert (status, out["__type"]) == (400, "InvalidParameters")


def test_steady_state_agent_calls(emu, rsa_instance, server):
    key, mi = rsa_instance
    hdrs, data = emu.rsa_signed(key, mi, "RequestManagedInstanceRoleToken", {"Fingerprint": "fp-rsa"})
    _, tok = emu.post(hdrs, data)
    creds = (tok["AccessKeyId"], tok["SecretAccessKey"], tok["SessionToken"])
    assert emu.raw("AmazonSSM.ListInstanceAssociations", {"InstanceId": mi}, creds=creds) == (200, {"Associations": []})
    status, out = emu.raw("AmazonSSM.ListInstanceAssociations", {"InstanceId": mi})
    assert (status, out["__type"]) == (400, "AccessDeniedException")
    old = server.app.messages_long_poll
    server.app.messages_long_poll = 0.5
    try:
        started = time.monotonic()
        status, out = emu.raw("EC2WindowsMessageDeliveryService.GetMessages",
                              {"Destination": mi, "MessagesRequestId": "0f0e7c4e-0000-4000-8000-000000000000",
                               "VisibilityTimeoutInSeconds": 10}, creds=creds, service="ec2messages")
        assert time.monotonic() - started >= 0.4  # held: a long poll
        assert (status, out) == (200, {"Destination": mi, "Messages": [],
                                       "MessagesRequestId": "0f0e7c4e-0000-4000-8000-000000000000"})
    finally:
        server.app.messages_long_poll = old
    status, out = emu.raw("EC2WindowsMessageDeliveryService.GetMessages", {"Destination": "mi-0123456789abcdef0"},
                          creds=creds, service="ec2messages")
    assert (status, out["__type"]) == (400, "AccessDeniedException")
    for op in ("AcknowledgeMessage", "SendReply", "FailMessage", "DeleteMessage"):
        assert emu.raw(f"EC2WindowsMessageDeliveryService.{op}", {"MessageId": "m"}, creds=creds,
                       service="ec2messages") == (200, {})
    counts = emu.op("GET", "counts")[1]
    assert counts["ec2messages.GetMessages"] == 2
