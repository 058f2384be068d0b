# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""host_state: parsing of missing, partial, corrupt and foreign host files, and
every branch of the registration rule."""

from __future__ import annotations

import json

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import host_state as hs

MI = "mi-0123456789abcdef0"
ARN = "arn:aws:ecs:us-east-1:123456789012:container-instance/edge/0123abcd"
OTHER_ARN = "arn:aws:ecs:eu-west-1:123456789012:container-instance/other/0123abcd"
REG = hs.DEFAULT_PATHS["ssm_registration_file"]
KEY = hs.DEFAULT_PATHS["ssm_registration_key_file"]
AGENT = hs.DEFAULT_PATHS["ecs_agent_state_file"]
ECS_CONFIG = hs.DEFAULT_PATHS["ecs_config_file"]
SSM_CONFIG = hs.DEFAULT_PATHS["ssm_config_file"]


def _reg(mi=MI, region="us-east-1"):
    return json.dumps({"ManagedInstanceID": mi, "Region": region})


# ---------------------------------------------------------------- SSM registration
@pytest.mark.parametrize("text, error", [
    (None, None),
    ("", "empty"),
    ("  \n", "empty"),
    ('{"ManagedInstanceID": "mi-', "not valid JSON"),
    ("[]", "not a JSON object"),
    ('{"Region": "us-east-1"}', "holds no ManagedInstanceID"),
    ('{"ManagedInstanceID": "", "Region": "us-east-1"}', "holds no ManagedInstanceID"),
    ('{"ManagedInstanceID": "i-0123456789abcdef0", "Region": "us-east-1"}', "is not a managed instance id"),
    ('{"ManagedInstanceID": "mi-0123456789abcdef0\\n", "Region": "us-east-1"}', "is not a managed instance id"),
    ('{"ManagedInstanceID": "mi-0123", "Region": "us-east-1"}', "is not a managed instance id"),
    ('{"ManagedInstanceID": 42, "Region": "us-east-1"}', "holds no ManagedInstanceID"),
    ('{"ManagedInstanceID": "mi-0123456789abcdef0"}', "names no Region"),
])
def test_unusable_ssm_registration(text, error):
    r = hs.parse_ssm_registration(text)
    assert r["usable"] is False
    assert r["present"] is (text is not None)
    if error is None:
        assert r["error"] is None
    else:
        assert error in r["error"]


def test_usable_ssm_registration():
    r = hs.parse_ssm_registration(_reg())
    assert r == {"present": True, "usable": True, "managed_instance_id": MI, "region": "us-east-1", "error": None}


# ---------------------------------------------------------------- ECS agent state
def test_agent_state_file():
    r = hs.parse_ecs_agent_state(json.dumps({"ContainerInstanceArn": ARN, "Cluster": "edge", "Region": "us-east-1"}))
    assert r["source"] == "state_file" and r["container_instance_arn"] == ARN
    assert r["cluster"] == "edge" and r["cluster_name"] == "edge" and r["region"] == "us-east-1"


def test_agent_state_region_and_cluster_name_from_arns():
    cluster_arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/other"
    r = hs.parse_ecs_agent_state(json.dumps({"ContainerInstanceArn": OTHER_ARN, "Cluster": cluster_arn}))
    assert r["cluster_name"] == "other" and r["region"] == "eu-west-1"


@pytest.mark.parametrize("text, error", [
    (None, None),
    ("", "empty"),
    ("{not json", "not valid JSON"),
    ('"a string"', "not a JSON object"),
    ('{"Cluster": "edge"}', "no ContainerInstanceArn"),
])
def test_agent_state_missing_or_broken(text, error):
    r = hs.parse_ecs_agent_state(text)
    assert r["source"] is None and r["container_instance_arn"] is None
    assert (r["error"] is None) if error is None else (error in r["error"])


def test_metadata_before_registration_names_nothing():
    r = hs.parse_ecs_metadata(json.dumps({"Cluster": "edge", "ContainerInstanceArn": None, "Version": "x"}))
    assert r["source"] is None and r["error"] is None


def test_metadata_after_registration():
    r = hs.parse_ecs_metadata(json.dumps({"Cluster": "edge", "ContainerInstanceArn": ARN}))
    assert r["source"] == "introspection" and r["region"] == "us-east-1" and r["cluster_name"] == "edge"


# ---------------------------------------------------------------- small parsers
def test_env_file():
    text = ('# comment\n\nECS_CLUSTER="edge"\nexport AWS_DEFAULT_REGION = eu-west-1 \nBROKEN LINE\n'
            "ECS_LOGLEVEL='debug'\nECS_CLUSTER=edge2\n")
    assert hs.parse_env_file(text) == {"ECS_CLUSTER": "edge2", "AWS_DEFAULT_REGION": "eu-west-1", "ECS_LOGLEVEL": "debug"}
    assert hs.parse_ecs_config(None) == {"present": False, "cluster": None, "region": None}
    assert hs.parse_ecs_config("ECS_CLUSTER=\n") == {"present": True, "cluster": None, "region": None}


@pytest.mark.parametrize("text, profile", [
    (None, "default"),
    ("garbage", "default"),
    ('{"Ssm": {"Endpoint": "http://x"}}', "default"),
    ('{"Profile": {"ShareCreds": true, "ShareProfile": ""}}', "default"),
    ('{"Profile": {"ShareCreds": true, "ShareProfile": "ssm-instance"}}', "ssm-instance"),
])
def test_share_profile(text, profile):
    assert hs.parse_ssm_share_profile(text) == profile


def test_package_query_and_systemctl():
    out = "amazon-ssm-agent\tinstalled\t3.3.1957.0-1\namazon-ecs-init\tconfig-files\t1.89.2-1\n"
    assert hs.parse_package_query(out, ["amazon-ssm-agent", "amazon-ecs-init", "docker.io"]) == {
        "amazon-ssm-agent": "3.3.1957.0-1", "amazon-ecs-init": None, "docker.io": None}
    assert hs.parse_package_query("package amazon-ssm-agent is not installed\n", ["amazon-ssm-agent"]) == {
        "amazon-ssm-agent": None}
    assert hs.parse_systemctl_show("LoadState=not-found\nActiveState=inactive\nUnitFileState=\n") == {
        "load_state": "not-found", "active_state": "inactive", "unit_file_state": None}
    assert hs.cluster_name("") is None and hs.region_from_arn("edge") is None


# ---------------------------------------------------------------- the rule
def _ssm(text):
    return hs.parse_ssm_registration(text)


def _ecs(cluster="edge", region="us-east-1", arn=ARN):
    return hs.parse_ecs_agent_state(json.dumps({"ContainerInstanceArn": arn, "Cluster": cluster, "Region": region}))


def test_rule_needs_registration_without_ssm_registration():
    state, reasons = hs.decide(_ssm(None), hs.empty_ecs_state(), "edge", "us-east-1")
    assert state == hs.NEEDS_REGISTRATION and "missing" in reasons[0]


def test_rule_corrupt_registration_needs_registration_even_with_foreign_ecs_state():
    state, reasons = hs.decide(_ssm("{"), _ecs(cluster="other"), "edge", "us-east-1")
    assert state == hs.NEEDS_REGISTRATION
    assert "not valid JSON" in reasons[0] and ARN in reasons[1]


def test_rule_ssm_in_another_region_is_elsewhere():
    state, reasons = hs.decide(_ssm(_reg(region="eu-west-1")), hs.empty_ecs_state(), "edge", "us-east-1")
    assert state == hs.REGISTERED_ELSEWHERE
    assert reasons == ["SSM managed instance %s is registered in region eu-west-1" % MI]


def test_rule_ecs_in_another_cluster_is_elsewhere():
    state, reasons = hs.decide(_ssm(_reg()), _ecs(cluster="other"), "edge", "us-east-1")
    assert state == hs.REGISTERED_ELSEWHERE
    assert reasons == ["ECS container instance %s is registered to cluster other" % ARN]


def test_rule_ecs_in_another_region_is_elsewhere():
    state, reasons = hs.decide(_ssm(_reg()), _ecs(region="eu-west-1"), "edge", "us-east-1")
    assert state == hs.REGISTERED_ELSEWHERE
    assert reasons == ["ECS container instance %s is registered in region eu-west-1" % ARN]


def test_rule_all_conflicts_listed():
    state, reasons = hs.decide(_ssm(_reg(region="eu-west-1")), _ecs(cluster="other", region="eu-west-1"),
                               "edge", "us-east-1")
    assert state == hs.REGISTERED_ELSEWHERE and len(reasons) == 3


def test_rule_registered():
    state, reasons = hs.decide(_ssm(_reg()), _ecs(), "edge", "us-east-1")
    assert state == hs.REGISTERED and MI in reasons[0] and ARN in reasons[1]
    # cluster given as an ARN compares by name
    state = hs.decide(_ssm(_reg()), _ecs(cluster="arn:aws:ecs:us-east-1:123456789012:cluster/edge"),
                      "edge", "us-east-1")[0]
    assert state == hs.REGISTERED


def test_rule_registered_before_the_ecs_agent_registered():
    state, reasons = hs.decide(_ssm(_reg()), hs.empty_ecs_state(), "edge", "us-east-1")
    assert state == hs.REGISTERED and "not registered a container instance" in reasons[1]


def test_rule_empty_inputs_skip_comparisons():
    state = hs.decide(_ssm(_reg(region="eu-west-1")), _ecs(cluster="other", region="eu-west-1"), None, None)[0]
    assert state == hs.REGISTERED


# ---------------------------------------------------------------- probe
class Host:
    """Files, commands and the introspection API of a fake host."""

    def __init__(self, files=None, metadata=None, binaries=("dpkg-query", "systemctl")):
        self.files = dict(files or {})
        self.metadata = metadata
        self.binaries = binaries
        self.commands = []
        self.fetched = []

    def read_file(self, path):
        value = self.files.get(path)
        return value.encode() if isinstance(value, str) else value

    def run_command(self, argv):
        self.commands.append(argv)
        if argv[0] == "dpkg-query":
            return 1, "amazon-ssm-agent\tinstalled\t3.3.1957.0-1\n", "no packages found matching amazon-ecs-init"
        if argv[0] == "rpm":
            return 1, "amazon-ssm-agent\tinstalled\t3.3.1957.0-1.x86_64\npackage amazon-ecs-init is not installed\n", ""
        if argv[0].endswith("systemctl"):
            if argv[-1] == "ecs.service":
                return 0, "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n", ""
            return 0, "LoadState=not-found\nActiveState=inactive\nUnitFileState=\n", ""
        raise AssertionError(argv)

    def which(self, name):
        return "/usr/bin/" + name if name in self.binaries else None

    def fetch(self, url, timeout):
        self.fetched.append(url)
        return self.metadata

    def probe(self, **params):
        params.setdefault("ecs_metadata_url", hs.DEFAULT_METADATA_URL)
        return hs.probe(params, self.read_file, self.run_command, self.which, self.fetch, new_id=lambda: "id1")


def test_probe_interrupted_run_needs_registration():
    """ecs.config written, the host never registered: needs_registration, whatever ecs.config says."""
    host = Host({ECS_CONFIG: "ECS_CLUSTER=edge\nAWS_DEFAULT_REGION=us-east-1\n"})
    r = host.probe(cluster="other", region="eu-west-1")
    assert r["registration"] == hs.NEEDS_REGISTRATION
    assert r["ecs_config"] == {"present": True, "cluster": "edge", "region": "us-east-1", "file": ECS_CONFIG}
    assert r["ssm"]["present"] is False and r["ssm"]["registration_key_present"] is False
    assert r["ecs_agent"]["source"] is None
    assert r["probe"] == {"cluster": "other", "region": "eu-west-1", "id": "id1"}


def test_probe_registered_host_everything():
    host = Host({REG: _reg(), KEY: "{}", AGENT: json.dumps({"ContainerInstanceArn": ARN, "Cluster": "edge",
                                                           "Region": "us-east-1"}),
                 ECS_CONFIG: "ECS_CLUSTER=edge\n", SSM_CONFIG: '{"Profile": {"ShareProfile": "ssm"}}',
                 "/etc/a": "abc"})
    r = host.probe(cluster="edge", region="us-east-1", checksum_files=["/etc/a", "/etc/missing"])
    assert r["registration"] == hs.REGISTERED
    assert r["ssm"]["managed_instance_id"] == MI and r["ssm"]["registration_key_present"] is True
    assert r["ssm"]["share_profile"] == "ssm"
    assert r["ecs_agent"]["source"] == "state_file" and host.fetched == []
    assert r["packages"] == {"amazon-ssm-agent": "3.3.1957.0-1", "amazon-ecs-init": None}
    assert r["services"]["ecs"] == {"load_state": "loaded", "active_state": "active", "unit_file_state": "enabled"}
    assert r["services"]["docker"]["load_state"] == "not-found"
    assert r["checksums"] == {"/etc/a": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                              "/etc/missing": None}


def test_probe_falls_back_to_introspection_for_a_boltdb_agent():
    """The real agent keeps agent.db, no agent.json: the introspection API names the instance."""
    host = Host({REG: _reg()}, metadata=json.dumps({"Cluster": "other", "ContainerInstanceArn": ARN}))
    r = host.probe(cluster="edge", region="us-east-1")
    assert host.fetched == [hs.DEFAULT_METADATA_URL]
    assert r["ecs_agent"]["source"] == "introspection"
    assert r["registration"] == hs.REGISTERED_ELSEWHERE


def test_probe_unreachable_introspection_and_disabled_url():
    host = Host({REG: _reg()}, metadata=None)
    assert host.probe(cluster="edge", region="us-east-1")["registration"] == hs.REGISTERED
    host = Host({REG: _reg()}, metadata=json.dumps({"Cluster": "other", "ContainerInstanceArn": ARN}))
    r = host.probe(cluster="edge", region="us-east-1", ecs_metadata_url="")
    assert host.fetched == [] and r["registration"] == hs.REGISTERED


def test_probe_rpm_and_no_systemd():
    host = Host({}, binaries=("rpm",))
    r = host.probe(packages=["amazon-ssm-agent", "amazon-ecs-init"])
    assert r["packages"] == {"amazon-ssm-agent": "3.3.1957.0-1.x86_64", "amazon-ecs-init": None}
    assert r["services"]["ecs"] == {"load_state": None, "active_state": None, "unit_file_state": None}
    host = Host({}, binaries=())
    r = host.probe()
    assert r["packages"] == {"amazon-ssm-agent": None, "amazon-ecs-init": None} and host.commands == []


def test_probe_nothing_queried():
    host = Host({REG: _reg()})
    r = host.probe(packages=[], services=[], ecs_metadata_url="")
    assert r["packages"] == {} and r["services"] == {} and host.commands == [] and host.fetched == []


def test_probe_paths_are_options():
    host = Host({"/tmp/x/registration": _reg(region="eu-west-1")})
    r = host.probe(ssm_registration_file="/tmp/x/registration", region="us-east-1")
    assert r["registration"] == hs.REGISTERED_ELSEWHERE and r["ssm"]["registration_file"] == "/tmp/x/registration"


# ---------------------------------------------------------------- credentials
CREDS = ("# Written by amazon-ssm-agent\n[default]\naws_access_key_id = ASIAEMU1\n"
         "aws_secret_access_key = s1\naws_session_token = t1\n\n"
         "[other-team]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s2\n")


def test_remove_section_keeps_other_profiles():
    text, removed, remaining = hs.remove_ini_section(CREDS, "default")
    assert removed and remaining == ["other-team"]
    assert text == "# Written by amazon-ssm-agent\n[other-team]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s2\n"
    assert "ASIAEMU1" not in text and "s1" not in text


def test_remove_only_section_leaves_nothing():
    text, removed, remaining = hs.remove_ini_section(
        "# Written by amazon-ssm-agent\n[default]\naws_access_key_id = A\n", "default")
    assert removed and remaining == [] and "aws_access_key_id" not in text


def test_remove_absent_section_changes_nothing():
    text, removed, remaining = hs.remove_ini_section("[other-team]\nk = v\n", "default")
    assert not removed and text == "[other-team]\nk = v\n" and remaining == ["other-team"]
    assert hs.remove_ini_section("", "default") == ("", False, [])


def test_remove_section_in_the_middle_and_repeated():
    text = "[a]\nx=1\n[ default ]\ny=2\r\n[b]\nz=3\n[default]\nw=4\n"
    new, removed, remaining = hs.remove_ini_section(text, "default")
    assert removed and new == "[a]\nx=1\n[b]\nz=3\n" and remaining == ["a", "b"]
    # a profile whose name only starts with the one removed stays
    new, removed, remaining = hs.remove_ini_section("[default-2]\nx=1\n", "default")
    assert not removed and new == "[default-2]\nx=1\n" and remaining == ["default-2"]


# ---------------------------------------------------------------- ports, leftovers, modes, euid
TCP = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
       "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1\n"
       "   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1\n"
       "   2: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 333 1\n")
TCP6 = ("  sl  local_address remote_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode\n"
        "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 444 1\n")


class FakeSystem(hs.System):
    def __init__(self, fds=None, modes=None, globs=None):
        self._fds = fds or {}
        self._modes = modes or {}
        self._globs = globs or {}

    def mode(self, path):
        return self._modes.get(path)

    def glob(self, pattern):
        return self._globs.get(pattern, [])

    def pids(self):
        return list(self._fds)

    def fds(self, pid):
        return list(self._fds[pid]) if pid in self._fds else None

    def readlink(self, path):
        pid, fd = path.split("/")[2], path.split("/")[4]
        return self._fds[pid][fd]

    def euid(self):
        return 0


def test_listening_inodes_only_listen_state_and_wanted_ports():
    assert hs.listening_inodes([TCP, TCP6, None], [8080]) == {"111": 8080, "444": 8080}
    assert hs.listening_inodes([TCP], [8081, 9]) == {"222": 8081}
    assert hs.listening_inodes(["header only\n", "garbage\n x y\n"], [8080]) == {}


def test_port_report_foreign_process_ours_and_free():
    owners = {8080: [(812, "lighttpd")], 8081: [(90, "docker-proxy")]}
    ours = {"name": "ecs-nginx-1", "image": "nginx", "cluster": "edge", "task": "arn:task/1"}
    theirs = {"name": "web", "image": "httpd", "cluster": "", "task": ""}
    report = hs.port_report([8080, 8081, 8082, 8083], "edge", owners,
                            {8080: [], 8081: [ours], 8082: [], 8083: [theirs]})
    assert report[0] == {"port": 8080, "free": False, "ours": [], "holders": ["process lighttpd (pid 812)"]}
    # our own service's container (and docker-proxy behind it) is not a holder
    assert report[1] == {"port": 8081, "free": False, "ours": ["ecs-nginx-1"], "holders": []}
    assert report[2] == {"port": 8082, "free": True, "ours": [], "holders": []}
    assert report[3]["holders"] == ["container web (image httpd)"]
    other = dict(ours, cluster="other")
    assert hs.port_report([8081], "edge", {}, {8081: [other]})[0]["holders"] == [
        "container ecs-nginx-1 (image nginx, ECS task of cluster other)"]


def test_probe_ports_leftovers_modes_euid():
    system = FakeSystem(fds={"812": {"3": "socket:[111]", "4": "/dev/null"}, "9": {"1": "pipe:[5]"}},
                        modes={"/etc/ecs/ecs.config": "0600", "/var/key": "0640"},
                        globs={"/tmp/ecs-anywhere-host.*": ["/tmp/ecs-anywhere-host.abc"]})
    host = Host({"/proc/net/tcp": TCP, "/proc/812/comm": "lighttpd\n", "/etc/ecs/ecs.config": "x",
                 "/usr/sbin/policy-rc.d": "#!/bin/sh\n# Written by us\nexit 101\n"}, binaries=())
    r = hs.probe({"cluster": "edge", "ports": [8080, 8081], "packages": [], "services": [], "ecs_metadata_url": "",
                  "checksum_files": ["/etc/ecs/ecs.config", "/etc/none"], "mode_files": ["/var/key"],
                  "leftover_globs": ["/tmp/ecs-anywhere-host.*"],
                  "leftover_markers": {"/usr/sbin/policy-rc.d": "Written by us", "/etc/ecs/ecs.config": "nope"}},
                 host.read_file, host.run_command, host.which, host.fetch, new_id=lambda: "id1", system=system)
    assert r["ports"] == [{"port": 8080, "free": False, "ours": [], "holders": ["process lighttpd (pid 812)"]},
                          {"port": 8081, "free": True, "ours": [], "holders": []}]
    assert r["modes"] == {"/etc/ecs/ecs.config": "0600", "/etc/none": None, "/var/key": "0640"}
    assert "/var/key" not in r["checksums"]
    assert r["leftovers"] == ["/tmp/ecs-anywhere-host.abc", "/usr/sbin/policy-rc.d"]
    assert r["euid"] == 0


def test_probe_without_a_system_reports_nothing_extra():
    r = Host({}).probe(packages=[], services=[], ecs_metadata_url="")
    assert r["ports"] == [] and r["leftovers"] == [] and r["modes"] == {} and r["euid"] is None


def test_registration_key_cleared_reads_only_the_instance_id():
    assert hs.registration_key_cleared(None) is None
    assert hs.registration_key_cleared(b"not json") is None
    assert hs.registration_key_cleared(b'{"other": 1}') is None
    assert hs.registration_key_cleared(json.dumps({"instanceID": MI, "privateKey": "secret"}).encode()) is False
    assert hs.registration_key_cleared(json.dumps({"instanceID": "", "region": "", "privateKey": ""}).encode()) is True


def test_probe_cleared_registration_needs_registration_again():
    """AWS's agent's -register -clear empties its vault entry and leaves the registration file."""
    agent = json.dumps({"ContainerInstanceArn": ARN, "Cluster": "edge", "Region": "us-east-1"})
    host = Host({REG: _reg(), KEY: json.dumps({"instanceID": "", "region": "", "privateKey": ""}), AGENT: agent})
    r = host.probe(cluster="edge", region="us-east-1")
    assert r["registration"] == hs.NEEDS_REGISTRATION and r["ssm"]["cleared"] is True
    assert "cleared" in r["reasons"][0] and ARN in r["reasons"][1]
    host = Host({REG: _reg(), KEY: json.dumps({"instanceID": MI, "privateKey": "PRIVATE-KEY-MATERIAL"}), AGENT: agent})
    r = host.probe(cluster="edge", region="us-east-1")
    assert r["registration"] == hs.REGISTERED and r["ssm"]["cleared"] is False
    assert "PRIVATE-KEY-MATERIAL" not in json.dumps(r)


# ---------------------------------------------------------------- plan
PINS = {"amazon-ssm-agent": "3.3.1957.0", "amazon-ecs-init": "1.89.0-1"}


def _state(registration=hs.REGISTERED, packages=None, arn=ARN, ssm_present=True, leftovers=()):
    return {"registration": registration,
            "packages": packages if packages is not None else {"amazon-ssm-agent": "3.3.1957.0-1",
                                                               "amazon-ecs-init": "1.89.0-1", "docker.io": "20.10"},
            "ecs_agent": {"container_instance_arn": arn}, "ssm": {"present": ssm_present},
            "leftovers": list(leftovers)}


@pytest.mark.parametrize("installed, pin, ok", [
    ("3.3.1957.0-1", "3.3.1957.0", True), ("3.3.1957.0-1", "3.3.1957.0-1", True), ("3.3.1957.0", "3.3.1957.0", True),
    ("3.3.1957.01-1", "3.3.1957.0", False), ("3.3.1142.0-1", "3.3.1957.0", False), (None, "3.3.1957.0", False),
    ("", "3.3.1957.0", False), ("1.0", "", False)])
def test_satisfies_pin(installed, pin, ok):
    assert hs.satisfies_pin(installed, pin) is ok


def test_plan_of_a_converged_host_installs_and_registers_nothing():
    p = hs.plan(_state(), PINS, ["docker.io"])
    assert p == {"registration": hs.REGISTERED, "reasons": [], "register": False, "refuse": False, "clear_first": False,
                 "installed": {"amazon-ssm-agent": "3.3.1957.0-1", "amazon-ecs-init": "1.89.0-1", "docker.io": "20.10"},
                 "packages_behind": [], "docker_missing": [], "leftovers": [], "install": False}


def test_plan_of_a_bare_host_installs_everything_and_registers_without_clearing():
    p = hs.plan(_state(hs.NEEDS_REGISTRATION, packages={"amazon-ssm-agent": None, "amazon-ecs-init": None},
                       arn=None, ssm_present=False), PINS, ["docker.io", "containerd"])
    assert p["packages_behind"] == ["amazon-ssm-agent", "amazon-ecs-init"]
    assert p["docker_missing"] == ["docker.io", "containerd"]
    assert p["install"] and p["register"] and not p["clear_first"]
    assert p["installed"] == {}


@pytest.mark.parametrize("registration, arn, ssm_present, clear", [
    (hs.NEEDS_REGISTRATION, ARN, False, True),      # the ECS agent holds an old container instance
    (hs.NEEDS_REGISTRATION, None, True, True),      # a cleared / forgotten SSM registration file
    (hs.NEEDS_REGISTRATION, None, False, False),    # never registered
    (hs.REGISTERED_ELSEWHERE, ARN, True, True),     # re-registration asked
])
def test_plan_clears_what_an_earlier_registration_left(registration, arn, ssm_present, clear):
    p = hs.plan(_state(registration, arn=arn, ssm_present=ssm_present), PINS, reregister=True)
    assert p["register"] and p["clear_first"] is clear and not p["refuse"]


def test_plan_refuses_a_host_registered_elsewhere_without_consent():
    p = hs.plan(_state(hs.REGISTERED_ELSEWHERE), PINS)
    assert p["refuse"] and not p["register"]
    # consent changes nothing for a host registered here
    p = hs.plan(_state(), PINS, reregister=True)
    assert not p["register"] and not p["refuse"]


def test_plan_registers_a_host_ssm_forgot_and_clears_its_old_state_first():
    state = dict(_state(), ssm={"present": True, "managed_instance_id": MI})
    p = hs.plan(state, PINS, forgotten=True)
    assert p["registration"] == hs.NEEDS_REGISTRATION and p["register"] and p["clear_first"]
    assert p["reasons"] == ["SSM no longer knows managed instance %s (deregistered on the AWS side): "
                            "the host registers again" % MI]
    # a host that needs registering anyway keeps its own reasons
    p = hs.plan(dict(_state(hs.NEEDS_REGISTRATION), reasons=["no SSM registration"]), PINS, forgotten=True)
    assert p["reasons"] == ["no SSM registration"]


def test_plan_upgrade_and_leftovers_install_without_registering():
    p = hs.plan(_state(packages={"amazon-ssm-agent": "3.3.1142.0-1", "amazon-ecs-init": "1.89.0-1"},
                       leftovers=["/usr/sbin/policy-rc.d"]), PINS, [])
    assert p["packages_behind"] == ["amazon-ssm-agent"] and p["leftovers"] == ["/usr/sbin/policy-rc.d"]
    assert p["install"] and not p["register"]
