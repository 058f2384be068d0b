"""SSM hybrid activations and managed instances, through boto3 and raw agent calls."""
from __future__ import annotations

import datetime as dt
import json
import re

import botocore.exceptions
import pytest

from .conftest import SSM_TRUST


def _code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def _now(emu) -> dt.datetime:
    return dt.datetime.fromtimestamp(emu.op("GET", "clock")[1]["now"], dt.timezone.utc)


# ---------------------------------------------------------------- activations
def test_create_activation_needs_an_existing_role_trusting_ssm(emu):
    ssm = emu.client("ssm")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.create_activation(IamRole="missing-role")
    assert _code(exc) == "ValidationException"
    assert "missing-role" in exc.value.response["Error"]["Message"]
    iam = emu.client("iam")
    iam.create_role(RoleName="ec2only", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.create_activation(IamRole="ec2only")
    assert _code(exc) == "InvalidParameters"
    iam.create_role(RoleName="good", AssumeRolePolicyDocument=json.dumps(SSM_TRUST))
    out = ssm.create_activation(IamRole="good")
    assert re.fullmatch(r"[0-9a-f-]{36}", out["ActivationId"])
    assert len(out["ActivationCode"]) == 20


def test_registration_limit_bounds(emu):
    role = emu.role()
    ssm = emu.client("ssm")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.create_activation(IamRole=role, RegistrationLimit=1001)
    assert _code(exc) == "ValidationException"
    with pytest.raises(botocore.exceptions.ParamValidationError):  # botocore enforces the minimum itself
        ssm.create_activation(IamRole=role, RegistrationLimit=0)
    for limit in (1, 1000):
        aid = ssm.create_activation(IamRole=role, RegistrationLimit=limit)["ActivationId"]
        got = ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds", "FilterValues": [aid]}])["ActivationList"]
        assert got[0]["RegistrationLimit"] == limit


def test_expiration_default_24h_and_at_most_30_days(emu):
    role = emu.role()
    ssm = emu.client("ssm")
    now = _now(emu)
    aid = ssm.create_activation(IamRole=role)["ActivationId"]
    act = ssm.describe_activations()["ActivationList"][0]
    assert act["ActivationId"] == aid
    assert abs((act["ExpirationDate"] - now).total_seconds() - 24 * 3600) < 60
    assert act["Expired"] is False
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.create_activation(IamRole=role, ExpirationDate=now + dt.timedelta(days=31))
    assert _code(exc) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.create_activation(IamRole=role, ExpirationDate=now - dt.timedelta(hours=1))
    assert _code(exc) == "ValidationException"
    ok = ssm.create_activation(IamRole=role, ExpirationDate=now + dt.timedelta(days=29))["ActivationId"]
    assert ok


def test_describe_activations_fields_filters_pagination(emu):
    role = emu.role()
    emu.role("otherRole")
    ssm = emu.client("ssm")
    ids = [ssm.create_activation(IamRole=role, DefaultInstanceName=f"edge-{i}", Description=f"d{i}",
                                 Tags=[{"Key": "n", "Value": str(i)}])["ActivationId"] for i in range(7)]
    other = ssm.create_activation(IamRole="otherRole")["ActivationId"]
    first = ssm.describe_activations(MaxResults=3)
    assert len(first["ActivationList"]) == 3 and first["NextToken"]
    seen = [a["ActivationId"] for a in first["ActivationList"]]
    token = first["NextToken"]
    while token:
        page = ssm.describe_activations(MaxResults=3, NextToken=token)
        seen += [a["ActivationId"] for a in page["ActivationList"]]
        token = page.get("NextToken")
    assert seen == ids + [other]
    by_role = ssm.describe_activations(Filters=[{"FilterKey": "IamRole", "FilterValues": ["otherRole"]}])["ActivationList"]
    assert [a["ActivationId"] for a in by_role] == [other]
    by_name = ssm.describe_activations(Filters=[{"FilterKey": "DefaultInstanceName", "FilterValues": ["edge-3"]}])["ActivationList"]
    assert [a["ActivationId"] for a in by_name] == [ids[3]]
    a3 = by_name[0]
    assert a3["Description"] == "d3" and a3["IamRole"] == role and a3["RegistrationsCount"] == 0
    assert a3["Tags"] == [{"Key": "n", "Value": "3"}]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.describe_activations(Filters=[{"FilterKey": "Bogus", "FilterValues": ["x"]}])
    assert _code(exc) == "InvalidFilter"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.describe_activations(NextToken="not-a-token")
    assert _code(exc) == "InvalidNextToken"


def test_expired_flag_follows_the_emulator_clock(emu):
    act = emu.activation()
    ssm = emu.client("ssm")
    assert ssm.describe_activations()["ActivationList"][0]["Expired"] is False
    status, clock = emu.op("POST", "clock", {"advance_seconds": 25 * 3600})
    assert status == 200 and clock["offset_seconds"] == 25 * 3600
    assert ssm.describe_activations()["ActivationList"][0]["Expired"] is True
    status, out = emu.raw("AmazonSSM.RegisterManagedInstance", {
        "ActivationId": act["ActivationId"], "ActivationCode": act["ActivationCode"],
        "PublicKey": "k", "PublicKeyType": "Rsa", "Fingerprint": "f"})
    assert status == 400 and out["__type"] == "ActivationExpired"


def test_delete_activation(emu):
    act = emu.activation()
    ssm = emu.client("ssm")
    agent = emu.agent(act)
    ssm.delete_activation(ActivationId=act["ActivationId"])
    assert ssm.describe_activations()["ActivationList"] == []
    # instances registered through it stay
    ids = [i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]]
    assert ids == [agent.mi]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.delete_activation(ActivationId=act["ActivationId"])
    assert _code(exc) == "InvalidActivation"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.delete_activation(ActivationId="not-a-uuid")
    assert _code(exc) == "InvalidActivationId"


# ---------------------------------------------------------------- registration
def test_register_managed_instance_and_refusals(emu):
    act = emu.activation(limit=2)
    body = {"ActivationId": act["ActivationId"], "ActivationCode": act["ActivationCode"],
            "PublicKey": "k", "PublicKeyType": "Rsa", "Fingerprint": "f"}
    status, out = emu.raw("AmazonSSM.RegisterManagedInstance", dict(body, ActivationCode="WRONGCODEWRONGCODE00"))
    assert (status, out["__type"]) == (400, "InvalidActivation")
    status, out = emu.raw("AmazonSSM.RegisterManagedInstance", dict(body, ActivationId="00000000-0000-4000-a000-000000000000"))
    assert (status, out["__type"]) == (400, "InvalidActivationId")
    ids = []
    for _ in range(2):
        status, out = emu.raw("AmazonSSM.RegisterManagedInstance", body)
        assert status == 200
        assert re.fullmatch(r"mi-[0-9a-f]{17}", out["InstanceId"])
        ids.append(out["InstanceId"])
    assert ids[0] != ids[1]
    status, out = emu.raw("AmazonSSM.RegisterManagedInstance", body)
    assert (status, out["__type"]) == (400, "InvalidActivation") and "limit" in out["Message"]
    act_info = emu.client("ssm").describe_activations()["ActivationList"][0]
    assert act_info["RegistrationsCount"] == 2


def test_role_token_and_caller_attribution(emu):
    act = emu.activation()
    agent = emu.agent(act)
    assert agent.creds[0].startswith("ASIAEMU")
    ident = emu.client("sts", agent.creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::123456789012:assumed-role/ecsAnywhereRole/{agent.mi}"
    assert emu.client("sts").get_caller_identity()["Account"] == "123456789012"
    status, out = agent.rsa_call("RequestManagedInstanceRoleToken", {"Fingerprint": "x"}, mi="mi-0123456789abcdef0")
    assert (status, out["__type"]) == (400, "InvalidInstanceId")
    status, out = agent.rsa_call("RequestManagedInstanceRoleToken", {"Fingerprint": "other"})
    assert status == 400 and out["__type"] == "AccessDeniedException"
    # heartbeat must be signed as the instance
    status, out = emu.raw("AmazonSSM.UpdateInstanceInformation", {"InstanceId": agent.mi, "AgentVersion": "1"},
                          creds=("testing", "testing", None))
    assert status == 400 and out["__type"] == "AccessDeniedException"


def test_heartbeats_feed_instance_information_and_connection_lost(emu):
    act = emu.activation(DefaultInstanceName="edge")
    agent = emu.agent(act, "edge-1")
    status, _ = agent.heartbeat(IPAddress="10.1.2.3")
    assert status == 200
    ssm = emu.client("ssm")
    info = ssm.describe_instance_information()["InstanceInformationList"]
    assert len(info) == 1
    i = info[0]
    assert i["InstanceId"] == agent.mi and i["PingStatus"] == "Online"
    assert i["ComputerName"] == "edge-1" and i["IPAddress"] == "10.1.2.3"
    assert i["AgentVersion"] == "3.3.1142.0" and i["PlatformType"] == "Linux"
    assert i["ActivationId"] == act["ActivationId"] and i["IamRole"] == "ecsAnywhereRole"
    assert i["ResourceType"] == "ManagedInstance" and i["Name"] == "edge"
    emu.op("POST", "clock", {"advance_seconds": 400})
    i = ssm.describe_instance_information()["InstanceInformationList"][0]
    assert i["PingStatus"] == "ConnectionLost"
    agent.heartbeat()
    i = ssm.describe_instance_information()["InstanceInformationList"][0]
    assert i["PingStatus"] == "Online"


def test_describe_instance_information_filters(emu):
    ssm = emu.client("ssm")
    a1, a2 = emu.activation(), ssm.create_activation(IamRole="ecsAnywhereRole")
    x, y, z = emu.agent(a1, "x"), emu.agent(a1, "y"), emu.agent(a2, "z")
    emu.op("POST", "clock", {"advance_seconds": 400})
    x.heartbeat()
    y.heartbeat()
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=y.mi, Tags=[{"Key": "role", "Value": "web"}])

    def ids(**kw):
        return sorted(i["InstanceId"] for i in ssm.describe_instance_information(**kw)["InstanceInformationList"])

    assert ids(Filters=[{"Key": "InstanceIds", "Values": [x.mi, z.mi]}]) == sorted([x.mi, z.mi])
    assert ids(Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]) == [z.mi]
    assert ids(InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["Online"]}]) == sorted([x.mi, y.mi])
    assert ids(Filters=[{"Key": "ActivationIds", "Values": [a2["ActivationId"]]}]) == [z.mi]
    assert ids(Filters=[{"Key": "tag:role", "Values": ["web"]}]) == [y.mi]
    assert ids(Filters=[{"Key": "tag-key", "Values": ["role"]}]) == [y.mi]
    page = ssm.describe_instance_information(MaxResults=5)
    assert len(page["InstanceInformationList"]) == 3 and "NextToken" not in page
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.describe_instance_information(Filters=[{"Key": "Bogus", "Values": ["1"]}])
    assert _code(exc) == "InvalidFilterKey"


def test_deregister_managed_instance(emu):
    act = emu.activation()
    agent = emu.agent(act)
    ssm = emu.client("ssm")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.deregister_managed_instance(InstanceId="mi-0123456789abcdef0")
    assert _code(exc) == "InvalidInstanceId"
    ssm.deregister_managed_instance(InstanceId=agent.mi)
    assert ssm.describe_instance_information()["InstanceInformationList"] == []
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.deregister_managed_instance(InstanceId=agent.mi)
    assert _code(exc) == "InvalidInstanceId"
    # its credentials are revoked
    status, out = agent.heartbeat()
    assert status == 400 and out["__type"] == "UnrecognizedClientException"


def test_tags_on_managed_instance_and_activation(emu):
    act = emu.activation()
    agent = emu.agent(act)
    ssm = emu.client("ssm")
    for rtype, rid in (("ManagedInstance", agent.mi), ("Activation", act["ActivationId"])):
        ssm.add_tags_to_resource(ResourceType=rtype, ResourceId=rid,
                                 Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        ssm.add_tags_to_resource(ResourceType=rtype, ResourceId=rid, Tags=[{"Key": "a", "Value": "3"}])
        ssm.remove_tags_from_resource(ResourceType=rtype, ResourceId=rid, TagKeys=["b"])
        assert ssm.list_tags_for_resource(ResourceType=rtype, ResourceId=rid)["TagList"] == [{"Key": "a", "Value": "3"}]
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            ssm.list_tags_for_resource(ResourceType=rtype, ResourceId="mi-0123456789abcdef0")
        assert _code(exc) == "InvalidResourceId"
    assert ssm.describe_activations()["ActivationList"][0]["Tags"] == [{"Key": "a", "Value": "3"}]


def test_rest_of_ssm_is_served_by_moto(emu):
    ssm = emu.client("ssm")
    ssm.put_parameter(Name="/edge/x", Value="1", Type="String")
    assert ssm.get_parameter(Name="/edge/x")["Parameter"]["Value"] == "1"
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/edge/x", Tags=[{"Key": "k", "Value": "v"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/edge/x")["TagList"] == [{"Key": "k", "Value": "v"}]


def test_state_is_per_region(emu):
    emu.activation()
    west = emu.client("ssm", region="us-west-2")
    assert west.describe_activations()["ActivationList"] == []
    assert len(emu.client("ssm").describe_activations()["ActivationList"]) == 1


def test_unsigned_registration_takes_the_region_from_the_host_header(emu):
    role = emu.role()
    act = emu.client("ssm", region="eu-west-1").create_activation(IamRole=role)
    body = {"ActivationId": act["ActivationId"], "ActivationCode": act["ActivationCode"],
            "PublicKey": "k", "PublicKeyType": "Rsa", "Fingerprint": "f"}
    status, out = emu.raw("AmazonSSM.RegisterManagedInstance", body)  # no hint: us-east-1 knows no such activation
    assert (status, out["__type"]) == (400, "InvalidActivationId")
    status, out = emu.raw("AmazonSSM.RegisterManagedInstance", body, headers={"Host": "ssm.eu-west-1.amazonaws.com"})
    assert status == 200
    west = emu.client("ssm", region="eu-west-1").describe_instance_information()["InstanceInformationList"]
    assert [i["InstanceId"] for i in west] == [out["InstanceId"]]
    assert emu.client("ssm").describe_instance_information()["InstanceInformationList"] == []


def test_earlier_role_tokens_stay_valid(emu):
    agent = emu.agent(emu.activation())
    first = agent.creds
    status, tok = agent.rsa_call("RequestManagedInstanceRoleToken", {"Fingerprint": agent.fingerprint})
    assert status == 200 and tok["AccessKeyId"] != first[0]
    for creds in (first, (tok["AccessKeyId"], tok["SecretAccessKey"], tok["SessionToken"])):
        assert emu.client("sts", creds).get_caller_identity()["Arn"].endswith("/" + agent.mi)
