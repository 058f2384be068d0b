#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_anywhere_host_info
version_added: 0.2.0
short_description: Read an edge host's ECS Anywhere registration state, on the host
description:
  - Runs B(on the edge host) (usually with C(become), the files are root's, mode 0600) and makes
    B(no AWS call). Returns in one call what the collection's roles and playbooks need to know
    about the host, and the one rule that decides whether it must register.
  - "SSM registration: O(ssm_registration_file) (C({\"ManagedInstanceID\": \"mi-...\", \"Region\": \"...\"}))
    and whether the registration key O(ssm_registration_key_file) exists, and whether it says the
    registration was cleared (C(-register -clear))."
  - "ECS agent state: the container instance the agent registered, its cluster and region. Read from
    O(ecs_agent_state_file) (C(agent.json): C(ContainerInstanceArn), C(Cluster), C(Region)) when it
    names a container instance; else from O(ecs_agent_db_file), the bbolt database in which AWS's
    amazon-ecs-agent keeps its state (its C(metadata) bucket: C(container-instance-arn),
    C(cluster-name); read-only, the agent may run); when neither names one, and only then, the
    module asks the agent's introspection API O(ecs_metadata_url) (a GET on localhost,
    short timeout, no proxy), whose answer names the container instance once the agent registered.
    A missing region is taken from the container instance or cluster ARN."
  - The configured cluster and region (C(ECS_CLUSTER), C(AWS_DEFAULT_REGION)) of O(ecs_config_file).
  - Installed versions of O(packages) (C(dpkg-query) or C(rpm); not installed gives null), the
    C(LoadState), C(ActiveState) and C(UnitFileState) of O(services) (C(systemctl show)), and the
    sha256 and permission bits of each file of O(checksum_files) (missing gives null).
  - "What holds the TCP ports of O(ports) (listening sockets from C(/proc/net/tcp) and C(tcp6),
    their processes from C(/proc), the containers publishing them from C(docker ps)): a port held
    only by containers of an ECS task of O(cluster) is not free but not taken either (a re-run
    finds its own service there)."
  - The paths that match O(leftover_globs) or hold the marker of O(leftover_markers), that is what
    an interrupted run of a role left behind.
  - The effective user id the module runs as (RV(euid)).
  - "The rule, given O(cluster) and O(region) (RV(registration) and RV(reasons)):
    no usable SSM registration (file missing, empty, not JSON, no or malformed C(mi-) id, no region,
    or a registration the agent's vault says was cleared) is C(needs_registration);
    otherwise an SSM registration in another region than O(region), or an ECS agent state naming
    a container instance in another cluster than O(cluster) or in another region, is
    C(registered_elsewhere);
    otherwise C(registered)."
  - "The cluster configured in O(ecs_config_file) does B(not) decide (the host role renders it
    before the host registers): a run interrupted after writing it and before registering leaves
    a host that is C(needs_registration), and the next run completes it."
author:
  - edgeops platform team (@edgeops)
options:
  cluster:
    description:
      - ECS cluster (name or ARN) the host should belong to. Empty skips the cluster comparison.
    type: str
    default: ""
  region:
    description:
      - AWS region the host should be registered in. Empty skips the region comparisons.
    type: str
    default: ""
  ssm_registration_file:
    description: The SSM agent's registration file.
    type: path
    default: /var/lib/amazon/ssm/registration
  ssm_registration_key_file:
    description: The SSM agent's registration key (only its presence is reported, never its content).
    type: path
    default: /var/lib/amazon/ssm/Vault/Store/RegistrationKey
  ssm_config_file:
    description:
      - The SSM agent's configuration; its C(Profile.ShareProfile) names the credentials profile
        the agent writes (RV(ssm.share_profile)).
    type: path
    default: /etc/amazon/ssm/amazon-ssm-agent.json
  ecs_agent_state_file:
    description: The ECS agent's JSON state file.
    type: path
    default: /var/lib/ecs/data/agent.json
  ecs_agent_db_file:
    description: The ECS agent's bbolt state database (AWS's amazon-ecs-agent).
    type: path
    default: /var/lib/ecs/data/agent.db
  ecs_config_file:
    description: The ECS agent's configuration (an EnvironmentFile).
    type: path
    default: /etc/ecs/ecs.config
  ecs_metadata_url:
    description:
      - The ECS agent's introspection API, asked only when O(ecs_agent_state_file) names no container
        instance. Empty never asks.
    type: str
    default: http://localhost:51678/v1/metadata
  ecs_metadata_timeout:
    description: Seconds to wait for the introspection API.
    type: int
    default: 2
  packages:
    description: Packages whose installed version is reported in RV(packages).
    type: list
    elements: str
    default: [amazon-ssm-agent, amazon-ecs-init]
  package_manager:
    description: How to query them; C(auto) uses C(dpkg-query) where it exists, else C(rpm).
    type: str
    choices: [auto, dpkg, rpm]
    default: auto
  services:
    description: Systemd units (C(.service) may be left out) reported in RV(services).
    type: list
    elements: str
    default: [amazon-ssm-agent, ecs, docker]
  checksum_files:
    description: Files whose sha256 is reported in RV(checksums).
    type: list
    elements: path
    default: []
  mode_files:
    description: Files whose permission bits only are reported in RV(modes) (never their content or a checksum).
    type: list
    elements: path
    default: []
    version_added: 0.2.0
  ports:
    description: TCP ports whose holders are reported in RV(ports).
    type: list
    elements: int
    default: []
    version_added: 0.2.0
  leftover_globs:
    description: Shell patterns (C(glob)) whose matches are reported in RV(leftovers).
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  leftover_markers:
    description:
      - Files reported in RV(leftovers) when they hold the given text (a marker line a role wrote),
        a mapping of path to marker.
    type: dict
    default: {}
    version_added: 0.2.0
notes:
  - Read-only; supports check mode (it runs the same and never reports a change).
  - Not an AWS module; it is not in the collection's C(aws) action group.
  - Returns no secret (the registration key and the credentials are never read into the result).
seealso:
  - module: edgeops.ecs_anywhere.ecs_container_instance_info
"""

EXAMPLES = r"""
- name: Read the host's registration state
  edgeops.ecs_anywhere.ecs_anywhere_host_info:
    cluster: edge-fleet
    region: eu-west-1
  become: true
  register: host_state

- name: Fail on a host that belongs to another cluster or region
  ansible.builtin.fail:
    msg: "{{ host_state.reasons | join('; ') }}"
  when: host_state.registration == 'registered_elsewhere'

- name: Only the managed instance id (no comparison, nothing else queried)
  edgeops.ecs_anywhere.ecs_anywhere_host_info:
    packages: []
    services: []
    ecs_metadata_url: ""
  become: true
  register: host_state
# host_state.ssm.managed_instance_id is null when the host is not registered
"""

RETURN = r"""
registration:
  description: The rule's answer (see the description).
  returned: always
  type: str
  choices: [registered, needs_registration, registered_elsewhere]
  sample: registered
reasons:
  description:
    - Why, human-readable. For C(registered_elsewhere) exactly the conflicts, e.g.
      C(ECS container instance arn:... is registered to cluster other).
  returned: always
  type: list
  elements: str
ssm:
  description: The SSM registration.
  returned: always
  type: dict
  contains:
    present:
      description: Whether the registration file exists.
      type: bool
      returned: always
    usable:
      description: Whether it holds a well-formed C(mi-) id and a region.
      type: bool
      returned: always
    managed_instance_id:
      description: The C(ManagedInstanceID) (null when missing; may be malformed when RV(ssm.usable) is false).
      type: str
      returned: always
      sample: mi-0123456789abcdef0
    region:
      description: The C(Region) (null when missing).
      type: str
      returned: always
    error:
      description: What is wrong with a present registration file, else null.
      type: str
      returned: always
    registration_file:
      description: The file read.
      type: str
      returned: always
    registration_key_present:
      description: Whether the registration key file exists.
      type: bool
      returned: always
    cleared:
      description:
        - Whether the SSM agent's vault entry O(ssm_registration_key_file) says the registration was cleared
          (AWS's C(amazon-ssm-agent -register -clear) empties it and leaves O(ssm_registration_file) as it was).
          Only this boolean is taken from the entry, which holds the instance's private key.
      version_added: 0.2.0
      type: bool
      returned: always
    share_profile:
      description: The credentials profile the SSM agent writes (C(Profile.ShareProfile), default C(default)).
      type: str
      returned: always
      sample: default
ecs_agent:
  description: The container instance the ECS agent registered.
  returned: always
  type: dict
  contains:
    source:
      description: Where it came from; null when no container instance is known.
      type: str
      returned: always
      choices: [state_file, agent_db, introspection]
    container_instance_arn:
      description: The container instance ARN, or null.
      type: str
      returned: always
    cluster:
      description: The cluster as the agent names it (name or ARN), or null.
      type: str
      returned: always
    cluster_name:
      description: The cluster's name, or null.
      type: str
      returned: always
    region:
      description: The region (from the state, else from the ARNs), or null.
      type: str
      returned: always
    error:
      description: What is wrong with the state file, the agent database or the introspection answer, else null.
      type: str
      returned: always
    state_file:
      description: The state file read.
      type: str
      returned: always
ecs_config:
  description: What the ECS agent is configured with.
  returned: always
  type: dict
  contains:
    present:
      description: Whether the file exists.
      type: bool
      returned: always
    cluster:
      description: C(ECS_CLUSTER), or null.
      type: str
      returned: always
    region:
      description: C(AWS_DEFAULT_REGION), or null.
      type: str
      returned: always
    file:
      description: The file read.
      type: str
      returned: always
packages:
  description: Installed version of each package of O(packages), null when not installed.
  returned: always
  type: dict
  sample: {"amazon-ssm-agent": "3.3.1957.0-1", "amazon-ecs-init": null}
services:
  description: Per unit of O(services), its C(load_state), C(active_state) and C(unit_file_state) (null without systemd).
  returned: always
  type: dict
  sample: {"ecs": {"load_state": "loaded", "active_state": "active", "unit_file_state": "enabled"}}
checksums:
  description: sha256 (hex) of each file of O(checksum_files), null when missing.
  returned: always
  type: dict
modes:
  description: Permission bits (C("0600")) of each file of O(checksum_files) and O(mode_files), null when missing.
  returned: always
  type: dict
  version_added: 0.2.0
leftovers:
  description: The paths of O(leftover_globs) and O(leftover_markers) found, sorted.
  returned: always
  type: list
  elements: str
  version_added: 0.2.0
ports:
  description: One entry per port of O(ports), in order.
  returned: always
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    port:
      description: The port.
      type: int
      returned: always
    free:
      description: Nothing listens on it and no container publishes it.
      type: bool
      returned: always
    ours:
      description: Names of the containers of ECS tasks of O(cluster) that publish it.
      type: list
      elements: str
      returned: always
    holders:
      description: Everything else that holds it, as text (container name and image, or process name and pid).
      type: list
      elements: str
      returned: always
  sample: [{"port": 8080, "free": false, "ours": [], "holders": ["process lighttpd (pid 812)"]}]
euid:
  description: The effective user id the module ran as (0 for root).
  returned: always
  type: int
  version_added: 0.2.0
probe:
  description:
    - The inputs the rule used and a random id of this probe (a role that reuses the result of an
      earlier probe can tell it has already consumed it).
  returned: always
  type: dict
  contains:
    cluster:
      description: O(cluster), or null.
      type: str
      returned: always
    region:
      description: O(region), or null.
      type: str
      returned: always
    id:
      description: Random id of this probe.
      type: str
      returned: always
"""

import glob
import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import host_state


def _read_file(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (IOError, OSError):
        return None


def _fetch(url, timeout):
    try:
        response = open_url(url, method="GET", timeout=timeout, use_proxy=False, validate_certs=False)
        return response.read().decode("utf-8", "replace")
    except Exception:  # pylint: disable=broad-except  # unreachable or not answering: no state
        return None


class _System(host_state.System):
    """The host's answers, from os."""

    def mode(self, path):
        try:
            return "%04o" % stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            return None

    def glob(self, pattern):
        return glob.glob(pattern)

    def pids(self):
        try:
            return [name for name in os.listdir("/proc") if name.isdigit()]
        except OSError:
            return []

    def fds(self, pid):
        try:
            return os.listdir("/proc/%s/fd" % pid)
        except OSError:
            return None

    def readlink(self, path):
        try:
            return os.readlink(path)
        except OSError:
            return None

    def euid(self):
        return os.geteuid()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cluster=dict(type="str", default=""),
            region=dict(type="str", default=""),
            ssm_registration_file=dict(type="path", default=host_state.DEFAULT_PATHS["ssm_registration_file"]),
            ssm_registration_key_file=dict(type="path", default=host_state.DEFAULT_PATHS["ssm_registration_key_file"]),
            ssm_config_file=dict(type="path", default=host_state.DEFAULT_PATHS["ssm_config_file"]),
            ecs_agent_state_file=dict(type="path", default=host_state.DEFAULT_PATHS["ecs_agent_state_file"]),
            ecs_agent_db_file=dict(type="path", default=host_state.DEFAULT_PATHS["ecs_agent_db_file"]),
            ecs_config_file=dict(type="path", default=host_state.DEFAULT_PATHS["ecs_config_file"]),
            ecs_metadata_url=dict(type="str", default=host_state.DEFAULT_METADATA_URL),
            ecs_metadata_timeout=dict(type="int", default=2),
            packages=dict(type="list", elements="str", default=list(host_state.DEFAULT_PACKAGES)),
            package_manager=dict(type="str", default="auto", choices=["auto", "dpkg", "rpm"]),
            services=dict(type="list", elements="str", default=list(host_state.DEFAULT_SERVICES)),
            checksum_files=dict(type="list", elements="path", default=[]),
            mode_files=dict(type="list", elements="path", default=[]),
            ports=dict(type="list", elements="int", default=[]),
            leftover_globs=dict(type="list", elements="str", default=[]),
            leftover_markers=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C", "SYSTEMD_PAGER": ""})

    def which(name):
        return module.get_bin_path(name)

    result = host_state.probe(module.params, _read_file, run_command=run_command, which=which, fetch=_fetch,
                              system=_System())
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
