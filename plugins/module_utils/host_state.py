# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What an edge host says about its own ECS Anywhere registration, read on the
host (no AWS call), and THE rule that turns it into one of ``registered``,
``needs_registration`` or ``registered_elsewhere``.

Pure parsing; the few side effects (reading files, running ``dpkg-query`` /
``rpm`` / ``systemctl``, one GET of the ECS agent's introspection API on
localhost) go through callables passed to :func:`probe`, so that every branch
is unit-testable. Used by the ecs_anywhere_host_info module.

Also :func:`remove_ini_section`, the pure half of removing the SSM agent's
credentials profile from ``/root/.aws/credentials`` (other profiles stay)."""

from __future__ import annotations

import hashlib
import json
import re
import uuid

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import ecs_agent_state

REGISTERED = "registered"
NEEDS_REGISTRATION = "needs_registration"
REGISTERED_ELSEWHERE = "registered_elsewhere"
STATES = (REGISTERED, NEEDS_REGISTRATION, REGISTERED_ELSEWHERE)

DEFAULT_PATHS = {
    "ssm_registration_file": "/var/lib/amazon/ssm/registration",
    "ssm_registration_key_file": "/var/lib/amazon/ssm/Vault/Store/RegistrationKey",
    "ssm_config_file": "/etc/amazon/ssm/amazon-ssm-agent.json",
    "ecs_agent_state_file": "/var/lib/ecs/data/agent.json",
    "ecs_agent_db_file": "/var/lib/ecs/data/agent.db",
    "ecs_config_file": "/etc/ecs/ecs.config",
}
DEFAULT_METADATA_URL = "http://localhost:51678/v1/metadata"
DEFAULT_PACKAGES = ("amazon-ssm-agent", "amazon-ecs-init")
DEFAULT_SERVICES = ("amazon-ssm-agent", "ecs", "docker")
# The profile the SSM agent writes its role credentials to when its
# Profile.ShareProfile setting is empty (AWS's default).
DEFAULT_SHARE_PROFILE = "default"

MANAGED_INSTANCE_ID_RE = re.compile(r"mi-[0-9a-f]{17}\Z")
REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+\Z")
_ENV_LINE_RE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*\Z")
_SECTION_RE = re.compile(r"\s*\[\s*([^\]]*?)\s*\]\s*\Z")


# ---------------------------------------------------------------- small parsers
def cluster_name(value):
    """``arn:aws:ecs:r:a:cluster/name`` or ``name`` -> ``name``; empty -> None."""
    if not value or not isinstance(value, str):
        return None
    return value.rsplit("/", 1)[-1] or None


def region_from_arn(arn):
    """The region field of an ARN, None when ``arn`` is not one."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return None


def _load_json_object(text):
    """(dict, None) or (None, why)."""
    if text is None:
        return None, "missing"
    if not text.strip():
        return None, "empty"
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, "not valid JSON (%s)" % exc
    if not isinstance(data, dict):
        return None, "not a JSON object"
    return data, None


def parse_ssm_registration(text):
    """The SSM agent's registration file, ``{"ManagedInstanceID": "mi-...", "Region": "..."}``.

    ``usable`` is true only for a well-formed mi- id and a region."""
    result = {"present": text is not None, "usable": False, "managed_instance_id": None,
              "region": None, "error": None}
    data, error = _load_json_object(text)
    if error:
        result["error"] = None if error == "missing" else error
        return result
    mi = data.get("ManagedInstanceID")
    region = data.get("Region")
    result["managed_instance_id"] = mi if isinstance(mi, str) and mi else None
    result["region"] = region if isinstance(region, str) and region else None
    if result["managed_instance_id"] is None:
        result["error"] = "holds no ManagedInstanceID"
    elif not MANAGED_INSTANCE_ID_RE.match(result["managed_instance_id"]):
        result["error"] = "ManagedInstanceID %r is not a managed instance id (mi- and 17 hex digits)" % (
            result["managed_instance_id"][:40])
    elif result["region"] is None:
        result["error"] = "names no Region"
    else:
        result["usable"] = True
    return result


def _ecs_state_from(data, source):
    arn = data.get("ContainerInstanceArn")
    arn = arn if isinstance(arn, str) and arn else None
    cluster = data.get("Cluster")
    cluster = cluster if isinstance(cluster, str) and cluster else None
    region = data.get("Region")
    region = region if isinstance(region, str) and region else None
    region = region or region_from_arn(arn) or region_from_arn(cluster)
    return {"source": source, "container_instance_arn": arn, "cluster": cluster,
            "cluster_name": cluster_name(cluster), "region": region, "error": None}


def empty_ecs_state(error=None):
    return {"source": None, "container_instance_arn": None, "cluster": None, "cluster_name": None,
            "region": None, "error": error}


def parse_ecs_agent_state(text):
    """``/var/lib/ecs/data/agent.json`` (``ContainerInstanceArn``, ``Cluster``, ``Region``).

    A state without a container instance ARN names no registration (source None)."""
    data, error = _load_json_object(text)
    if error:
        return empty_ecs_state(None if error == "missing" else "agent state file is " + error)
    state = _ecs_state_from(data, "state_file")
    if state["container_instance_arn"] is None:
        return empty_ecs_state("agent state file holds no ContainerInstanceArn")
    return state


def parse_ecs_agent_db(data):
    """AWS's ECS agent's own state, ``/var/lib/ecs/data/agent.db`` (bbolt; its ``metadata``
    bucket). Bytes, or None when the file is missing. Only a container instance ARN names a
    registration; the region comes from it."""
    if data is None:
        return empty_ecs_state()
    try:
        found = ecs_agent_state.parse_agent_db(data)
    except ecs_agent_state.BoltError as e:
        return empty_ecs_state("agent database is unreadable (%s)" % e)
    state = _ecs_state_from(found, "agent_db")
    if state["container_instance_arn"] is None:
        return empty_ecs_state()
    return state


def parse_ecs_metadata(text):
    """The body of the ECS agent's introspection API ``/v1/metadata``.

    The agent serves ``Cluster`` (its configured cluster) before it registered;
    only an answer with a ``ContainerInstanceArn`` names a registration."""
    data, error = _load_json_object(text)
    if error:
        return empty_ecs_state(None if error == "missing" else "introspection answer is " + error)
    state = _ecs_state_from(data, "introspection")
    if state["container_instance_arn"] is None:
        return empty_ecs_state()
    return state


def parse_env_file(text):
    """KEY=VALUE lines of an EnvironmentFile (``/etc/ecs/ecs.config``); comments
    and blank lines skipped, one pair of surrounding quotes stripped; last wins."""
    values = {}
    for line in (text or "").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE_RE.match(line)
        if not m:
            continue
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[m.group(1)] = value
    return values


def parse_ecs_config(text):
    values = parse_env_file(text)
    return {"present": text is not None, "cluster": values.get("ECS_CLUSTER") or None,
            "region": values.get("AWS_DEFAULT_REGION") or None}


def parse_ssm_share_profile(text):
    """``Profile.ShareProfile`` of amazon-ssm-agent.json; AWS's default profile when unset."""
    data, error = _load_json_object(text)
    if error:
        return DEFAULT_SHARE_PROFILE
    profile = data.get("Profile")
    if isinstance(profile, dict):
        name = profile.get("ShareProfile")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return DEFAULT_SHARE_PROFILE


def parse_package_query(stdout, packages):
    """Lines ``name<TAB>status<TAB>version`` (the dpkg-query / rpm formats of
    :func:`package_query_argv`) -> ``{name: version or None}``; only ``installed``
    counts."""
    found = {}
    for line in (stdout or "").splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[1] == "installed" and fields[2]:
            found[fields[0]] = fields[2]
    return {name: found.get(name) for name in packages}


def package_query_argv(manager, packages):
    if manager == "dpkg":
        return ["dpkg-query", "--show", "--showformat=${Package}\\t${db:Status-Status}\\t${Version}\\n"] + list(packages)
    return ["rpm", "--query", "--queryformat=%{NAME}\\tinstalled\\t%{VERSION}-%{RELEASE}\\n"] + list(packages)


def parse_systemctl_show(stdout):
    """``systemctl show --property=LoadState,ActiveState,UnitFileState`` of one unit."""
    props = {}
    for line in (stdout or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            props[key.strip()] = value.strip()
    return {"load_state": props.get("LoadState") or None,
            "active_state": props.get("ActiveState") or None,
            "unit_file_state": props.get("UnitFileState") or None}


def sha256_of(data):
    return None if data is None else hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- the rule
def registration_key_cleared(data):
    """Whether the SSM agent's vault entry RegistrationKey (JSON of the
    agent's instanceInfo: instanceID, region, privateKey, ...) says the
    registration was cleared: AWS's agent's ``-register -clear`` empties it
    and leaves the registration file as it was. None when the entry is missing
    or not such JSON (nothing known). Only this boolean leaves the function:
    the entry holds the instance's private key."""
    if data is None:
        return None
    try:
        info = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(info, dict) or "instanceID" not in info:
        return None
    return not info.get("instanceID")


def decide(ssm, ecs_agent, cluster=None, region=None):
    """THE registration rule (documented in ecs_anywhere_host_info):

    1. no usable SSM registration (file missing, empty, corrupt, no or invalid
       mi- id, no region; or the agent's vault says it was cleared) ->
       ``needs_registration``;
    2. the SSM registration names another region than ``region``, or the ECS
       agent's state names a container instance in another cluster than
       ``cluster`` or another region -> ``registered_elsewhere``;
    3. otherwise ``registered``.

    ``/etc/ecs/ecs.config`` does not decide: the host role re-renders it. An
    empty ``cluster`` / ``region`` skips that comparison. Returns
    ``(state, reasons)``; for ``registered_elsewhere`` the reasons are exactly
    the conflicts."""
    if ssm.get("cleared"):
        reasons = ["the SSM registration was cleared (amazon-ssm-agent -register -clear): the agent's vault holds "
                   "no managed instance, the registration file still names %s" % ssm["managed_instance_id"]]
        if ecs_agent.get("container_instance_arn"):
            reasons.append("the ECS agent still holds container instance %s from an earlier registration"
                           % ecs_agent["container_instance_arn"])
        return NEEDS_REGISTRATION, reasons
    if not ssm["usable"]:
        if not ssm["present"]:
            why = "no SSM registration (the registration file is missing)"
        else:
            why = "no usable SSM registration (the registration file %s)" % ssm["error"]
        reasons = [why]
        if ecs_agent.get("container_instance_arn"):
            reasons.append("the ECS agent still holds container instance %s from an earlier registration"
                           % ecs_agent["container_instance_arn"])
        return NEEDS_REGISTRATION, reasons

    conflicts = []
    mi = ssm["managed_instance_id"]
    if region and ssm["region"] != region:
        conflicts.append("SSM managed instance %s is registered in region %s" % (mi, ssm["region"]))
    arn = ecs_agent.get("container_instance_arn")
    if arn:
        if cluster and ecs_agent.get("cluster_name") and ecs_agent["cluster_name"] != cluster:
            conflicts.append("ECS container instance %s is registered to cluster %s" % (arn, ecs_agent["cluster"]))
        if region and ecs_agent.get("region") and ecs_agent["region"] != region:
            conflicts.append("ECS container instance %s is registered in region %s" % (arn, ecs_agent["region"]))
    if conflicts:
        return REGISTERED_ELSEWHERE, conflicts

    reasons = ["SSM managed instance %s is registered in region %s" % (mi, ssm["region"])]
    if arn:
        reasons.append("ECS container instance %s is registered to cluster %s" % (arn, ecs_agent.get("cluster")))
    else:
        reasons.append("the ECS agent has not registered a container instance yet")
    return REGISTERED, reasons


def satisfies_pin(installed, pin):
    """An installed package version satisfies a pin: ``3.3.1957.0-1`` satisfies
    ``3.3.1957.0`` and ``3.3.1957.0-1``; nothing installed satisfies nothing."""
    if not installed or not pin:
        return False
    return installed == pin or installed.startswith(pin + "-")


def plan(state, pins, docker_packages=(), reregister=False, forgotten=False):
    """What the host role's stages that install and register must do on a host,
    from its probe (``state``, the ecs_anywhere_host_info result): the one place
    that decides them (ssm_activation decides from it which hosts its
    activation covers). ``pins`` maps each agent package to its pinned version;
    ``docker_packages`` are the Docker packages the install source wants;
    ``reregister`` is the user's consent to register a host that is registered
    elsewhere again; ``forgotten`` says SSM no longer knows the host's
    managed instance (ssm_activation asked it).

    Returns a dict: ``registration`` and ``reasons`` (the probe's, or
    ``needs_registration`` for a forgotten host), ``register`` (the host
    registers in this run), ``refuse`` (registered elsewhere without consent:
    nothing may change), ``clear_first`` (state of an earlier registration is
    on the host: the agents stop, the ECS agent's state is wiped and SSM's
    registration cleared before registering), ``installed`` (package ->
    version, installed ones only), ``packages_behind`` (agent packages whose
    installed version does not satisfy the pin, in ``pins`` order),
    ``docker_missing``, ``leftovers`` (what a killed run left), and
    ``install`` (any of the last three)."""
    packages = state.get("packages") or {}
    installed = dict((name, version) for name, version in packages.items() if version)
    registration = state.get("registration")
    reasons = list(state.get("reasons") or [])
    ecs_agent = state.get("ecs_agent") or {}
    ssm = state.get("ssm") or {}
    if forgotten and registration == REGISTERED:
        registration = NEEDS_REGISTRATION
        reasons = ["SSM no longer knows managed instance %s (deregistered on the AWS side): the host registers again"
                   % ssm.get("managed_instance_id")]
    old_state = bool(ecs_agent.get("container_instance_arn")) or bool(ssm.get("present"))
    behind = [name for name, pin in pins.items() if not satisfies_pin(installed.get(name), pin)]
    docker_missing = [name for name in docker_packages if name not in installed]
    leftovers = list(state.get("leftovers") or [])
    return {
        "registration": registration,
        "reasons": reasons,
        "register": registration == NEEDS_REGISTRATION or (registration == REGISTERED_ELSEWHERE and bool(reregister)),
        "refuse": registration == REGISTERED_ELSEWHERE and not reregister,
        "clear_first": registration == REGISTERED_ELSEWHERE or (registration == NEEDS_REGISTRATION and old_state),
        "installed": installed,
        "packages_behind": behind,
        "docker_missing": docker_missing,
        "leftovers": leftovers,
        "install": bool(behind or docker_missing or leftovers),
    }


# ---------------------------------------------------------------- ports
# The kernel's TCP state of a listening socket in /proc/net/tcp{,6}.
_TCP_LISTEN = "0A"


def listening_inodes(tables, ports):
    """``{socket inode: port}`` of the sockets listening on one of ``ports``,
    from the texts of ``/proc/net/tcp`` and ``/proc/net/tcp6`` (None: missing)."""
    wanted = set(ports)
    inodes = {}
    for text in tables:
        for line in (text or "").splitlines()[1:]:
            col = line.split()
            if len(col) < 10 or col[3] != _TCP_LISTEN:
                continue
            try:
                port = int(col[1].rsplit(":", 1)[1], 16)
            except (IndexError, ValueError):
                continue
            if port in wanted:
                inodes[col[9]] = port
    return inodes


def socket_owners(inodes, pids, fds_of, readlink, comm_of):
    """``{port: [(pid, comm), ...]}`` of the processes holding the sockets of
    ``inodes``. ``pids``: the numeric entries of /proc; ``fds_of(pid)`` -> fd
    names or None; ``readlink(path)`` -> target or None; ``comm_of(pid)`` -> name."""
    owners = {}
    if not inodes:
        return owners
    for pid in sorted(pids, key=int):
        fds = fds_of(pid)
        if fds is None:
            continue
        for fd in fds:
            link = readlink("/proc/%s/fd/%s" % (pid, fd)) or ""
            port = inodes.get(link[8:-1]) if link.startswith("socket:[") else None
            if port:
                holder = (int(pid), comm_of(pid) or "?")
                if holder not in owners.setdefault(port, []):
                    owners[port].append(holder)
    return owners


def docker_publishers(ports, run_command, which):
    """``{port: [container, ...]}`` of the running containers publishing each
    port (name, image, and the ECS cluster and task of their labels), from
    ``docker ps`` / ``docker inspect``; empty without docker."""
    docker = which("docker") if which is not None else None
    found = {port: [] for port in ports}
    if not docker or run_command is None:
        return found
    for port in ports:
        rc, out, _err = run_command([docker, "ps", "-q", "--filter", "publish=%d" % port])
        ids = out.split() if rc == 0 else []
        if not ids:
            continue
        rc, out, _err = run_command([docker, "inspect"] + ids)
        try:
            containers = json.loads(out) if rc == 0 and out.strip() else []
        except ValueError:
            containers = []
        for c in containers:
            config = c.get("Config") or {}
            labels = config.get("Labels") or {}
            found[port].append({"name": (c.get("Name") or "").lstrip("/"), "image": config.get("Image") or "",
                                "cluster": labels.get("com.amazonaws.ecs.cluster") or "",
                                "task": labels.get("com.amazonaws.ecs.task-arn") or ""})
    return found


def port_report(ports, cluster, owners, publishers):
    """Per port: ``free``; ``ours`` (containers of an ECS task of ``cluster``,
    which a re-run finds on its own port); ``holders`` (everything else, as
    text). The docker-proxy / dockerd process behind one of our containers is
    not a holder."""
    report = []
    for port in ports:
        containers = publishers.get(port) or []
        ours = [c for c in containers if c["task"] and c["cluster"] == cluster]
        holders = ["container %s (image %s%s)" % (c["name"], c["image"],
                                                  ", ECS task of cluster " + c["cluster"] if c["task"] else "")
                   for c in containers if c not in ours]
        holders += ["process %s (pid %d)" % (comm, pid) for pid, comm in owners.get(port, [])
                    if not (ours and comm in ("docker-proxy", "dockerd"))]
        report.append({"port": port, "free": not holders and not ours,
                       "ours": [c["name"] for c in ours], "holders": holders})
    return report


# ---------------------------------------------------------------- the probe
def probe(params, read_file, run_command=None, which=None, fetch=None, new_id=None, system=None):
    """Everything ecs_anywhere_host_info returns, from its module parameters.

    read_file(path) -> bytes or None (missing/unreadable);
    run_command(argv) -> (rc, stdout, stderr); which(name) -> path or None;
    fetch(url, timeout) -> text or None (unreachable); system: the rest of
    what the host is asked (see :class:`System`), None for a host that answers
    nothing more."""
    system = system or System()
    paths = {key: params.get(key) or default for key, default in DEFAULT_PATHS.items()}

    def text_of(path):
        data = read_file(path)
        return None if data is None else data.decode("utf-8", "replace")

    ssm = parse_ssm_registration(text_of(paths["ssm_registration_file"]))
    ssm["registration_file"] = paths["ssm_registration_file"]
    key = read_file(paths["ssm_registration_key_file"])
    ssm["registration_key_present"] = key is not None
    ssm["cleared"] = bool(registration_key_cleared(key))
    del key
    ssm["share_profile"] = parse_ssm_share_profile(text_of(paths["ssm_config_file"]))

    ecs_agent = parse_ecs_agent_state(text_of(paths["ecs_agent_state_file"]))
    if ecs_agent["source"] is None and ecs_agent["error"] is None:
        ecs_agent = parse_ecs_agent_db(read_file(paths["ecs_agent_db_file"]))
    url = params.get("ecs_metadata_url")
    if ecs_agent["source"] is None and url and fetch is not None:
        answer = fetch(url, params.get("ecs_metadata_timeout") or 2)
        if answer is not None:
            from_api = parse_ecs_metadata(answer)
            if from_api["source"] or from_api["error"]:
                ecs_agent = from_api
    ecs_agent["state_file"] = paths["ecs_agent_state_file"]

    ecs_config = parse_ecs_config(text_of(paths["ecs_config_file"]))
    ecs_config["file"] = paths["ecs_config_file"]

    packages = {}
    names = params.get("packages")
    names = list(DEFAULT_PACKAGES) if names is None else names
    if names and run_command is not None and which is not None:
        manager = params.get("package_manager") or "auto"
        if manager == "auto":
            manager = "dpkg" if which("dpkg-query") else ("rpm" if which("rpm") else None)
        if manager:
            rc, out, _err = run_command(package_query_argv(manager, names))
            packages = parse_package_query(out, names)
    packages = {name: packages.get(name) for name in names}

    services = {}
    units = params.get("services")
    units = list(DEFAULT_SERVICES) if units is None else units
    systemctl = which("systemctl") if (units and which is not None) else None
    for unit in units:
        state = {"load_state": None, "active_state": None, "unit_file_state": None}
        if systemctl and run_command is not None:
            name = unit if "." in unit else unit + ".service"
            rc, out, _err = run_command([systemctl, "show", "--property=LoadState,ActiveState,UnitFileState", name])
            if rc == 0:
                state = parse_systemctl_show(out)
        services[unit] = state

    checksums = {path: sha256_of(read_file(path)) for path in params.get("checksum_files") or []}
    modes = {path: system.mode(path) for path in (params.get("checksum_files") or []) + (params.get("mode_files") or [])}

    leftovers = set()
    for pattern in params.get("leftover_globs") or []:
        leftovers.update(system.glob(pattern))
    for path, marker in sorted((params.get("leftover_markers") or {}).items()):
        data = read_file(path)
        if data is not None and marker.encode("utf-8") in data:
            leftovers.add(path)

    ports = [int(p) for p in params.get("ports") or []]
    if ports:
        inodes = listening_inodes([text_of("/proc/net/tcp"), text_of("/proc/net/tcp6")], ports)
        owners = socket_owners(inodes, system.pids(), system.fds, system.readlink,
                               lambda pid: (text_of("/proc/%s/comm" % pid) or "").strip())
        ports = port_report(ports, params.get("cluster") or "", owners,
                            docker_publishers(ports, run_command, which))

    cluster = params.get("cluster") or None
    region = params.get("region") or None
    registration, reasons = decide(ssm, ecs_agent, cluster, region)
    return {
        "registration": registration,
        "reasons": reasons,
        "ssm": ssm,
        "ecs_agent": ecs_agent,
        "ecs_config": ecs_config,
        "packages": packages,
        "services": services,
        "checksums": checksums,
        "modes": modes,
        "leftovers": sorted(leftovers),
        "ports": ports,
        "euid": system.euid(),
        "probe": {"cluster": cluster, "region": region, "id": (new_id or (lambda: uuid.uuid4().hex))()},
    }


class System(object):
    """What :func:`probe` asks the host besides files and commands; this base
    answers nothing (unit tests subclass it, the module answers from ``os``)."""

    def mode(self, path):  # pylint: disable=unused-argument
        """Permission bits of ``path`` as "0600", None when missing."""
        return None

    def glob(self, pattern):  # pylint: disable=unused-argument
        return []

    def pids(self):
        return []

    def fds(self, pid):  # pylint: disable=unused-argument
        return None

    def readlink(self, path):  # pylint: disable=unused-argument
        return None

    def euid(self):
        return None


# ---------------------------------------------------------------- credentials file
def ini_sections(text):
    """Section names of an INI text, in order."""
    names = []
    for line in (text or "").splitlines():
        m = _SECTION_RE.match(line)
        if m:
            names.append(m.group(1))
    return names


def remove_ini_section(text, section):
    """Remove every ``[section]`` (header and its lines, up to the next header)
    from an INI text such as ``~/.aws/credentials``; everything else is kept
    byte for byte. Returns ``(new_text, removed, remaining_sections)``.

    ``remaining_sections`` empty means the text holds nothing but comments and
    blank lines any more (the caller may remove the file)."""
    out = []
    removed = False
    skipping = False
    for line in (text or "").splitlines(True):
        m = _SECTION_RE.match(line.rstrip("\r\n"))
        if m:
            skipping = m.group(1) == section
            removed = removed or skipping
        if not skipping:
            out.append(line)
    new_text = "".join(out)
    return new_text, removed, ini_sections(new_text)
