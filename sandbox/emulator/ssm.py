"""SSM hybrid activations and managed (`mi-`) instances.

Everything else of SSM (parameters, documents, ...) is served by moto.
"""
from __future__ import annotations

import re
import time
from typing import Any, Callable

from . import ACCOUNT_ID, ssm_auth
from .core import AwsError, paginate
from .ssm_settings import ServiceSettingsMixin

NOT_HANDLED = object()

THIRTY_DAYS = 30 * 24 * 3600
DEFAULT_EXPIRY = 24 * 3600
#: seconds without a heartbeat before PingStatus becomes ConnectionLost
PING_TIMEOUT = 300
TOKEN_LIFETIME = 3600
MI_RE = re.compile(r"^mi-[0-9a-f]{17}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
BAD_ACTIVATION_ID = ("The activation ID isn't valid. Verify that you entered the correct ActivationId or ActivationCode "
                     "and try again.")
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Activation:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class Instance:
    def __init__(self, **kw: Any) -> None:
        self.last_ping = 0.0
        self.info: dict[str, Any] = {}
        self.tags: dict[str, str] = {}
        self.virtual = False
        self.public_key = ""
        self.public_key_type = ""
        #: answer UpdateKeyPair true (the agent then rotates its key with UpdateManagedInstancePublicKey)
        self.update_key_pair = False
        self.__dict__.update(kw)

    def rsa_key(self):
        """The registered RSA public key, or None (a key that is no RSA key: the instance cannot sign)."""
        cached = self.__dict__.get("_rsa")
        if cached is None or cached[0] != (self.public_key, self.public_key_type):
            cached = ((self.public_key, self.public_key_type),
                      ssm_auth.load_public_key(self.public_key, self.public_key_type))
            self._rsa = cached
        return cached[1]


def _tags_in(tags: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in tags or []:
        if not isinstance(t, dict) or "Key" not in t:
            raise AwsError("ValidationException", "Tags must be a list of {Key, Value}.")
        out[str(t["Key"])] = str(t.get("Value", ""))
    return out


def _tags_out(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class SsmBackend(ServiceSettingsMixin):
    def __init__(self, clock, ids, role_lookup: Callable[[str], Any]) -> None:
        self.clock = clock
        self.ids = ids
        self.role_lookup = role_lookup
        #: seconds role credentials are valid (TokenExpirationDate); the real agent renews at half
        self.token_lifetime = TOKEN_LIFETIME
        self.reset()

    def reset(self) -> None:
        self.activations: dict[str, dict[str, Activation]] = {}
        self.instances: dict[str, Instance] = {}  # mi- id -> instance (region inside)
        self.credentials: dict[str, str] = {}  # access key id -> mi- id
        self.service_settings = {}  # (region, setting id) -> a customized setting

    # ------------------------------------------------------------ helpers
    def _acts(self, region: str) -> dict[str, Activation]:
        return self.activations.setdefault(region, {})

    def caller_instance(self, access_key: str | None) -> Instance | None | bool:
        """Instance for an access key; False if the key is ours but revoked."""
        if not access_key:
            return None
        mi = self.credentials.get(access_key)
        if mi is None:
            return False if access_key.startswith("ASIAEMU") else None
        inst = self.instances.get(mi)
        return inst if inst is not None else False

    def ping_status(self, inst: Instance) -> str:
        if inst.virtual and inst.__dict__.get("connected", True):
            return "Online"
        return "Online" if self.clock.now() - inst.last_ping <= PING_TIMEOUT else "ConnectionLost"

    def _activation_json(self, a: Activation) -> dict[str, Any]:
        return {
            "ActivationId": a.id,
            "Description": a.description,
            "DefaultInstanceName": a.default_instance_name,
            "IamRole": a.iam_role,
            "RegistrationLimit": a.limit,
            "RegistrationsCount": a.count,
            "ExpirationDate": a.expires,
            "Expired": self.clock.now() >= a.expires,
            "CreatedDate": a.created,
            "Tags": _tags_out(a.tags),
        }

    def _instance_json(self, inst: Instance) -> dict[str, Any]:
        out = {
            "InstanceId": inst.id,
            "PingStatus": self.ping_status(inst),
            "LastPingDateTime": self.clock.now() if inst.virtual else inst.last_ping,
            "ActivationId": inst.activation_id,
            "IamRole": inst.iam_role,
            "RegistrationDate": inst.registered,
            "ResourceType": "ManagedInstance",
            "Name": inst.name,
            "IsLatestVersion": True,
            "SourceId": inst.id,
            "SourceType": "AWS::SSM::ManagedInstance",
        }
        for key in ("AgentVersion", "PlatformType", "PlatformName", "PlatformVersion",
                    "IPAddress", "ComputerName"):
            if key in inst.info:
                out[key] = inst.info[key]
        return out

    # ------------------------------------------------------------ dispatch
    def handle(self, op: str, body: dict[str, Any], ctx) -> Any:
        fn = getattr(self, "op_" + op, None)
        if fn is None:
            return NOT_HANDLED
        return fn(body, ctx)

    # ------------------------------------------------------------ activations
    def op_CreateActivation(self, body, ctx):
        role = body.get("IamRole")
        if not role:
            raise AwsError("ValidationException", "1 validation error detected: Value null at 'iamRole' failed to satisfy constraint: Member must not be null")
        limit = body.get("RegistrationLimit", 1)
        if not isinstance(limit, int) or limit < 1 or limit > 1000:
            raise AwsError("ValidationException", f"1 validation error detected: Value '{limit}' at 'registrationLimit' "
                                                  "failed to satisfy constraint: Member must have value less than or equal "
                                                  "to 1000 and greater than or equal to 1")
        now = self.clock.now()
        expires = body.get("ExpirationDate")
        if expires is None:
            expires = now + DEFAULT_EXPIRY
        else:
            expires = float(expires)
            if expires <= now:
                raise AwsError("ValidationException", "ExpirationDate must be in the future.")
            if expires > now + THIRTY_DAYS + 60:
                raise AwsError("ValidationException", "ExpirationDate cannot be more than 30 days in the future.")
        role_name = role.rsplit("/", 1)[-1]
        trust = self.role_lookup(role_name)
        if trust is None:
            # as AWS answered in aws/aws-cli#4232
            raise AwsError("ValidationException", f"Not existing role: arn:aws:iam::{ACCOUNT_ID}:role/{role_name}")
        if "ssm.amazonaws.com" not in trust:
            raise AwsError("InvalidParameters", "Nonexistent role or missing ssm service principal in trust policy: "
                                                f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}")
        a = Activation(
            id=self.ids.uuid(), code=self.ids.chars(20, CODE_ALPHABET), region=ctx.region,
            description=body.get("Description", ""), default_instance_name=body.get("DefaultInstanceName", ""),
            iam_role=role, limit=limit, count=0, expires=expires, created=now,
            tags=_tags_in(body.get("Tags")),
        )
        self._acts(ctx.region)[a.id] = a
        return {"ActivationId": a.id, "ActivationCode": a.code}

    def op_DescribeActivations(self, body, ctx):
        items = list(self._acts(ctx.region).values())
        for f in body.get("Filters") or []:
            key = f.get("FilterKey")
            values = f.get("FilterValues") or []
            if key == "ActivationIds":
                items = [a for a in items if a.id in values]
            elif key == "DefaultInstanceName":
                items = [a for a in items if a.default_instance_name in values]
            elif key == "IamRole":
                items = [a for a in items if a.iam_role in values]
            else:
                raise AwsError("InvalidFilter", f"The filter name {key!r} isn't valid.")
        page, nxt = paginate(items, body.get("MaxResults"), body.get("NextToken"), "InvalidNextToken", 50, 50)
        out: dict[str, Any] = {"ActivationList": [self._activation_json(a) for a in page]}
        if nxt:
            out["NextToken"] = nxt
        return out

    def _get_activation(self, region: str, activation_id: Any) -> Activation:
        if not isinstance(activation_id, str) or not UUID_RE.match(activation_id):
            raise AwsError("InvalidActivationId", BAD_ACTIVATION_ID)
        a = self._acts(region).get(activation_id)
        if a is None:
            raise AwsError("InvalidActivation", f"Activation ID {activation_id} doesn't exist. The activation might have been deleted.")
        return a

    def op_DeleteActivation(self, body, ctx):
        a = self._get_activation(ctx.region, body.get("ActivationId"))
        del self._acts(ctx.region)[a.id]
        return {}

    # ------------------------------------------------------------ agent-facing
    def register_instance(self, region: str, activation: Activation | None, *, public_key: str = "",
                          fingerprint: str = "", virtual: bool = False, name: str = "",
                          iam_role: str = "", public_key_type: str = "") -> Instance:
        now = self.clock.now()
        inst = Instance(
            id="mi-" + self.ids.hex(17), region=region,
            activation_id=activation.id if activation else "",
            iam_role=activation.iam_role if activation else iam_role,
            name=(activation.default_instance_name if activation else "") or name,
            registered=now, public_key=public_key, public_key_type=public_key_type, fingerprint=fingerprint,
            virtual=virtual,
        )
        inst.last_ping = now
        if activation is not None:
            activation.count += 1
        self.instances[inst.id] = inst
        return inst

    def op_RegisterManagedInstance(self, body, ctx):
        for key in ("ActivationId", "ActivationCode"):
            if not body.get(key):
                raise AwsError("ValidationException", f"1 validation error detected: Value null at '{key[0].lower() + key[1:]}' "
                                                      "failed to satisfy constraint: Member must not be null")
        a = self._acts(ctx.region).get(body["ActivationId"])
        if a is None:
            raise AwsError("InvalidActivationId", BAD_ACTIVATION_ID)
        if body["ActivationCode"] != a.code:
            raise AwsError("InvalidActivation", "The activation isn't valid: the ActivationId and the ActivationCode don't match.")
        if self.clock.now() >= a.expires:
            # the code the real SSM agent logs (aws/amazon-ssm-agent#134)
            raise AwsError("ActivationExpired", "The activation has expired.")
        if a.count >= a.limit:
            raise AwsError("InvalidActivation", "The activation isn't valid: its registration limit is exhausted.")
        if body.get("PublicKeyType", "Rsa") != "Rsa":
            raise AwsError("ValidationException", f"PublicKeyType {body.get('PublicKeyType')!r} isn't valid: only Rsa.")
        inst = self.register_instance(ctx.region, a, public_key=body.get("PublicKey", ""),
                                      public_key_type=body.get("PublicKeyType", "Rsa"),
                                      fingerprint=body.get("Fingerprint", ""))
        return {"InstanceId": inst.id}

    def _rsa_caller(self, op: str, ctx) -> Instance:
        """The instance an RSA-signed agent call comes from (ssm_auth.py), or AwsError.

        As on AWS, the agent signs with `Credential=mi-...` and an RSA-PSS
        signature made with the private half of the key it registered; there
        is no other way in (an unsigned call, or one signed with an access key,
        is MissingAuthenticationTokenException).
        """
        auth_header = ctx.headers.get("authorization", "")
        cred = auth_header.split("Credential=", 1)[1].split("/", 1)[0].strip() if "Credential=" in auth_header else ""
        if not cred.startswith("mi-"):
            raise AwsError("MissingAuthenticationTokenException",
                           f"{op} needs an Authorization header signed with the instance's registered RSA key "
                           "(AWS4-HMAC-SHA256 Credential=mi-..., Signature=<RSA-PSS-SHA256>), as the SSM agent "
                           "does.")
        auth = ssm_auth.parse_authorization(auth_header)
        inst = self.instances.get(auth.access_key)
        if inst is None or inst.region != auth.region:
            raise AwsError("InvalidInstanceId", f"Instance Id {auth.access_key} doesn't match an existing "
                                                f"managed instance in {auth.region}.")
        key = inst.rsa_key()
        if key is None:
            raise AwsError("InvalidSignatureException", f"{inst.id} was registered without an RSA public key; "
                                                        "its calls cannot be verified. Re-register it.")
        req = getattr(ctx, "request", None) or {}
        ssm_auth.verify(key, auth, req.get("method", "POST"), req.get("path", "/"), req.get("query", ""),
                        ctx.headers, req.get("body", b""), now=time.time())
        return inst

    def op_RequestManagedInstanceRoleToken(self, body, ctx):
        inst = self._rsa_caller("RequestManagedInstanceRoleToken", ctx)
        mi = inst.id
        fp = body.get("Fingerprint")
        if inst.fingerprint and fp and fp != inst.fingerprint:
            raise AwsError("AccessDeniedException", "The fingerprint doesn't match the registered one.")
        # earlier keys stay valid (as on AWS, until they expire); all go with DeregisterManagedInstance
        akid = "ASIAEMU" + self.ids.chars(13, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        self.credentials[akid] = inst.id
        return {
            "AccessKeyId": akid,
            "SecretAccessKey": self.ids.chars(40, CODE_ALPHABET),
            "SessionToken": "emulator-" + self.ids.chars(100, CODE_ALPHABET),
            "TokenExpirationDate": self.clock.now() + self.token_lifetime,
            "UpdateKeyPair": bool(inst.update_key_pair),
        }

    def op_UpdateManagedInstancePublicKey(self, body, ctx):
        """Key rotation: signed with the current key; the new key signs from now on."""
        inst = self._rsa_caller("UpdateManagedInstancePublicKey", ctx)
        new_key, new_type = body.get("NewPublicKey"), body.get("NewPublicKeyType", "Rsa")
        if not new_key:
            raise AwsError("ValidationException", "1 validation error detected: Value null at 'newPublicKey' "
                                                  "failed to satisfy constraint: Member must not be null")
        if new_type != "Rsa" or ssm_auth.load_public_key(new_key, new_type) is None:
            raise AwsError("InvalidParameters", "NewPublicKey must be a base64 DER RSA public key (NewPublicKeyType Rsa).")
        inst.public_key, inst.public_key_type = new_key, new_type
        inst.update_key_pair = False
        return {}

    def _require_caller(self, ctx, op: str) -> Instance:
        if not isinstance(ctx.caller, Instance):
            raise AwsError("AccessDeniedException", f"{op} must be signed with a managed instance's credentials (RequestManagedInstanceRoleToken).")
        return ctx.caller

    def op_UpdateInstanceInformation(self, body, ctx):
        inst = self._require_caller(ctx, "UpdateInstanceInformation")
        if body.get("InstanceId") and body["InstanceId"] != inst.id:
            raise AwsError("AccessDeniedException", f"Caller {inst.id} cannot update {body['InstanceId']}.")
        for key in ("AgentName", "AgentVersion", "AgentStatus", "PlatformType", "PlatformName",
                    "PlatformVersion", "IPAddress", "ComputerName"):
            if key in body:
                inst.info[key] = body[key]
        inst.last_ping = self.clock.now()
        return {}

    def op_ListInstanceAssociations(self, body, ctx):
        """No State Manager associations are emulated: always an empty list."""
        inst = self._require_caller(ctx, "ListInstanceAssociations")
        if body.get("InstanceId") and body["InstanceId"] != inst.id:
            raise AwsError("AccessDeniedException", f"Caller {inst.id} cannot list associations of {body['InstanceId']}.")
        return {"Associations": []}

    def _agent_ack(self, op: str, ctx) -> dict[str, Any]:
        self._require_caller(ctx, op)
        return {}

    def op_UpdateInstanceAssociationStatus(self, body, ctx):
        return self._agent_ack("UpdateInstanceAssociationStatus", ctx)

    def op_PutInventory(self, body, ctx):
        return self._agent_ack("PutInventory", ctx)

    def op_PutComplianceItems(self, body, ctx):
        return self._agent_ack("PutComplianceItems", ctx)

    # ------------------------------------------------------------ message delivery (ec2messages, MDS)
    #: operations of EC2WindowsMessageDeliveryService the agent calls; no Run Command is emulated
    MESSAGE_OPS = ("GetMessages", "AcknowledgeMessage", "SendReply", "FailMessage", "DeleteMessage")

    def message_call(self, op: str, body: dict[str, Any], ctx) -> dict[str, Any]:
        """One MDS call. GetMessages answers no messages; the server holds it (long poll) outside the lock."""
        if op not in self.MESSAGE_OPS:
            raise AwsError("UnknownOperationException", f"The emulator does not implement ec2messages {op}.")
        if not isinstance(ctx.caller, Instance):
            raise AwsError("AccessDeniedException", f"{op} must be signed with a managed instance's credentials.")
        inst = ctx.caller
        dest = body.get("Destination")
        if op == "GetMessages":
            if dest != inst.id:
                raise AwsError("AccessDeniedException", f"Caller {inst.id} cannot get messages of {dest}.")
            return {"Destination": dest, "Messages": [], "MessagesRequestId": body.get("MessagesRequestId", "")}
        return {}

    # ------------------------------------------------------------ instances
    def op_DescribeInstanceInformation(self, body, ctx):
        items = [i for i in self.instances.values() if i.region == ctx.region]
        if body.get("InstanceInformationFilterList") and body.get("Filters"):
            raise AwsError("InvalidFilterKey", "Specify either InstanceInformationFilterList or Filters, not both.")
        conds: list[tuple[str, list[str]]] = []
        for f in body.get("InstanceInformationFilterList") or []:
            conds.append((f.get("key", ""), f.get("valueSet") or []))
        for f in body.get("Filters") or []:
            conds.append((f.get("Key", ""), f.get("Values") or []))
        for key, values in conds:
            if not values:
                raise AwsError("InvalidInstanceInformationFilterValue", f"Filter {key} needs values.")
            if key == "InstanceIds":
                items = [i for i in items if i.id in values]
            elif key == "PingStatus":
                items = [i for i in items if self.ping_status(i) in values]
            elif key == "ActivationIds":
                items = [i for i in items if i.activation_id in values]
            elif key == "IamRole":
                items = [i for i in items if i.iam_role in values]
            elif key == "ResourceType":
                items = [i for i in items if "ManagedInstance" in values]
            elif key == "PlatformTypes":
                items = [i for i in items if i.info.get("PlatformType") in values]
            elif key == "AgentVersion":
                items = [i for i in items if i.info.get("AgentVersion") in values]
            elif key == "tag-key":
                items = [i for i in items if any(v in i.tags for v in values)]
            elif key.startswith("tag:"):
                tk = key[4:]
                items = [i for i in items if i.tags.get(tk) in values]
            else:
                raise AwsError("InvalidFilterKey", f"The filter key {key!r} isn't valid.")
        mx = body.get("MaxResults")
        if mx is not None and not 5 <= mx <= 50:
            raise AwsError("ValidationException", f"1 validation error detected: Value '{mx}' at 'maxResults' "
                                                  "failed to satisfy constraint: Member must have value between 5 and 50")
        page, nxt = paginate(items, mx, body.get("NextToken"), "InvalidNextToken", 50, 50)
        out: dict[str, Any] = {"InstanceInformationList": [self._instance_json(i) for i in page]}
        if nxt:
            out["NextToken"] = nxt
        return out

    def _get_instance(self, region: str, mi: Any) -> Instance:
        inst = self.instances.get(mi) if isinstance(mi, str) else None
        if inst is None or inst.region != region:
            raise AwsError("InvalidInstanceId", f"Instance Id {mi} doesn't match an existing managed instance.")
        return inst

    def op_DeregisterManagedInstance(self, body, ctx):
        inst = self._get_instance(ctx.region, body.get("InstanceId"))
        del self.instances[inst.id]
        for k in [k for k, v in self.credentials.items() if v == inst.id]:
            del self.credentials[k]
        return {}

    # ------------------------------------------------------------ tags
    def _tag_target(self, body, ctx) -> dict[str, str] | object:
        rtype = body.get("ResourceType")
        rid = body.get("ResourceId")
        if rtype == "ManagedInstance":
            inst = self.instances.get(rid or "")
            if inst is None or inst.region != ctx.region:
                raise AwsError("InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID and try again.")
            return inst.tags
        if rtype == "Activation":
            a = self._acts(ctx.region).get(rid or "")
            if a is None:
                raise AwsError("InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID and try again.")
            return a.tags
        return NOT_HANDLED

    def op_AddTagsToResource(self, body, ctx):
        tags = self._tag_target(body, ctx)
        if tags is NOT_HANDLED:
            return NOT_HANDLED
        new = _tags_in(body.get("Tags"))
        if len(set(tags) | set(new)) > 50:
            raise AwsError("TooManyTagsError", "The Targets parameter includes too many tags.")
        tags.update(new)
        return {}

    def op_RemoveTagsFromResource(self, body, ctx):
        tags = self._tag_target(body, ctx)
        if tags is NOT_HANDLED:
            return NOT_HANDLED
        for k in body.get("TagKeys") or []:
            tags.pop(k, None)
        return {}

    def op_ListTagsForResource(self, body, ctx):
        tags = self._tag_target(body, ctx)
        if tags is NOT_HANDLED:
            return NOT_HANDLED
        return {"TagList": _tags_out(tags)}

    # ------------------------------------------------------------ state dump
    def dump(self) -> dict[str, Any]:
        return {
            "activations": {r: [dict(self._activation_json(a), Region=r) for a in acts.values()]
                            for r, acts in self.activations.items()},
            "instances": [dict(self._instance_json(i), Region=i.region, Virtual=i.virtual,
                               Tags=_tags_out(i.tags)) for i in self.instances.values()],
        }
