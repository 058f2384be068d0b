# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ecs_anywhere
short_description: ECS Anywhere fleet inventory - SSM hybrid managed instances joined with ECS container instances
version_added: 0.2.0
description:
  - Lists the hybrid managed instances (C(mi-...)) of SSM (C(DescribeInstanceInformation), every page),
    optionally only those of given activations, with given SSM tags or whose SSM name matches a pattern,
    and joins each with its ECS container instance in one of the O(clusters)
    (C(ListContainerInstances) every page, C(DescribeContainerInstances) 100 a call).
  - A container instance of the O(clusters) whose managed instance SSM no longer lists (deregistered
    from SSM only) is listed too, with the SSM variables null. When SSM filters are set, a container
    instance whose managed instance exists but does not match them is left out.
  - EC2 instances (C(i-...)) in SSM or in the clusters are never listed.
  - Every host is in the group C(ecs_anywhere); build further groups with O(groups) and O(keyed_groups)
    (examples below). Follows the conventions of M(amazon.aws.aws_ec2) (compose, groups, keyed_groups,
    strict, cache, hostnames preference, regions, credentials from options or the environment).
  - Host variables (each may get O(hostvars_prefix) / O(hostvars_suffix)) -
    C(managed_instance_id), C(computer_name), C(ip_address), C(platform_type), C(platform_name),
    C(platform_version), C(ping_status) (C(Online), C(ConnectionLost), C(Inactive)), C(last_ping_date_time),
    C(ssm_agent_version), C(activation_id), C(iam_role), C(ssm_name), C(registration_date),
    C(ssm_registered), C(region), C(cluster), C(container_instance_arn), C(container_instance_id),
    C(ecs_status), C(ecs_status_reason), C(agent_connected), C(ecs_agent_version), C(docker_version),
    C(running_tasks_count), C(pending_tasks_count), C(registered_at), C(attributes) (name to value),
    C(ecs_registered) (ACTIVE or DRAINING in one of the clusters), and C(tags) with O(include_tags).
    ECS variables are null for a managed instance in none of the clusters.
  - The configuration file must be named C(*.ecs_anywhere.yml) or C(*.ecs_anywhere.yaml).
  - Read-only. IAM permissions needed - C(ssm:DescribeInstanceInformation), C(ecs:DescribeClusters),
    C(ecs:ListContainerInstances), C(ecs:DescribeContainerInstances), and C(ssm:ListTagsForResource)
    with O(include_tags).
author:
  - edgeops platform team (@edgeops)
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
options:
  plugin:
    description: The name of this plugin; makes the file an inventory source of this plugin.
    required: true
    type: str
    choices: [edgeops.ecs_anywhere.ecs_anywhere]
  regions:
    description:
      - The regions to list. Each region's hosts get the C(region) variable.
      - When empty, the single region of O(region) (or the C(AWS_REGION) / C(AWS_DEFAULT_REGION)
        environment, or the profile's region). Unlike M(amazon.aws.aws_ec2), regions are never
        discovered - an edge fleet lives in the regions you name.
    type: list
    elements: str
    default: []
  clusters:
    description:
      - ECS clusters (names or ARNs, in every region of O(regions)) whose container instances are joined
        with the managed instances. A managed instance is registered in at most one of them.
      - Empty - no ECS data, the ECS variables are null.
      - A cluster that does not exist fails the inventory (with what to fix).
    type: list
    elements: str
    default: []
  activation_ids:
    description: Only managed instances registered with one of these SSM activations.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Only managed instances with all these SSM tags. A value may be a list (any of them) or null
        (the tag key with any value).
    type: dict
    default: {}
  ssm_names:
    description:
      - Only managed instances whose SSM name matches one of these shell-style patterns. The SSM name is the
        activation's default instance name; the activations of role edgeops.ecs_anywhere.ssm_activation
        are called C(ecs-anywhere-<cluster>-<run id>) unless C(ssm_activation_name) is set, so
        V(ecs-anywhere-edge-*) selects the hosts registered for cluster C(edge).
    type: list
    elements: str
    default: []
  include_tags:
    description:
      - Read each managed instance's SSM tags (one C(ListTagsForResource) call per host) into the C(tags)
        variable, for O(keyed_groups) and C(tag:) O(hostnames).
    type: bool
    default: false
  hostnames:
    description:
      - Host name preference - for each host the first entry that gives a non-empty name that no other host
        took already. A host whose every preference is taken or empty is named by its C(managed_instance_id)
        (unique), with a warning.
      - An entry is a host variable (V(computer_name), V(managed_instance_id), V(ip_address),
        V(container_instance_id), V(ssm_name), ...), V(short_name) (the first label of C(computer_name)),
        V(tag:KEY) (the value of SSM tag KEY; needs O(include_tags)), or a Jinja2 expression over the host
        variables and C(short_name) such as V(short_name | lower).
      - An entry may be a dict with O(hostnames[].name), O(hostnames[].prefix) and O(hostnames[].separator)
        as in M(amazon.aws.aws_ec2).
    type: list
    elements: raw
    default: [computer_name, managed_instance_id]
    suboptions:
      name:
        description: The preference giving the name.
        type: str
        required: true
      prefix:
        description: A preference whose value is put before the name.
        type: str
        default: ''
      separator:
        description: Between O(hostnames[].prefix) and O(hostnames[].name).
        type: str
        default: _
  hostvars_prefix:
    description: Prefix for the names of the host variables this plugin sets (not for O(compose) ones).
    type: str
    default: ''
  hostvars_suffix:
    description: Suffix for the names of the host variables this plugin sets.
    type: str
    default: ''
  strict_permissions:
    description:
      - When false, a region where a call is denied (C(AccessDeniedException), C(UnauthorizedOperation))
        is skipped with a warning instead of failing the inventory.
    type: bool
    default: true
  use_ssm_connection:
    description:
      - Set C(ansible_connection=amazon.aws.aws_ssm), C(ansible_host=<mi- id>) and
        C(ansible_aws_ssm_region) for every host SSM lists, so hosts without inbound SSH are managed
        through Session Manager. O(compose) may still override them.
      - Prerequisites - the SSM advanced-instances tier in the account and region (Session Manager does not
        reach on-premises instances in the standard tier; it costs about USD 0.00695 per instance-hour),
        the session-manager-plugin on the controller, boto3/botocore there, and an S3 bucket the
        controller and the hosts may use to transfer files (O(ssm_bucket_name)).
    type: bool
    default: false
  ssm_bucket_name:
    description: With O(use_ssm_connection), sets C(ansible_aws_ssm_bucket_name) on every host.
    type: str
"""

EXAMPLES = r"""
# edge.ecs_anywhere.yml - the hosts of cluster edge, named by their host name
plugin: edgeops.ecs_anywhere.ecs_anywhere
regions: [eu-west-1]
clusters: [edge]
ssm_names: ["ecs-anywhere-edge-*"]
keyed_groups:
  # ping_Online, ping_ConnectionLost
  - key: ping_status
    prefix: ping
  # cluster_edge
  - key: cluster
    prefix: cluster
groups:
  # the group the collection's playbooks run on
  ecs_anywhere_edge: ecs_registered
  ecs_agent_disconnected: ecs_registered and not agent_connected
  not_in_ecs: not ecs_registered
compose:
  ansible_host: ip_address

---
# Managed through Session Manager (no inbound SSH), cached for an hour
plugin: edgeops.ecs_anywhere.ecs_anywhere
regions: [eu-west-1, eu-central-1]
clusters: [edge]
tags:
  Team: platform
include_tags: true
hostnames:
  - tag:Site
  - name: short_name
    prefix: region
    separator: "-"
use_ssm_connection: true
ssm_bucket_name: edge-ansible-ssm-transfer
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
cache_timeout: 3600

---
# Against the local emulator (sandbox/emulator)
plugin: edgeops.ecs_anywhere.ecs_anywhere
endpoint_url: http://127.0.0.1:4566
access_key: testing
secret_key: testing
regions: [us-east-1]
clusters: [default]
"""

try:
    import boto3
    import botocore
except ImportError:
    pass  # reported by require_aws_sdk()

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils import fleet
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import EcsAnywhereError
from ansible_collections.edgeops.ecs_anywhere.plugins.module_utils.common import RETRY_DECORATOR

DEFAULT_GROUP = "ecs_anywhere"
DENIED_CODES = ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation")


class InventoryModule(AWSInventoryBase):
    NAME = "edgeops.ecs_anywhere.ecs_anywhere"
    INVENTORY_FILE_SUFFIXES = ("ecs_anywhere.yml", "ecs_anywhere.yaml")

    def get_option(self, option, hostvars=None):
        if option == "regions":
            # amazon.aws templates every list element, which warns (a deprecated templar
            # argument) on each plain region name: template only the templated ones.
            value = super(AWSInventoryBase, self).get_option(option, hostvars)  # pylint: disable=bad-super-call
            if value and self.templar:
                value = [self.templar.template(v) if self.templar.is_template(v) else v for v in value]
            return value
        return super().get_option(option, hostvars)

    # ------------------------------------------------------------ querying

    def _regions(self):
        regions = self.get_option("regions")
        if regions:
            return list(regions)
        region = self.region
        if not region:
            try:
                region = boto3.session.Session(profile_name=self.get_option("profile")).region_name
            except Exception:  # pylint: disable=broad-except
                region = None
        if not region:
            self.fail_aws(
                f"{self.NAME}: no region. Set regions (a list) or region in the inventory file, or "
                "AWS_REGION in the environment."
            )
        return [region]

    def _query(self, regions):
        """``{"records": [...], "warnings": [...]}`` over ``regions`` (JSON-safe, cacheable)."""
        records = []
        warnings = []
        for region in regions:
            ecs = self.client("ecs", retry_decorator=RETRY_DECORATOR, region=region)
            ssm = self.client("ssm", retry_decorator=RETRY_DECORATOR, region=region)
            try:
                found, notes = fleet.collect(
                    ecs, ssm, self.get_option("clusters"),
                    activation_ids=self.get_option("activation_ids"),
                    tags=self.get_option("tags"),
                    ssm_names=self.get_option("ssm_names"),
                    region=region,
                    with_tags=self.get_option("include_tags"),
                )
            except EcsAnywhereError as e:
                self.fail_aws(f"{self.NAME}: {e.msg}")
            except botocore.exceptions.ClientError as e:
                if is_boto3_error_code(DENIED_CODES, e) is botocore.exceptions.ClientError and not self.get_option("strict_permissions"):
                    warnings.append(f"{self.NAME}: skipped region {region}: {to_native(e)}")
                    continue
                self.fail_aws(f"{self.NAME}: failed to list the fleet in region {region}", exception=e)
            except botocore.exceptions.BotoCoreError as e:
                self.fail_aws(f"{self.NAME}: failed to list the fleet in region {region}", exception=e)
            records.extend(found)
            warnings.extend(notes)
        return {"records": records, "warnings": warnings}

    # ------------------------------------------------------------ host names

    def _preference_value(self, record, preference):
        if isinstance(preference, dict):
            if not preference.get("name"):
                self.fail_aws(f"{self.NAME}: a hostnames entry that is a dict needs a 'name' key: {preference}")
            name = self._preference_value(record, preference["name"])
            if name and preference.get("prefix"):
                prefix = self._preference_value(record, preference["prefix"])
                if prefix:
                    return f"{prefix}{preference.get('separator', '_')}{name}"
            return name
        expression = preference  # keeps its trust (from the inventory file) for templating
        preference = to_text(preference).strip()
        if preference == "short_name":
            return (record.get("computer_name") or "").split(".")[0] or None
        if preference.startswith("tag:"):
            if not self.get_option("include_tags"):
                self.fail_aws(f"{self.NAME}: hostnames entry '{preference}' needs include_tags: true.")
            return (record.get("tags") or {}).get(preference[4:]) or None
        if preference in record:
            value = record[preference]
        else:
            try:
                value = self._compose(expression, dict(
                    record, short_name=(record.get("computer_name") or "").split(".")[0] or None))
            except Exception as e:  # pylint: disable=broad-except
                self.fail_aws(
                    f"{self.NAME}: hostnames entry '{preference}' is neither a host variable "
                    f"({', '.join(sorted(record))}, short_name, tag:KEY) nor a valid expression over them: "
                    f"{to_native(e)}"
                )
        if value is None or value == "" or isinstance(value, (dict, list, bool)):
            return None
        return to_text(value)

    def host_names(self, records, hostnames):
        """``[(name, record)]``: each record's first preferred name not taken by an earlier one."""
        taken = set()
        named = []
        for record in records:
            name = None
            for preference in hostnames:
                candidate = self._preference_value(record, preference)
                if candidate and candidate not in taken:
                    name = candidate
                    break
                if candidate:
                    self.warn(f"{self.NAME}: host name '{candidate}' of {record['managed_instance_id']} is "
                              "already taken by another host; trying the next hostnames preference.")
            if name is None:
                name = record["managed_instance_id"]
                if name in taken:  # the same mi- in two regions cannot happen; be safe
                    name = f"{name}_{record.get('region')}"
            taken.add(name)
            named.append((name, record))
        return named

    # ------------------------------------------------------------ populating

    def host_vars(self, record):
        prefix = self.get_option("hostvars_prefix") or ""
        suffix = self.get_option("hostvars_suffix") or ""
        return {f"{prefix}{k}{suffix}": v for k, v in record.items()}

    def _populate(self, results):
        for warning in results.get("warnings") or []:
            self.warn(warning)
        hostnames = self.get_option("hostnames") or ["computer_name", "managed_instance_id"]
        if not all(isinstance(h, (str, dict)) for h in hostnames):
            self.fail_aws(f"{self.NAME}: hostnames must be a list of strings and dicts.")
        strict = self.get_option("strict")
        self.inventory.add_group(DEFAULT_GROUP)
        for name, record in self.host_names(results.get("records") or [], hostnames):
            self.inventory.add_host(name, group=DEFAULT_GROUP)
            variables = self.host_vars(record)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            if self.get_option("use_ssm_connection") and record.get("ssm_registered"):
                connection = {
                    "ansible_connection": "amazon.aws.aws_ssm",
                    "ansible_host": record["managed_instance_id"],
                    "ansible_aws_ssm_region": record.get("region"),
                }
                if self.get_option("ssm_bucket_name"):
                    connection["ansible_aws_ssm_bucket_name"] = self.get_option("ssm_bucket_name")
                for key, value in connection.items():
                    self.inventory.set_variable(name, key, value)
                variables = dict(variables, **connection)
            self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        hit, results = self.get_cached_result(path, cache)
        if not hit:
            results = self._query(self._regions())
        try:
            self._populate(results)
        except EcsAnywhereError as e:
            raise AnsibleError(e.msg) from None
        self.update_cached_result(path, cache, results)
