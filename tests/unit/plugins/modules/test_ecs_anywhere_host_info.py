# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ecs_anywhere_host_info and ecs_anywhere_host_credentials main() over files in
a temporary directory (no AWS, no systemd, no package manager needed)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible.module_utils import basic

from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_anywhere_host_credentials
from ansible_collections.edgeops.ecs_anywhere.plugins.modules import ecs_anywhere_host_info

MI = "mi-0123456789abcdef0"


@pytest.fixture
def run(run_module, monkeypatch):
    # No dpkg-query, rpm or systemctl: the module must cope (nulls).
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    return run_module


def _paths(tmp_path):
    return {
        "ssm_registration_file": str(tmp_path / "registration"),
        "ssm_registration_key_file": str(tmp_path / "RegistrationKey"),
        "ssm_config_file": str(tmp_path / "amazon-ssm-agent.json"),
        "ecs_agent_state_file": str(tmp_path / "agent.json"),
        "ecs_config_file": str(tmp_path / "ecs.config"),
        "ecs_metadata_url": "",
    }


def test_info_interrupted_run_then_registered(run, tmp_path):
    paths = _paths(tmp_path)
    (tmp_path / "ecs.config").write_text("ECS_CLUSTER=edge\nAWS_DEFAULT_REGION=us-east-1\n")
    r = run(ecs_anywhere_host_info, dict(paths, cluster="edge", region="us-east-1",
                                         checksum_files=[paths["ecs_config_file"]]), check_mode=True)
    assert r["changed"] is False and r["registration"] == "needs_registration"
    assert r["ecs_config"]["cluster"] == "edge"
    assert r["packages"] == {"amazon-ssm-agent": None, "amazon-ecs-init": None}
    assert r["services"]["docker"] == {"load_state": None, "active_state": None, "unit_file_state": None}
    assert len(r["checksums"][paths["ecs_config_file"]]) == 64

    (tmp_path / "registration").write_text(json.dumps({"ManagedInstanceID": MI, "Region": "us-east-1"}))
    (tmp_path / "RegistrationKey").write_text("secret-key-material")
    r = run(ecs_anywhere_host_info, dict(paths, cluster="edge", region="us-east-1"))
    assert r["changed"] is False and r["registration"] == "registered"
    assert r["ssm"]["managed_instance_id"] == MI and r["ssm"]["registration_key_present"] is True
    assert "secret-key-material" not in json.dumps(r)


def test_info_registered_elsewhere(run, tmp_path):
    paths = _paths(tmp_path)
    (tmp_path / "registration").write_text(json.dumps({"ManagedInstanceID": MI, "Region": "us-east-1"}))
    arn = "arn:aws:ecs:us-east-1:123456789012:container-instance/other/abc"
    (tmp_path / "agent.json").write_text(json.dumps({"ContainerInstanceArn": arn, "Cluster": "other",
                                                     "Region": "us-east-1"}))
    r = run(ecs_anywhere_host_info, dict(paths, cluster="edge", region="us-east-1"))
    assert r["registration"] == "registered_elsewhere"
    assert r["reasons"] == ["ECS container instance %s is registered to cluster other" % arn]


def test_info_unreachable_introspection(run, tmp_path):
    paths = dict(_paths(tmp_path), ecs_metadata_url="http://127.0.0.1:9/v1/metadata", ecs_metadata_timeout=1)
    r = run(ecs_anywhere_host_info, dict(paths, cluster="edge", region="us-east-1"))
    assert r["ecs_agent"]["source"] is None and r["registration"] == "needs_registration"


CREDS = ("# Written by amazon-ssm-agent\n[default]\naws_access_key_id = ASIAEMU1\n"
         "aws_secret_access_key = agent-secret\naws_session_token = t1\n"
         "[other-team]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other-secret\n")


def test_credentials_keeps_other_profiles(run, tmp_path):
    path = tmp_path / "credentials"
    path.write_text(CREDS)
    os.chmod(path, 0o600)
    r = run(ecs_anywhere_host_credentials, {"path": str(path)}, check_mode=True, diff=True)
    assert r["changed"] and r["removed"] and not r["file_removed"] and r["remaining_profiles"] == ["other-team"]
    assert r["diff"]["before"] == "[default]\n[other-team]\n" and r["diff"]["after"] == "[other-team]\n"
    assert "secret" not in json.dumps(r)
    assert path.read_text() == CREDS  # check mode wrote nothing

    r = run(ecs_anywhere_host_credentials, {"path": str(path)})
    assert r["changed"] and r["removed"] and not r["file_removed"]
    text = path.read_text()
    assert "[other-team]" in text and "other-secret" in text and "[default]" not in text and "agent-secret" not in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    r = run(ecs_anywhere_host_credentials, {"path": str(path)})
    assert not r["changed"] and r["remaining_profiles"] == ["other-team"] and path.read_text() == text


def test_credentials_file_removed_when_nothing_left(run, tmp_path):
    path = tmp_path / "credentials"
    path.write_text("# Written by amazon-ssm-agent\n[default]\naws_access_key_id = ASIAEMU1\n")
    r = run(ecs_anywhere_host_credentials, {"path": str(path)}, check_mode=True)
    assert r["changed"] and r["file_removed"] and path.exists()
    r = run(ecs_anywhere_host_credentials, {"path": str(path)})
    assert r["changed"] and r["file_removed"] and not path.exists()
    r = run(ecs_anywhere_host_credentials, {"path": str(path)})
    assert not r["changed"] and not r["removed"]


def test_credentials_named_profile(run, tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[default]\nk = 1\n[ssm-instance]\nk = 2\n")
    r = run(ecs_anywhere_host_credentials, {"path": str(path), "profile": "ssm-instance"})
    assert r["changed"] and path.read_text() == "[default]\nk = 1\n"


def test_info_ports_modes_leftovers_on_this_machine(run, tmp_path):
    """The module's own answers from /proc and os: a socket this test listens on is held by this process."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        paths = _paths(tmp_path)
        (tmp_path / "ecs.config").write_text("ECS_CLUSTER=edge\n")
        os.chmod(str(tmp_path / "ecs.config"), 0o600)
        (tmp_path / "ecs-anywhere-host.x1").mkdir()
        (tmp_path / "policy-rc.d").write_text("exit 101\n")
        r = run(ecs_anywhere_host_info, dict(paths, cluster="edge", packages=[], services=[], ports=[port],
                                             checksum_files=[paths["ecs_config_file"]],
                                             leftover_globs=[str(tmp_path / "ecs-anywhere-host.*")],
                                             leftover_markers={str(tmp_path / "policy-rc.d"): "edgeops"}))
    finally:
        listener.close()
    assert r["ports"][0]["port"] == port and r["ports"][0]["free"] is False
    assert r["ports"][0]["holders"] == ["process %s (pid %d)" % (open("/proc/self/comm").read().strip(), os.getpid())]
    assert r["modes"] == {paths["ecs_config_file"]: "0600"}
    assert r["leftovers"] == [str(tmp_path / "ecs-anywhere-host.x1")]
    assert r["euid"] == os.geteuid()
