# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""host_config: every kind of drift of a managed file or directory is found and
repaired in one call; check mode finds the same and writes nothing; a host in
its wanted state gives no change."""

from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import host_config as hc

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
ROOT = os.getuid() == 0


def _other_user():
    for name in ("nobody", "daemon"):
        try:
            return name, pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
    pytest.skip("no second user on this machine")
    return None, None


def wanted(tmp_path, content="ECS_CLUSTER=edge\n"):
    d = str(tmp_path / "etc" / "ecs")
    return ([{"path": d, "owner": ME, "group": MY_GROUP, "mode": "0755"}],
            [{"path": os.path.join(d, "ecs.config"), "content": content, "owner": ME, "group": MY_GROUP,
              "mode": "0600"}])


def mode_of(path):
    return "%04o" % stat.S_IMODE(os.stat(path).st_mode)


def test_a_bare_host_gets_everything_then_nothing_changes(tmp_path):
    dirs, files = wanted(tmp_path)
    changes, diffs = hc.converge(dirs, files)
    assert [c["what"] for c in changes] == [["created (directory)"], ["created"]]
    assert open(files[0]["path"]).read() == "ECS_CLUSTER=edge\n"
    assert mode_of(files[0]["path"]) == "0600" and mode_of(dirs[0]["path"]) == "0755"
    assert "+ECS_CLUSTER=edge\n" in diffs[1]["prepared"]
    assert hc.converge(dirs, files) == ([], [])


def test_check_mode_names_the_same_changes_and_writes_nothing(tmp_path):
    dirs, files = wanted(tmp_path)
    changes = hc.converge(dirs, files, check_mode=True)[0]
    assert [c["path"] for c in changes] == [dirs[0]["path"], files[0]["path"]]
    assert not os.path.exists(dirs[0]["path"])


def test_a_removed_directory_is_created_again_with_its_file(tmp_path):
    dirs, files = wanted(tmp_path)
    hc.converge(dirs, files)
    os.unlink(files[0]["path"])
    os.rmdir(dirs[0]["path"])
    changes = hc.converge(dirs, files)[0]
    assert [c["what"][0] for c in changes] == ["created (directory)", "created"]
    assert os.path.isfile(files[0]["path"])


def test_edited_content_is_rendered_again_with_its_attributes(tmp_path):
    dirs, files = wanted(tmp_path)
    hc.converge(dirs, files)
    path = files[0]["path"]
    with open(path, "w") as f:
        f.write("ECS_CLUSTER=other\n")
    os.chmod(path, 0o644)
    changes, diffs = hc.converge(dirs, files)
    assert changes == [{"path": path, "what": ["content"]}]
    assert "-ECS_CLUSTER=other\n+ECS_CLUSTER=edge\n" in diffs[0]["prepared"]
    assert open(path).read() == "ECS_CLUSTER=edge\n" and mode_of(path) == "0600"


def test_a_changed_mode_alone_is_repaired(tmp_path):
    dirs, files = wanted(tmp_path)
    hc.converge(dirs, files)
    os.chmod(files[0]["path"], 0o644)
    os.chmod(dirs[0]["path"], 0o700)
    changes = hc.converge(dirs, files)[0]
    assert changes == [{"path": dirs[0]["path"], "what": ["mode 0700 -> 0755"]},
                       {"path": files[0]["path"], "what": ["mode 0644 -> 0600"]}]
    assert mode_of(files[0]["path"]) == "0600" and mode_of(dirs[0]["path"]) == "0755"


@pytest.mark.skipif(not ROOT, reason="changing a file's owner needs root")
def test_a_changed_owner_is_repaired(tmp_path):
    other, uid = _other_user()
    dirs, files = wanted(tmp_path)
    hc.converge(dirs, files)
    os.chown(files[0]["path"], uid, -1)
    changes = hc.converge(dirs, files)[0]
    assert changes == [{"path": files[0]["path"], "what": ["owner %s -> %s" % (other, ME)]}]
    assert os.stat(files[0]["path"]).st_uid == os.getuid()


@pytest.mark.skipif(not ROOT, reason="changing a file's owner needs root")
def test_new_content_does_not_keep_the_replaced_files_owner(tmp_path):
    """A move that keeps the old file's attributes (Ansible's atomic_move) must
    not leave the new content with the drifted owner and mode."""
    uid = _other_user()[1]
    dirs, files = wanted(tmp_path)
    hc.converge(dirs, files)
    path = files[0]["path"]
    os.chown(path, uid, -1)
    os.chmod(path, 0o644)

    def keeping_move(src, dest):
        st = os.stat(dest)
        os.chown(src, st.st_uid, st.st_gid)
        os.chmod(src, stat.S_IMODE(st.st_mode))
        os.replace(src, dest)

    hc.converge(dirs, [dict(files[0], content="ECS_CLUSTER=new\n")], move=keeping_move)
    assert os.stat(path).st_uid == os.getuid() and mode_of(path) == "0600"


def test_absent_removes_and_attributes_leave_a_missing_file_alone(tmp_path):
    dirs, files = wanted(tmp_path)
    hc.converge(dirs, files)
    reg = str(tmp_path / "registration")
    with open(reg, "w") as f:
        f.write("{}")
    os.chmod(reg, 0o644)
    specs = [{"path": files[0]["path"], "state": "absent"},
             {"path": reg, "state": "attributes", "mode": "0600"},
             {"path": str(tmp_path / "never-written"), "state": "attributes", "mode": "0600"}]
    changes = hc.converge([], specs)[0]
    assert changes == [{"path": files[0]["path"], "what": ["removed"]},
                       {"path": reg, "what": ["mode 0644 -> 0600"]}]
    assert not os.path.exists(files[0]["path"]) and mode_of(reg) == "0600"
    assert open(reg).read() == "{}"
    assert hc.converge([], specs) == ([], [])


def test_what_cannot_be_reached_is_an_error_naming_the_path(tmp_path):
    dirs, files = wanted(tmp_path)
    os.makedirs(os.path.dirname(dirs[0]["path"]))
    with open(dirs[0]["path"], "w") as f:
        f.write("not a directory")
    with pytest.raises(hc.HostConfigError, match="must be a directory"):
        hc.converge(dirs, files)
    with pytest.raises(hc.HostConfigError, match="no user"):
        hc.converge([], [dict(files[0], path=str(tmp_path / "x"), owner="no-such-user-here")])
    with pytest.raises(hc.HostConfigError, match="octal"):
        hc.converge([], [{"path": str(tmp_path / "x"), "content": "", "mode": "rw"}])
    with pytest.raises(hc.HostConfigError, match="its directory does not exist"):
        hc.converge([], [{"path": str(tmp_path / "missing" / "x"), "content": ""}])


def test_the_diff_of_a_content_never_shows_a_secret(tmp_path):
    dirs, files = wanted(tmp_path, content="ECS_CLUSTER=edge\nECS_ENGINE_AUTH_DATA={\"r\": \"s3cret\"}\n")
    hc.converge(dirs, files)
    new = dict(files[0], content="ECS_CLUSTER=edge\nECS_ENGINE_AUTH_DATA={\"r\": \"n3w\"}\n"
                                 "HTTP_PROXY=http://user:pr0xy@proxy:3128\n")
    diffs = hc.converge([], [new])[1]
    text = diffs[0]["prepared"]
    assert "s3cret" not in text and "n3w" not in text and "pr0xy" not in text
    assert "+HTTP_PROXY=http://<redacted>@proxy:3128\n" in text
    assert open(files[0]["path"]).read() == new["content"]


def test_changed_labels_name_what_reads_the_changed_paths(tmp_path):
    dirs, files = wanted(tmp_path)
    files = [dict(files[0], label="ecs"), {"path": str(tmp_path / "ssm.json"), "state": "absent", "label": "ssm"}]
    hc.converge(dirs, files)
    os.chmod(files[0]["path"], 0o644)
    changes = hc.converge(dirs, files)[0]
    assert hc.changed_labels(changes, dirs + files) == ["ecs"]
    assert hc.changed_labels([], dirs + files) == []


class FakeSystemd:
    """systemctl show/enable/start over a dict of units: {name: [load, active, file_state]}."""

    def __init__(self, **units):
        self.units, self.calls = {k: list(v) for k, v in units.items()}, []

    def __call__(self, argv):
        self.calls.append(argv[1:])
        verb, name = argv[1], argv[-1]
        if verb == "show":
            load, active, state = self.units.get(name, ["not-found", "inactive", ""])
            return 0, "LoadState=%s\nActiveState=%s\nUnitFileState=%s\n" % (load, active, state), ""
        if name not in self.units:
            return 1, "", "Unit %s.service not found." % name
        if verb == "enable":
            self.units[name][2] = "enabled"
        elif verb == "start":
            self.units[name][1] = "active"
        return 0, "", ""


UNITS = [{"name": "docker"}, {"name": "amazon-ssm-agent"},
         {"name": "ecs", "wait_for": {"path": "/root/.aws/credentials", "regex": "default", "timeout": 5}}]


def test_units_in_their_wanted_state_need_nothing():
    systemd = FakeSystemd(docker=["loaded", "active", "enabled"], **{"amazon-ssm-agent": ["loaded", "active", "enabled"]},
                          ecs=["loaded", "active", "enabled"])
    assert hc.converge_units(UNITS, systemd, wait=lambda *a: pytest.fail("no wait for a running unit")) == []
    assert [c[0] for c in systemd.calls] == ["show", "show", "show"]


def test_a_disabled_and_a_stopped_unit_are_put_right_in_order_after_the_wait():
    systemd = FakeSystemd(docker=["loaded", "active", "disabled"], **{"amazon-ssm-agent": ["loaded", "inactive", "enabled"]},
                          ecs=["loaded", "failed", "enabled"])
    waited = []
    changes = hc.converge_units(UNITS, systemd, wait=lambda *a: waited.append(a) or True)
    assert changes == [{"path": "docker", "what": ["enabled (was disabled)"]},
                       {"path": "amazon-ssm-agent", "what": ["started (was inactive)"]},
                       {"path": "ecs", "what": ["started (was failed)"]}]
    assert waited == [("/root/.aws/credentials", "default", 5)]
    done = [c[:2] for c in systemd.calls if c[0] != "show"]
    assert done == [["enable", "docker"], ["start", "amazon-ssm-agent"], ["start", "ecs"]]


def test_check_mode_reports_units_and_changes_none():
    systemd = FakeSystemd(docker=["loaded", "inactive", "disabled"])
    changes = hc.converge_units(UNITS, systemd, check_mode=True)
    assert changes == [{"path": "docker", "what": ["enabled (was disabled)", "started (was inactive)"]},
                       {"path": "amazon-ssm-agent", "what": ["enabled and started (the unit is installed by this run)"]},
                       {"path": "ecs", "what": ["enabled and started (the unit is installed by this run)"]}]
    assert all(c[0] == "show" for c in systemd.calls)


def test_a_missing_unit_or_a_wait_that_never_comes_fails_naming_it():
    with pytest.raises(hc.HostConfigError, match="the unit docker does not exist"):
        hc.converge_units([{"name": "docker"}], FakeSystemd())
    systemd = FakeSystemd(ecs=["loaded", "inactive", "enabled"])
    spec = dict(UNITS[2], wait_for=dict(UNITS[2]["wait_for"], msg="no credentials for the ECS agent"))
    with pytest.raises(hc.HostConfigError, match="no credentials for the ECS agent"):
        hc.converge_units([spec], systemd, wait=lambda *a: False)
    assert ["start", "ecs"] not in [c[:2] for c in systemd.calls]


def test_wait_for_file(tmp_path):
    path = str(tmp_path / "credentials")
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
        if now[0] >= 3:
            with open(path, "w") as f:
                f.write("[default]\naws_access_key_id = x\n")

    assert hc.wait_for_file(path, r"\[default\]", 10, sleep=sleep, clock=lambda: now[0])
    assert now[0] == 3
    assert not hc.wait_for_file(str(tmp_path / "never"), "x", 2, sleep=sleep, clock=lambda: now[0])
