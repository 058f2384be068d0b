"""Assertions over `ansible-inventory --list` output and health.yml's JSON report.

usage: check.py <what> <state.json> <file>   (what: fleet, tagged, ssm, cached-before, cached-after, health)"""
import json
import sys


def hostvars(listing):
    return listing["_meta"]["hostvars"]


def group(listing, name):
    return sorted(listing.get(name, {}).get("hosts", []))


def unsafe(value):
    """ansible-inventory --list marks strings {"__ansible_unsafe": ...}."""
    if isinstance(value, dict) and set(value) == {"__ansible_unsafe"}:
        return value["__ansible_unsafe"]
    if isinstance(value, dict):
        return {k: unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsafe(v) for v in value]
    return value


def check_fleet(state, listing):
    hosts = state["hosts"]
    hv = {k: unsafe(v) for k, v in hostvars(listing).items()}
    fleet = sorted(n for n, h in hosts.items() if h["group"] not in ("other", "ok"))
    assert sorted(hv) == fleet, f"hosts {sorted(hv)} != {fleet}"
    one = hv["it-fleet-1"]
    assert one["managed_instance_id"] == hosts["it-fleet-1"]["instance_id"], one
    assert one["container_instance_arn"] == hosts["it-fleet-1"]["container_instance_arn"], one
    assert (one["cluster"], one["ecs_status"], one["agent_connected"], one["ping_status"]) == (
        "it-fleet", "ACTIVE", True, "Online"), one
    assert (one["ssm_agent_version"], one["ecs_agent_version"]) == ("3.3.1142.0", "1.105.1"), one
    assert one["computer_name"] == "it-fleet-1" and one["ip_address"] and one["platform_name"] == "Debian GNU/Linux"
    assert one["docker_version"] and one["running_tasks_count"] == 0
    assert "ecs.capability.external" in one["attributes"], one["attributes"]
    assert one["ansible_host"] == one["ip_address"]                                  # compose
    lost = hv["it-lost-1"]
    assert (lost["agent_connected"], lost["ping_status"]) == (False, "ConnectionLost"), lost
    gone = hv["it-gone-1"]
    assert (gone["ecs_registered"], gone["cluster"], gone["ssm_registered"]) == (False, None, True), gone
    plain = hv["it-plain-1"]
    assert (plain["ecs_registered"], plain["container_instance_arn"]) == (False, None), plain
    assert hv["it-old-1"]["ssm_agent_version"] == "3.3.0.0"
    assert group(listing, "ecs_anywhere") == fleet
    registered = sorted(n for n in fleet if n not in ("it-gone-1", "it-plain-1"))
    assert group(listing, "ecs_anywhere_edge") == registered, group(listing, "ecs_anywhere_edge")
    assert group(listing, "cluster_it_fleet") == registered, group(listing, "cluster_it_fleet")
    assert group(listing, "disconnected") == ["it-lost-1"]
    assert group(listing, "not_in_ecs") == ["it-gone-1", "it-plain-1"]
    assert group(listing, "ping_ConnectionLost") == ["it-lost-1"]
    assert "it-lost-1" not in group(listing, "ping_Online")


def check_tagged(state, listing):
    hv = {k: unsafe(v) for k, v in hostvars(listing).items()}
    assert sorted(hv) == ["north"], sorted(hv)                                       # hostnames tag:Site
    assert hv["north"]["managed_instance_id"] == state["hosts"]["it-tagged-1"]["instance_id"]
    assert hv["north"]["tags"] == {"Site": "north"}


def check_ssm(state, listing):
    hv = {k: unsafe(v) for k, v in hostvars(listing).items()}
    assert "IT-FLEET-1" in hv and "IT-OTHER-1" not in hv and "IT-OK-1" not in hv, sorted(hv)
    for name, v in hv.items():
        assert v["ansible_connection"] == "amazon.aws.aws_ssm", (name, v)
        assert v["ansible_host"] == v["managed_instance_id"] and v["ansible_host"].startswith("mi-")
        assert v["ansible_aws_ssm_region"] == state["region"] and v["ansible_aws_ssm_bucket_name"] == "it-transfer"


def check_cached(expected):
    def check(state, listing):
        assert sorted(hostvars(listing)) == expected, sorted(hostvars(listing))
    return check


def check_health(state, report):
    c = report["clusters"]["it-fleet"]
    assert report["healthy"] is False
    assert [e["host"] for e in c["agent_disconnected"]] == ["it-lost-1"], c["agent_disconnected"]
    assert [(e["host"], e["ping_status"]) for e in c["ping_lost"]] == [("it-lost-1", "ConnectionLost")], c["ping_lost"]
    drift = sorted((e["host"], e["component"], e["running"], e["pinned"], e["relation"]) for e in c["version_drift"])
    assert drift == [("it-old-1", "amazon-ssm-agent", "3.3.0.0", "3.3.1142.0", "older"),
                     ("it-old-1", "ecs-agent", "1.80.0", "1.105.1", "older")], drift
    orphans = sorted((o["host"], o["monthly_cost"]) for o in c["orphans"])
    assert orphans == [("it-orphan-1", 7.48), ("it-tagged-1", 7.48)], orphans
    assert report["orphan_monthly_cost"] == 14.96
    missing = {e["host"]: e["reason"] for e in report["not_registered"]}
    assert sorted(missing) == ["it-gone-1", "it-missing-1", "it-plain-1"], missing
    assert missing["it-missing-1"] == "registered in neither SSM nor ECS"
    assert "in none of the clusters" in missing["it-plain-1"]
    # the other fleet's managed instance is not this fleet's orphan
    assert "it-other-1" not in json.dumps(report)
    assert report["pinned"] == {"ssm_agent_version": "3.3.1142.0", "ecs_init_version": "1.105.1-1",
                                "ecs_agent_version": "1.105.1"}


def main(what, state_path, path):
    with open(state_path) as f:
        state = json.load(f)
    with open(path) as f:
        data = json.load(f)
    checks = {"fleet": check_fleet, "tagged": check_tagged, "ssm": check_ssm, "health": check_health,
              "cached-before": check_cached(["it-ok-1", "it-ok-2"]),
              "cached-after": check_cached(["it-ok-1", "it-ok-2", "it-ok-3"])}
    checks[what](state, data)
    print(f"ok: {what}")


if __name__ == "__main__":
    main(*sys.argv[1:])
