# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The bbolt reader against files laid out the way bbolt writes them."""

from __future__ import annotations

import json
import struct

import pytest

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs_agent_state as st

PS = 4096
ARN = "arn:aws:ecs:us-east-1:123456789012:container-instance/edge/0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _leaf(items, page_id=0):
    """A leaf page: header, elements, then keys and values (pos relative to each element)."""
    head = st.PAGE_HEADER.pack(page_id, st.LEAF_PAGE, len(items), 0)
    elems, blobs = b"", b""
    data_start = st.PAGE_HEADER.size + len(items) * st.LEAF_ELEMENT.size
    for i, (key, value, flags) in enumerate(items):
        elem_at = st.PAGE_HEADER.size + i * st.LEAF_ELEMENT.size
        pos = data_start + len(blobs) - elem_at
        elems += st.LEAF_ELEMENT.pack(flags, pos, len(key), len(value))
        blobs += key + value
    return head + elems + blobs


def _branch(children, page_id):
    head = st.PAGE_HEADER.pack(page_id, st.BRANCH_PAGE, len(children), 0)
    elems, keys = b"", b""
    data_start = st.PAGE_HEADER.size + len(children) * st.BRANCH_ELEMENT.size
    for i, (key, pgid) in enumerate(children):
        elem_at = st.PAGE_HEADER.size + i * st.BRANCH_ELEMENT.size
        elems += st.BRANCH_ELEMENT.pack(data_start + len(keys) - elem_at, len(key), pgid)
        keys += key
    return head + elems + keys


def _meta(page_id, root, txid):
    return (st.PAGE_HEADER.pack(page_id, 0x04, 0, 0)
            + st.META.pack(st.MAGIC, 2, PS, 0, root, 0, 2, 8, txid, 0))


def _file(pages):
    out = bytearray(PS * (max(pages) + 1))
    for pgid, blob in pages.items():
        assert len(blob) <= PS
        out[pgid * PS:pgid * PS + len(blob)] = blob
    return bytes(out)


def _metadata(arn=ARN, cluster="edge"):
    return [(b"agent-version", json.dumps("1.105.1").encode(), 0),
            (b"cluster-name", json.dumps(cluster).encode(), 0),
            (b"container-instance-arn", json.dumps(arn).encode(), 0),
            (b"ec2-instance-id", json.dumps("mi-0123456789abcdef0").encode(), 0)]


def test_inline_metadata_bucket():
    inline = st.BUCKET_HEADER.pack(0, 0) + _leaf(_metadata())
    root = _leaf([(b"containers", st.BUCKET_HEADER.pack(0, 0) + _leaf([]), st.BUCKET_LEAF),
                  (b"metadata", inline, st.BUCKET_LEAF)], page_id=3)
    data = _file({0: _meta(0, 3, 4), 1: _meta(1, 3, 3), 3: root})
    assert st.parse_agent_db(data) == {"ContainerInstanceArn": ARN, "Cluster": "edge",
                                       "EC2InstanceID": "mi-0123456789abcdef0", "AgentVersion": "1.105.1"}


def test_bucket_on_its_own_pages_under_a_branch_and_the_newer_meta_wins():
    old = _leaf([(b"metadata", st.BUCKET_HEADER.pack(6, 0), st.BUCKET_LEAF)], page_id=5)
    new_arn = ARN.replace("/edge/", "/other/")
    root_leaf = _leaf([(b"metadata", st.BUCKET_HEADER.pack(7, 0), st.BUCKET_LEAF)], page_id=4)
    data = _file({
        0: _meta(0, 5, 9),            # older transaction: the old registration
        1: _meta(1, 3, 10),           # newer: root is a branch page
        3: _branch([(b"metadata", 4)], page_id=3),
        4: root_leaf,
        5: old,
        6: _leaf(_metadata(), page_id=6),
        7: _leaf(_metadata(new_arn, "other"), page_id=7),
    })
    state = st.parse_agent_db(data)
    assert state["ContainerInstanceArn"] == new_arn and state["Cluster"] == "other"


def test_no_metadata_bucket_yet():
    data = _file({0: _meta(0, 3, 1), 1: _meta(1, 3, 0), 3: _leaf([], page_id=3)})
    assert st.parse_agent_db(data) == {}


@pytest.mark.parametrize("data", [b"", b"not a bbolt file" * 100, b"\0" * PS * 2])
def test_not_a_bbolt_file(data):
    with pytest.raises(st.BoltError):
        st.parse_agent_db(data)


def test_a_page_pointer_out_of_the_file_is_an_error_not_a_crash():
    root = _leaf([(b"metadata", st.BUCKET_HEADER.pack(99, 0), st.BUCKET_LEAF)], page_id=3)
    data = _file({0: _meta(0, 3, 1), 1: _meta(1, 3, 0), 3: root})
    with pytest.raises(st.BoltError):
        st.parse_agent_db(data)


def test_struct_sizes_match_bbolt():
    # unsafe.Sizeof in bbolt: page header 16, leaf element 16, branch element 16, bucket header 16
    assert (st.PAGE_HEADER.size, st.LEAF_ELEMENT.size, st.BRANCH_ELEMENT.size, st.BUCKET_HEADER.size) == (16,) * 4
    assert struct.calcsize("<IIII QQ QQQQ") == 64


def _db(arn=ARN, cluster="edge"):
    inline = st.BUCKET_HEADER.pack(0, 0) + _leaf(_metadata(arn, cluster))
    return _file({0: _meta(0, 3, 2), 1: _meta(1, 3, 1), 3: _leaf([(b"metadata", inline, st.BUCKET_LEAF)], page_id=3)})


def _probe(files, cluster="edge", region="us-east-1"):
    from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import host_state as hs
    reg = json.dumps({"ManagedInstanceID": "mi-0123456789abcdef0", "Region": "us-east-1"})
    files = dict({hs.DEFAULT_PATHS["ssm_registration_file"]: reg.encode()}, **files)
    fetched = []
    result = hs.probe({"cluster": cluster, "region": region, "packages": [], "services": [],
                       "ecs_metadata_url": hs.DEFAULT_METADATA_URL},
                      files.get, fetch=lambda url, timeout: fetched.append(url), new_id=lambda: "x")
    return hs, result, fetched


def test_probe_reads_a_stopped_real_agents_database():
    """AWS's agent stopped (no introspection API): agent.db still says where it is registered."""
    hs, r, fetched = _probe({"/var/lib/ecs/data/agent.db": _db()})
    assert r["ecs_agent"]["source"] == "agent_db" and r["ecs_agent"]["container_instance_arn"] == ARN
    assert r["ecs_agent"]["region"] == "us-east-1" and r["ecs_agent"]["cluster_name"] == "edge"
    assert r["registration"] == hs.REGISTERED and fetched == []


def test_probe_agent_database_of_another_cluster_is_registered_elsewhere():
    other = ARN.replace("/edge/", "/blue/")
    hs, r, fetched = _probe({"/var/lib/ecs/data/agent.db": _db(other, "blue")})
    assert r["registration"] == hs.REGISTERED_ELSEWHERE
    assert any("cluster blue" in reason for reason in r["reasons"])


def test_probe_unreadable_agent_database_is_reported_and_does_not_decide():
    hs, r, fetched = _probe({"/var/lib/ecs/data/agent.db": b"garbage" * 1000})
    assert r["ecs_agent"]["source"] is None and "agent database is unreadable" in r["ecs_agent"]["error"]
    assert r["registration"] == hs.REGISTERED
