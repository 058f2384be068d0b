#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resources of ANOTHER workload in the emulator (moto IAM, the emulator's ECS), made and
read with plain boto3, to prove the role never changes or deletes them. On a real
account (no aws_endpoint_url in CONFIG) only `account`, `cluster` and `show-cluster`
are used (runme.sh), with boto3's credentials from the environment.

Usage: foreign.py CONFIG create NAME SERVICE [POLICY_ARN ...]
       foreign.py CONFIG show NAME
       foreign.py CONFIG delete NAME
       foreign.py CONFIG cluster NAME          (an ECS cluster without any tag, as older versions made)
       foreign.py CONFIG show-cluster NAME     (prints {"status": ..., "tags": {...}} or {"exists": false})
       foreign.py CONFIG delete-cluster NAME   (clean-up of `cluster`)
       foreign.py CONFIG account               (prints the account id)

CONFIG is the target's integration_config.yml (aws_endpoint_url, aws_region, keys:
each optional but the region).
create: the role trusts SERVICE (with an aws:SourceAccount condition, which a re-trust would
drop), has the description "another workload", the tag owner=payments-team, the AWS-managed
POLICY_ARNs, a customer-managed policy OtherWorkloadPolicy attached and an inline policy
other-workload-inline: everything a purge, re-trust, re-tag or delete would change.
show: prints, as sorted JSON, what must never change (or {"exists": false}).
delete: removes the role and what create attached (clean-up).
"""

import json
import os
import sys

import boto3
import botocore.config
import yaml

OTHER_POLICY = "OtherWorkloadPolicy"
INLINE = "other-workload-inline"
DOC = {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other-workload/*"}]}


def clients(config_path):
    with open(config_path, encoding="utf-8") as handle:
        cfg = yaml.safe_load(handle) or {}
    # IT_EXTRA_CONFIG: ansible-test's variables file (-e @..., JSON: the cloud config's
    # keys, security_token), which wins as extra vars do
    if os.environ.get("IT_EXTRA_CONFIG"):
        with open(os.environ["IT_EXTRA_CONFIG"], encoding="utf-8") as handle:
            cfg.update(yaml.safe_load(handle) or {})
    kwargs = dict(endpoint_url=cfg.get("aws_endpoint_url"), region_name=cfg["aws_region"],
                  aws_access_key_id=cfg.get("aws_access_key"), aws_secret_access_key=cfg.get("aws_secret_key"),
                  aws_session_token=cfg.get("security_token") or None,
                  config=botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"}))
    return (boto3.client("iam", **kwargs), boto3.client("sts", **kwargs).get_caller_identity()["Account"],
            boto3.client("ecs", **kwargs))


def create(iam, account, name, service, policies):
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description="another workload",
                    Tags=[{"Key": "owner", "Value": "payments-team"}])
    other_arn = f"arn:aws:iam::{account}:policy/{OTHER_POLICY}"
    try:
        iam.create_policy(PolicyName=OTHER_POLICY, PolicyDocument=json.dumps(DOC))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    for arn in [*policies, other_arn]:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    iam.put_role_policy(RoleName=name, PolicyName=INLINE, PolicyDocument=json.dumps(DOC))


def show(iam, name):
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return {"exists": False}
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    inline = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
              for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
    return {
        "exists": True,
        "path": role["Path"],
        "description": role.get("Description"),
        "trust": role["AssumeRolePolicyDocument"],
        "boundary": role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        "tags": {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]},
        "attached": sorted(p["PolicyArn"] for p in attached),
        "inline": inline,
    }


def delete(iam, name):
    try:
        for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=p)
        iam.delete_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        pass


def show_cluster(ecs, name):
    found = [c for c in ecs.describe_clusters(clusters=[name], include=["TAGS"])["clusters"]
             if c["status"] == "ACTIVE"]
    if not found:
        return {"exists": False}
    return {"exists": True, "status": found[0]["status"],
            "tags": {t["key"]: t["value"] for t in found[0].get("tags") or []}}


def main(argv):
    config, action, *rest = argv
    name = rest.pop(0) if rest else None
    iam, account, ecs = clients(config)
    if action == "account":
        print(account)
    elif action == "create":
        create(iam, account, name, rest[0], rest[1:])
    elif action == "show":
        print(json.dumps(show(iam, name), sort_keys=True, indent=1))
    elif action == "delete":
        delete(iam, name)
    elif action == "cluster":
        ecs.create_cluster(clusterName=name)
    elif action == "delete-cluster":
        if show_cluster(ecs, name)["exists"]:
            ecs.delete_cluster(cluster=name)
    elif action == "show-cluster":
        print(json.dumps(show_cluster(ecs, name), sort_keys=True))
    else:
        raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main(sys.argv[1:])
