# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS agent's saved state, read without the agent: ``/var/lib/ecs/data/agent.db``.

AWS's ECS agent keeps its state in a bbolt database; the bucket ``metadata``
holds the registration (``container-instance-arn``, ``cluster-name``,
``ec2-instance-id``, ``agent-version``), each value JSON-encoded. This is a
small read-only reader of bbolt's file format (meta pages, branch and leaf
pages, inline buckets; little-endian, as bbolt writes on amd64 and arm64), so
that the host role knows where a stopped agent was registered. Nothing here
writes the file."""

from __future__ import annotations

import json
import struct

MAGIC = 0xED0CDAED
PAGE_HEADER = struct.Struct("<QHHI")  # id, flags, count, overflow
META = struct.Struct("<IIII QQ QQQQ")  # magic, version, page size, flags, root (pgid, seq), freelist, pgid, txid, checksum
LEAF_ELEMENT = struct.Struct("<IIII")  # flags, pos, ksize, vsize
BRANCH_ELEMENT = struct.Struct("<IIQ")  # pos, ksize, pgid
BUCKET_HEADER = struct.Struct("<QQ")  # root pgid (0: inline), sequence
BRANCH_PAGE, LEAF_PAGE = 0x01, 0x02
BUCKET_LEAF = 0x01

#: keys of the agent's "metadata" bucket (agent/data/metadata_client.go)
METADATA_BUCKET = b"metadata"
KEYS = {
    "container-instance-arn": "ContainerInstanceArn",
    "cluster-name": "Cluster",
    "ec2-instance-id": "EC2InstanceID",
    "agent-version": "AgentVersion",
}


class BoltError(ValueError):
    """The file is not a bbolt database this reader understands."""


def _meta_at(data, offset):
    """The meta page's fields at ``offset`` when valid, else None."""
    if len(data) < offset + PAGE_HEADER.size + META.size:
        return None
    fields = META.unpack_from(data, offset + PAGE_HEADER.size)
    return fields if fields[0] == MAGIC and fields[2] >= 512 else None


def _meta(data):
    """(root bucket page id, page size) from the newer valid of the two meta pages
    (page 0, and page 1 one page size further on)."""
    first = _meta_at(data, 0)
    second = _meta_at(data, first[2] if first else 4096)
    found = [m for m in (first, second) if m]
    if not found:
        raise BoltError("no valid bbolt meta page")
    newest = max(found, key=lambda fields: fields[8])  # txid
    return newest[4], newest[2]


def _walk(data, offset, page_size, depth=0):
    """(key, value, flags) of every leaf element under the page at ``offset``."""
    if depth > 32 or offset < 0 or offset + PAGE_HEADER.size > len(data):
        raise BoltError("page out of range")
    flags, count = PAGE_HEADER.unpack_from(data, offset)[1:3]
    base = offset + PAGE_HEADER.size
    if flags & LEAF_PAGE:
        for i in range(count):
            elem = base + i * LEAF_ELEMENT.size
            eflags, pos, ksize, vsize = LEAF_ELEMENT.unpack_from(data, elem)
            start = elem + pos
            yield bytes(data[start:start + ksize]), bytes(data[start + ksize:start + ksize + vsize]), eflags
    elif flags & BRANCH_PAGE:
        for i in range(count):
            elem = base + i * BRANCH_ELEMENT.size
            pgid = BRANCH_ELEMENT.unpack_from(data, elem)[2]
            yield from _walk(data, pgid * page_size, page_size, depth + 1)
    else:
        raise BoltError("unexpected page type 0x%x" % flags)


def _bucket_items(data, root_pgid, page_size, inline=None):
    if root_pgid == 0:
        # an inline bucket: its page follows the bucket header inside the value
        return list(_walk(inline, 0, page_size))
    return list(_walk(data, root_pgid * page_size, page_size))


def read_bucket(data, name):
    """{key: value} (bytes) of the top-level bucket ``name``; None when it does not exist."""
    root, page_size = _meta(data)
    for key, value, flags in _walk(data, root * page_size, page_size):
        if key == name and flags & BUCKET_LEAF:
            bucket_root = BUCKET_HEADER.unpack_from(value, 0)[0]
            items = _bucket_items(data, bucket_root, page_size, inline=value[BUCKET_HEADER.size:])
            return {k: v for k, v, item_flags in items if not item_flags & BUCKET_LEAF}
    return None


def parse_agent_db(data):
    """The registration the agent saved: {ContainerInstanceArn, Cluster, EC2InstanceID, AgentVersion}
    (only the keys found). Raises BoltError on a file it cannot read."""
    bucket = read_bucket(data, METADATA_BUCKET)
    if not bucket:
        return {}
    found = {}
    for key, out in KEYS.items():
        raw = bucket.get(key.encode())
        if raw is None:
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except ValueError:
            value = raw.decode("utf-8", "replace")
        if isinstance(value, str) and value:
            found[out] = value
    return found
