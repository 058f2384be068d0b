# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files and directories the host role manages, as one wanted state: the
code that decides there is nothing to do is the code that does it
(edgeops.ecs_anywhere.ecs_anywhere_host_config).

A directory: its path, owner, group and mode; created when missing.
A file: ``state`` ``present`` (its ``content``, owner, group, mode),
``absent``, or ``attributes`` (owner, group, mode of a file some other
program writes, such as the SSM agent's registration; left alone when it does
not exist). Each difference found is named; in check mode nothing is written."""

from __future__ import annotations

import difflib
import grp
import os
import pwd
import re
import stat
import tempfile
import time

# What --diff never shows of a file's content: the values of settings whose
# name says they are secret (ECS_ENGINE_AUTH_DATA, ...) and the user:password
# of a URL (a proxy's).
_SECRET_SETTING_RE = re.compile(r"^(\s*(?:export\s+)?[A-Za-z0-9_]*(?:AUTH|SECRET|PASSWORD|TOKEN|CREDENTIAL)[A-Za-z0-9_]*\s*=).*$",
                                re.I | re.M)
_URL_USERINFO_RE = re.compile(r"://[^/@\s\"']+@")


class HostConfigError(Exception):
    """A wanted state that cannot be reached (a directory where a file must be, an unknown user)."""


def _id_of(name, lookup, what):
    """The numeric id of a user or group name (None stays None)."""
    if name is None:
        return None
    try:
        return lookup(name)
    except KeyError:
        raise HostConfigError("no %s %r on this host" % (what, name)) from None


def _uid(owner):
    return _id_of(owner, lambda n: pwd.getpwnam(n).pw_uid, "user")


def _gid(group):
    return _id_of(group, lambda n: grp.getgrnam(n).gr_gid, "group")


def _name_of(number, lookup):
    """The name of a numeric user or group id, else the number."""
    try:
        return lookup(number)
    except KeyError:
        return str(number)


def _name_of_uid(uid):
    return _name_of(uid, lambda n: pwd.getpwuid(n).pw_name)


def _name_of_gid(gid):
    return _name_of(gid, lambda n: grp.getgrgid(n).gr_name)


def _mode(mode):
    """An octal mode string ('0600', '600') as an int; None stays None."""
    if mode is None:
        return None
    try:
        return int(str(mode), 8)
    except ValueError:
        raise HostConfigError("mode %r is not an octal mode such as '0644'" % (mode,)) from None


def attribute_differences(st, owner=None, group=None, mode=None):
    """The owner, group and mode that differ between ``st`` (an os.stat result)
    and the wanted ones (None: not managed), as ``[(what, have, want)]``."""
    out = []
    if owner is not None and st.st_uid != _uid(owner):
        out.append(("owner", _name_of_uid(st.st_uid), owner))
    if group is not None and st.st_gid != _gid(group):
        out.append(("group", _name_of_gid(st.st_gid), group))
    want = _mode(mode)
    if want is not None and stat.S_IMODE(st.st_mode) != want:
        out.append(("mode", "%04o" % stat.S_IMODE(st.st_mode), "%04o" % want))
    return out


def _stat(path):
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _set_attributes(path, owner, group, mode):
    uid, gid = _uid(owner), _gid(group)
    if uid is not None or gid is not None:
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    if mode is not None:
        os.chmod(path, _mode(mode))


def _write(path, data, owner, group, mode, move):
    """The new content in a temporary file beside ``path``, its attributes set,
    then moved over ``path`` (a reader never sees half a file, nor the new
    content with the old file's owner and mode)."""
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _set_attributes(tmp, owner, group, mode)
        move(tmp, path)
        # a move that keeps the replaced file's attributes (Ansible's atomic_move) or applies the umask
        _set_attributes(path, owner, group, mode)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def redact(text):
    """``text`` with secret setting values and URL credentials replaced by <redacted>."""
    return _URL_USERINFO_RE.sub("://<redacted>@", _SECRET_SETTING_RE.sub(r"\1<redacted>", text))


def content_diff(path, before, after):
    """A unified diff of two contents, secrets redacted (the module's content is
    no_log: Ansible would mask a diff that repeats it whole)."""
    lines = difflib.unified_diff(redact(before).splitlines(True), redact(after).splitlines(True),
                                 "before: %s" % path, "after: %s" % path)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _attributes_text(path, st):
    if st is None:
        return "%s: absent\n" % path
    return "%s: %s:%s %04o\n" % (path, _name_of_uid(st.st_uid), _name_of_gid(st.st_gid), stat.S_IMODE(st.st_mode))


def converge(directories=(), files=(), check_mode=False, move=os.replace):
    """Put ``directories`` and ``files`` (dicts as the module's options) in
    their wanted state; in check mode only find out what would change.

    Returns ``(changes, diffs)``: ``changes`` a list of
    ``{"path", "what": [...]}`` (each difference in words, e.g.
    ``"owner nobody -> root"``, ``"created"``, ``"content"``), ``diffs`` the
    before/after of each changed path for ``--diff`` (of a content: a unified
    diff, secrets redacted). Directories come first,
    so that a file's directory exists before the file is written."""
    changes, diffs = [], []

    def note(path, what, before, after, prepared=None):
        changes.append({"path": path, "what": what})
        if prepared is not None:
            diffs.append({"prepared": prepared})
        else:
            diffs.append({"before_header": path, "after_header": path, "before": before, "after": after})

    def fix_attributes(path, st, owner, group, mode):
        """The owner, group and mode of an existing path, where they differ."""
        diff = attribute_differences(st, owner, group, mode)
        if diff:
            if not check_mode:
                _set_attributes(path, owner, group, mode)
            note(path, ["%s %s -> %s" % x for x in diff], _attributes_text(path, st),
                 "%s: %s:%s %s\n" % (path, owner, group, mode))

    for d in directories:
        path, owner, group, mode = d["path"], d.get("owner"), d.get("group"), d.get("mode")
        st = _stat(path)
        if st is not None and not stat.S_ISDIR(st.st_mode):
            raise HostConfigError("%s must be a directory, but something else is there" % path)
        if st is None:
            if not check_mode:
                os.makedirs(path, exist_ok=True)
                _set_attributes(path, owner, group, mode)
            note(path, ["created (directory)"], "%s: absent\n" % path,
                 "%s: directory %s:%s %s\n" % (path, owner, group, mode))
            continue
        fix_attributes(path, st, owner, group, mode)

    for f in files:
        path, state = f["path"], f.get("state") or "present"
        owner, group, mode = f.get("owner"), f.get("group"), f.get("mode")
        st = _stat(path)
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise HostConfigError("%s must be a file, but it is a directory" % path)
        if state == "absent":
            if st is not None:
                if not check_mode:
                    os.unlink(path)
                note(path, ["removed"], _attributes_text(path, st), "%s: absent\n" % path)
            continue
        if state == "attributes":
            if st is not None:
                fix_attributes(path, st, owner, group, mode)
            continue
        # present
        content = f.get("content")
        if content is None:
            raise HostConfigError("%s: a file with state present needs its content" % path)
        data = content.encode("utf-8")
        old = _read(path) if st is not None else None
        what = []
        if old is None:
            what.append("created")
        elif old != data:
            what.append("content")
        else:
            what.extend("%s %s -> %s" % x for x in attribute_differences(st, owner, group, mode))
        if not what:
            continue
        if not check_mode:
            if old is None or old != data:
                if not os.path.isdir(os.path.dirname(path)):
                    raise HostConfigError("%s: its directory does not exist (list it in directories)" % path)
                _write(path, data, owner, group, mode, move)
            else:
                _set_attributes(path, owner, group, mode)
        before = "" if old is None else old.decode("utf-8", "replace")
        if what[0] in ("created", "content"):
            note(path, what, None, None, prepared=content_diff(path, before, content))
        else:
            note(path, what, _attributes_text(path, st), "%s: %s:%s %s\n" % (path, owner, group, mode))
    return changes, diffs


# ---------------------------------------------------------------- units
# A unit file state that needs no `systemctl enable` (it starts with what wants it).
_ENABLED_STATES = ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated")


def _show(run, name):
    rc, out, err = run(["systemctl", "show", "--property=LoadState,ActiveState,UnitFileState", name])
    if rc != 0:
        raise HostConfigError("systemctl show %s failed: %s" % (name, (err or out).strip()))
    props = dict(line.partition("=")[::2] for line in out.splitlines() if "=" in line)
    return props.get("LoadState", ""), props.get("ActiveState", ""), props.get("UnitFileState", "")


def _systemctl(run, verb, name):
    rc, out, err = run(["systemctl", verb, name])
    if rc != 0:
        raise HostConfigError("systemctl %s %s failed: %s" % (verb, name, (err or out).strip()))


def converge_units(units, run, check_mode=False, wait=None):
    """Each unit of ``units`` (dicts: ``name``, ``enabled``, ``started``,
    optional ``wait_for`` ``{"path", "regex", "timeout"}``) enabled and started
    where it is not, in order; a unit with ``wait_for`` is started only once
    ``wait(path, regex, timeout)`` says the file says so (False: an error naming
    what did not come). ``run(argv)`` returns ``(rc, stdout, stderr)``.

    A unit that does not exist fails, except in check mode, where its package
    may only be about to be installed: it is reported as to be enabled and
    started. Returns the changes, as converge() does (``path`` the unit)."""
    changes = []
    for unit in units:
        name = unit["name"]
        load, active, file_state = _show(run, name)
        if load != "loaded":
            if check_mode:
                changes.append({"path": name, "what": ["enabled and started (the unit is installed by this run)"]})
                continue
            raise HostConfigError("the unit %s does not exist on this host (LoadState %s)" % (name, load or "?"))
        what = []
        if unit.get("enabled", True) and file_state not in _ENABLED_STATES:
            if not check_mode:
                _systemctl(run, "enable", name)
            what.append("enabled (was %s)" % (file_state or "?"))
        if unit.get("started", True) and active != "active":
            spec = unit.get("wait_for")
            if spec and not check_mode and wait is not None and not wait(spec["path"], spec["regex"], spec["timeout"]):
                raise HostConfigError(spec.get("msg") or "%s: %s did not match %r within %s s"
                                      % (name, spec["path"], spec["regex"], spec["timeout"]))
            if not check_mode:
                _systemctl(run, "start", name)
            what.append("started (was %s)" % (active or "?"))
        if what:
            changes.append({"path": name, "what": what})
    return changes


def wait_for_file(path, regex, timeout, sleep=None, clock=None):
    """Whether the file at ``path`` matches ``regex`` within ``timeout`` seconds."""
    sleep, clock = sleep or time.sleep, clock or time.monotonic
    pattern = re.compile(regex)
    deadline = clock() + float(timeout)
    while True:
        try:
            with open(path, "r", errors="replace") as f:
                if pattern.search(f.read()):
                    return True
        except OSError:
            pass
        if clock() >= deadline:
            return False
        sleep(1)


def changed_labels(changes, specs):
    """The ``label`` of each spec (directory or file) whose path changed, sorted, once each."""
    labels = dict((spec["path"], spec.get("label")) for spec in specs)
    return sorted(set(labels[c["path"]] for c in changes if labels.get(c["path"])))
