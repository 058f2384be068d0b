# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The inventory plugin over the fake AWS: host names, variables, groups."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

from ansible_collections.edgeops.ecs_anywhere.plugins.inventory.ecs_anywhere import InventoryModule
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import fleet


# The options as the documentation defaults them (the plugin is built directly, as
# pytest runs without a collection loader for inventory_loader).
DEFAULTS = {
    "plugin": "edgeops.ecs_anywhere.ecs_anywhere", "regions": ["us-east-1"], "clusters": [], "activation_ids": [],
    "tags": {}, "ssm_names": [], "include_tags": False, "hostnames": ["computer_name", "managed_instance_id"],
    "hostvars_prefix": "", "hostvars_suffix": "", "strict_permissions": True, "use_ssm_connection": False,
    "ssm_bucket_name": None, "strict": False, "compose": {}, "groups": {}, "keyed_groups": [],
    "use_extra_vars": False, "leading_separator": True, "cache": False,
}


@pytest.fixture
def plugin():
    def make(**options):
        p = InventoryModule()
        p.inventory = InventoryData()
        p.templar = Templar(loader=DataLoader())
        p._options = dict(DEFAULTS, **options)
        return p

    return make


def _results(aws):
    aws.raw_ecs.add_cluster("edge")
    mis = []
    for name in ("edge-1.site-a.example", "edge-2.site-a.example"):
        mi = aws.raw_ssm.add_managed(name)
        aws.raw_ecs.add_instance("edge", mi)
        mis.append(mi)
    arn = [a for a, i in aws.raw_ecs.instances.items() if i["ec2InstanceId"] == mis[1]][0]
    aws.raw_ecs.instances[arn]["agentConnected"] = False
    aws.raw_ssm.managed[mis[1]]["PingStatus"] = "ConnectionLost"
    mis.append(aws.raw_ssm.add_managed("plain-1"))          # not in ECS
    mis.append(aws.raw_ssm.add_managed("edge-1.site-b.example"))  # same short name as edge-1
    records, warnings = fleet.collect(aws.ecs, aws.ssm, ["edge"], region="us-east-1")
    return mis, {"records": records, "warnings": warnings}


def test_default_names_variables_and_group(aws, plugin):
    mis, results = _results(aws)
    p = plugin()
    p._populate(results)
    inv = p.inventory
    assert sorted(h.name for h in inv.groups["ecs_anywhere"].get_hosts()) == [
        "edge-1.site-a.example", "edge-1.site-b.example", "edge-2.site-a.example", "plain-1"]
    host = inv.get_host("edge-2.site-a.example").get_vars()
    assert host["managed_instance_id"] == mis[1]
    assert host["cluster"] == "edge" and host["agent_connected"] is False and host["ping_status"] == "ConnectionLost"
    assert host["ecs_registered"] is True and host["region"] == "us-east-1"
    assert "ansible_connection" not in host
    assert inv.get_host("plain-1").get_vars()["ecs_status"] is None


def test_hostnames_preference_falls_through_taken_and_empty_names(aws, plugin):
    mis, results = _results(aws)
    p = plugin(hostnames=["short_name", trust_as_template("computer_name | upper"), "managed_instance_id"])
    p._populate(results)
    names = sorted(h.name for h in p.inventory.groups["ecs_anywhere"].get_hosts())
    # edge-1 is taken by site-a's host; site-b's gets the next preference (a Jinja2 expression)
    assert names == ["EDGE-1.SITE-B.EXAMPLE", "edge-1", "edge-2", "plain-1"]


def test_hostnames_dict_prefix_and_fallback_to_mi_id(aws, plugin):
    mis, results = _results(aws)
    results["records"].append(dict(results["records"][0], managed_instance_id="mi-%017x" % 4242, computer_name=None,
                                   ssm_registered=False))
    p = plugin(hostnames=[{"name": "short_name", "prefix": "cluster", "separator": "-"}])
    p._populate(results)
    names = sorted(h.name for h in p.inventory.groups["ecs_anywhere"].get_hosts())
    # no prefix value (no cluster) -> the name alone; no name at all -> the mi- id
    assert "edge-edge-1" in names and "edge-edge-2" in names and "plain-1" in names
    assert "edge-1" in names         # site-b's edge-1 is in no cluster: no prefix value, the name alone
    assert mis[3] not in names
    assert "mi-%017x" % 4242 in names


def test_unknown_hostname_preference_fails_clearly(aws, plugin):
    dummy, results = _results(aws)
    with pytest.raises(AnsibleError, match="hostnames entry 'computername' is neither a host variable"):
        plugin(hostnames=["computername"])._populate(results)
    with pytest.raises(AnsibleError, match="needs include_tags"):
        plugin(hostnames=["tag:Site"])._populate(results)


def test_constructed_groups_keyed_groups_compose_and_prefix(aws, plugin):
    mis, results = _results(aws)
    p = plugin(
        hostnames=["managed_instance_id"],
        hostvars_prefix="ea_",
        keyed_groups=[{"key": trust_as_template("ea_ping_status"), "prefix": "ping"},
                      {"key": trust_as_template("ea_cluster"), "prefix": "cluster"}],
        groups={"ecs_anywhere_edge": trust_as_template("ea_ecs_registered"),
                "disconnected": trust_as_template("ea_ecs_registered and not ea_agent_connected"),
                "not_in_ecs": trust_as_template("not ea_ecs_registered")},
        compose={"ansible_host": trust_as_template("ea_ip_address")},
    )
    p._populate(results)
    groups = {name: sorted(h.name for h in g.get_hosts()) for name, g in p.inventory.groups.items()}
    assert groups["ecs_anywhere_edge"] == sorted(mis[:2])
    assert groups["disconnected"] == [mis[1]]
    assert groups["not_in_ecs"] == sorted(mis[2:])
    assert groups["ping_ConnectionLost"] == [mis[1]]
    assert groups["ping_Online"] == sorted([mis[0]] + mis[2:])
    assert groups["cluster_edge"] == sorted(mis[:2])
    host = p.inventory.get_host(mis[0]).get_vars()
    assert host["ea_managed_instance_id"] == mis[0] and "managed_instance_id" not in host
    assert host["ansible_host"] == host["ea_ip_address"]


def test_use_ssm_connection(aws, plugin):
    mis, results = _results(aws)
    results["records"].append(dict(results["records"][0], managed_instance_id="mi-%017x" % 4242,
                                   computer_name="ssm-gone", ssm_registered=False))
    p = plugin(use_ssm_connection=True, ssm_bucket_name="transfer-bucket")
    p._populate(results)
    host = p.inventory.get_host("plain-1").get_vars()
    assert host["ansible_connection"] == "amazon.aws.aws_ssm"
    assert host["ansible_host"] == mis[2]
    assert host["ansible_aws_ssm_region"] == "us-east-1"
    assert host["ansible_aws_ssm_bucket_name"] == "transfer-bucket"
    # SSM does not list it: Session Manager cannot reach it either
    assert "ansible_connection" not in p.inventory.get_host("ssm-gone").get_vars()


def test_config_file_names(plugin, tmp_path):
    p = plugin()
    for name, ok in (("fleet.ecs_anywhere.yml", True), ("fleet.ecs_anywhere.yaml", True),
                     ("fleet.aws_ec2.yml", False), ("fleet.yml", False)):
        path = tmp_path / name
        path.write_text("plugin: edgeops.ecs_anywhere.ecs_anywhere\n")
        assert p.verify_file(str(path)) is ok, name
