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
