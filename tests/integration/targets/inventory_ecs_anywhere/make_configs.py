"""Write the inventory plugin configurations the target uses (from fleet_setup.py's state).

usage: make_configs.py <state.json> <dir>"""
import json
import os
import sys

import yaml


def main(state_path, out):
    with open(state_path) as f:
        state = json.load(f)
    base = {"plugin": "edgeops.ecs_anywhere.ecs_anywhere", "endpoint_url": state["endpoint_url"],
            "access_key": state["access_key"], "secret_key": state["secret_key"], "regions": [state["region"]]}
    configs = {
        "fleet": dict(base, clusters=["it-fleet"], activation_ids=[state["activation_id"]],
                      keyed_groups=[{"key": "ping_status", "prefix": "ping"}, {"key": "cluster", "prefix": "cluster"}],
                      groups={"ecs_anywhere_edge": "ecs_registered",
                              "disconnected": "ecs_registered and not agent_connected",
                              "not_in_ecs": "not ecs_registered"},
                      compose={"ansible_host": "ip_address"}),
        "tagged": dict(base, clusters=["it-fleet"], tags={"Site": "north"}, include_tags=True,
                       hostnames=["tag:Site", "computer_name"]),
        "ssm": dict(base, clusters=["it-fleet"], ssm_names=["ecs-anywhere-it-fleet-*"], use_ssm_connection=True,
                    ssm_bucket_name="it-transfer", hostnames=["short_name | upper"]),
        "missing": dict(base, clusters=["it-fleet", "it-no-such-cluster"]),
        "cached": dict(base, clusters=["it-fleet-ok"], ssm_names=["it-ok-*"], cache=True,
                       cache_plugin="ansible.builtin.jsonfile", cache_connection=os.path.join(out, "cache"),
                       cache_timeout=3600),
    }
    for name, config in configs.items():
        with open(os.path.join(out, f"{name}.ecs_anywhere.yml"), "w") as f:
            yaml.safe_dump(config, f, sort_keys=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
