"""The RSA authentication of hybrid (mi-) instances, as AWS's SSM agent does it.

`RequestManagedInstanceRoleToken` and `UpdateManagedInstancePublicKey` carry
no secret: the agent builds a SigV4 request (canonical request, string to sign)
whose `Authorization` header names `Credential=mi-.../<date>/<region>/ssm/aws4_request`,
but the `Signature=` is RSA-PSS-SHA256 (salt 32, base64) over the string to
sign, made with the private key whose public half was sent to
`RegisterManagedInstance` (base64 DER SubjectPublicKeyInfo, `PublicKeyType`
`Rsa`). Source: amazon-ssm-agent `agent/ssm/rsaauth/ssm_rsaV4.go`, `v4.go`,
`agent/managedInstances/auth/rsa_key.go`.

`verify()` rebuilds the string to sign from the request as received (the
payload hash is computed from the body, so a changed body fails too) and
checks the signature against the registered public key. `sign()` does what
the agent does (for tests and fakes).
"""
from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import re
import urllib.parse
from dataclasses import dataclass
from typing import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .core import AwsError

ALGORITHM = "AWS4-HMAC-SHA256"
#: AWS refuses a signature dated more than 15 minutes from its clock
MAX_SKEW = 15 * 60
_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*SignedHeaders=(?P<sh>[^,\s]+)\s*,\s*Signature=(?P<sig>\S+)\Z")
_DATE_RE = re.compile(r"^\d{8}T\d{6}Z\Z")


@dataclass
class RsaAuth:
    """A parsed `Authorization` header of an RSA-signed agent call."""
    access_key: str      # the mi- id
    date: str            # yyyymmdd
    region: str
    service: str
    signed_headers: list[str]
    signature: bytes


def load_public_key(public_key: str, key_type: str = "Rsa") -> rsa.RSAPublicKey | None:
    """The registered key (base64 DER SubjectPublicKeyInfo), or None if it is no RSA key."""
    if (key_type or "Rsa") != "Rsa" or not public_key:
        return None
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key, validate=True))
    except (ValueError, TypeError, binascii.Error):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def parse_authorization(header: str) -> RsaAuth:
    """Parse an `Authorization` header; IncompleteSignatureException when it is garbled."""
    m = _AUTH_RE.match(header or "")
    if not m:
        raise AwsError("IncompleteSignatureException",
                       "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                       "(AWS4-HMAC-SHA256 Credential=mi-.../date/region/ssm/aws4_request, SignedHeaders=..., "
                       "Signature=<base64 RSA-PSS-SHA256>).")
    parts = m.group("cred").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise AwsError("IncompleteSignatureException",
                       f"Credential should be scoped to a valid region, not {m.group('cred')!r}.")
    try:
        sig = base64.b64decode(m.group("sig"), validate=True)
    except (ValueError, binascii.Error):
        raise AwsError("IncompleteSignatureException", "The Signature is not base64 (an RSA-PSS signature).") from None
    if not sig:
        raise AwsError("IncompleteSignatureException", "The Signature is empty.")
    return RsaAuth(parts[0], parts[1], parts[2], parts[3], m.group("sh").split(";"), sig)


def _strip_spaces(value: str) -> str:
    return re.sub(" +", " ", value.strip())


def _canonical_query(query: str) -> str:
    pairs = urllib.parse.parse_qsl(query or "", keep_blank_values=True)
    return "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                    for k, v in sorted(pairs))


def string_to_sign(method: str, path: str, query: str, headers: Mapping[str, str], signed_headers: list[str],
                   body: bytes, amz_date: str, scope: str) -> str:
    """The SigV4 string to sign; `headers` keys are lower case."""
    canon_headers = []
    for name in signed_headers:
        value = headers.get(name)
        if value is None:
            raise AwsError("IncompleteSignatureException", f"Signed header {name!r} is not in the request.")
        canon_headers.append(f"{name}:{_strip_spaces(value)}")
    canonical = "\n".join([
        method, urllib.parse.quote(path or "/", safe="/-_.~"), _canonical_query(query),
        "\n".join(canon_headers) + "\n", ";".join(signed_headers), hashlib.sha256(body).hexdigest(),
    ])
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])


def verify(public_key: rsa.RSAPublicKey, auth: RsaAuth, method: str, path: str, query: str,
           headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """Raise AwsError unless the request is signed with the private half of `public_key`."""
    amz_date = headers.get("x-amz-date", "")
    if not _DATE_RE.match(amz_date) or not amz_date.startswith(auth.date):
        raise AwsError("IncompleteSignatureException", "X-Amz-Date must be set (yyyymmddThhmmssZ) and match the "
                                                       "date of the Credential scope.")
    if "host" not in auth.signed_headers:
        raise AwsError("InvalidSignatureException", "The host header must be signed.")
    if now is not None:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if abs(signed_at.timestamp() - now) > MAX_SKEW:
            raise AwsError("InvalidSignatureException", f"Signature expired: {amz_date} is more than 15 minutes "
                                                        "from the server's time (check the edge host's clock).")
    scope = f"{auth.date}/{auth.region}/{auth.service}/aws4_request"
    sts = string_to_sign(method, path, query, headers, auth.signed_headers, body, amz_date, scope)
    try:
        public_key.verify(auth.signature, sts.encode(),
                          padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
                          hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise AwsError("InvalidSignatureException",
                       f"The request signature does not verify with the public key registered for {auth.access_key} "
                       "(RSA-PSS-SHA256 over the SigV4 string to sign). Re-register the instance if its "
                       "key was lost.") from None


def sign(private_key: rsa.RSAPrivateKey, instance_id: str, region: str, method: str, url: str,
         headers: dict[str, str], body: bytes, amz_date: str | None = None, service: str = "ssm") -> dict[str, str]:
    """Headers (added to `headers`) of an RSA-signed call, as the agent makes it."""
    parsed = urllib.parse.urlsplit(url)
    amz_date = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = dict(headers)
    out["X-Amz-Date"] = amz_date
    lower = {k.lower(): v for k, v in out.items()}
    lower["host"] = parsed.netloc
    signed = sorted(k for k in lower if k not in ("authorization", "user-agent", "content-length"))
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    sts = string_to_sign(method, parsed.path or "/", parsed.query, lower, signed, body, amz_date, scope)
    sig = private_key.sign(sts.encode(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                           hashes.SHA256())
    out["X-Amz-Content-Sha256"] = hashlib.sha256(body).hexdigest()
    out["Authorization"] = (f"{ALGORITHM} Credential={instance_id}/{scope}, SignedHeaders={';'.join(signed)}, "
                            f"Signature={base64.b64encode(sig).decode()}")
    return out


def new_key() -> tuple[rsa.RSAPrivateKey, str]:
    """A 2048-bit key and its public half as the agent registers it (base64 DER SPKI)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, base64.b64encode(der).decode()
