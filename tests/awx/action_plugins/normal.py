# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only override of ansible.legacy.normal: a dry-run AWX controller.

With ANSIBLE_ACTION_PLUGINS pointing at this directory, every module without an
action plugin of its own runs through this class. Tasks of awx.awx modules are
not sent to a controller: their final arguments (templated by Ansible, with
module_defaults merged and omitted values dropped, exactly what the module
would receive) are validated against the real module's argument spec
(awx_argspec.validate), survey specs and workflow nodes are checked with AWX's
rules, and, when AWX_ARGSPEC_RECORD names a JSON-lines file, each call is
appended to it (no_log options masked) and references between objects
(project, inventory, credentials, execution environment, job templates) are
resolved against what earlier tasks of the same run created (plus
AWX_ARGSPEC_EXISTING, JSON {"credential": ["name", ...]}); with
AWX_ARGSPEC_PROJECT_DIR the playbooks and inventory source path must exist in
that project directory.
Every other module runs normally.
"""

from __future__ import annotations

import json
import os
import sys

import importlib.util

import ansible.plugins.action

# This file is loaded under the name ansible.plugins.action.normal: load the
# builtin one from its file under another name.
_SPEC = importlib.util.spec_from_file_location(
    "_edgeops_builtin_normal", os.path.join(os.path.dirname(ansible.plugins.action.__file__), "normal.py"))
_BUILTIN = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_BUILTIN)
NormalActionModule = _BUILTIN.ActionModule

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import awx_argspec  # noqa: E402  pylint: disable=wrong-import-position

# option -> kind of object it names, per module
REFERENCES = {
    "project": {"default_environment": "execution_environment", "credential": "credential"},
    "inventory_source": {"inventory": "inventory", "source_project": "project", "credential": "credential",
                         "execution_environment": "execution_environment"},
    "job_template": {"project": "project", "inventory": "inventory", "execution_environment": "execution_environment",
                     "credentials": "credential", "credential": "credential"},
    "workflow_job_template": {"inventory": "inventory"},
    "execution_environment": {"credential": "credential"},
}


def _load_records(path):
    records = []
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    return records


def _plain(value):
    return json.loads(json.dumps(value, default=str))


class ActionModule(NormalActionModule):
    def run(self, tmp=None, task_vars=None):
        fqcn = self._task.resolved_action or self._task.action
        if not fqcn.startswith("awx.awx."):
            return super().run(tmp, task_vars)

        name = fqcn.rsplit(".", 1)[-1]
        params = _plain(dict(self._task.args))
        errors, validated = awx_argspec.validate(name, params)
        validated = _plain(validated)

        record_path = os.environ.get("AWX_ARGSPEC_RECORD")
        project_dir = os.environ.get("AWX_ARGSPEC_PROJECT_DIR")
        existing = json.loads(os.environ.get("AWX_ARGSPEC_EXISTING", "{}"))
        created = {}
        for record in _load_records(record_path):
            if record.get("ok"):
                created.setdefault(record["module"], set()).add(record["params"]["name"])
        for kind, names in existing.items():
            created.setdefault(kind, set()).update(names)

        if not errors:
            if validated.get("survey_spec") is not None:
                errors.extend(awx_argspec.survey_errors(validated["survey_spec"]))
                if not validated.get("survey_enabled"):
                    errors.append("survey_spec given but survey_enabled is not true")
            if name == "workflow_job_template":
                errors.extend(awx_argspec.workflow_node_errors(validated.get("workflow_nodes") or []))
        # References are resolved only when the run is recorded (earlier calls known).
        if not errors and record_path:
            for option, kind in REFERENCES.get(name, {}).items():
                values = validated.get(option)
                for value in values if isinstance(values, list) else [values]:
                    if value and value not in created.get(kind, set()):
                        errors.append(f"{option}: {kind} {value!r} is neither created earlier in this run nor listed as existing")
            for node in validated.get("workflow_nodes") or []:
                ujt = node.get("unified_job_template", {})
                if ujt.get("name") not in created.get(ujt.get("type"), set()):
                    errors.append(f"workflow node {node.get('identifier')}: {ujt.get('type')} {ujt.get('name')!r} not created earlier")
        if not errors and project_dir:
            if name == "job_template" and validated.get("playbook"):
                if not os.path.isfile(os.path.join(project_dir, validated["playbook"])):
                    errors.append(f"playbook {validated['playbook']!r} does not exist in the project")
            if name == "inventory_source" and validated.get("source_path"):
                if not os.path.exists(os.path.join(project_dir, validated["source_path"])):
                    errors.append(f"source_path {validated['source_path']!r} does not exist in the project")

        masked = dict(params)
        for option in awx_argspec.no_log_options(name) & set(masked):
            value = masked[option]
            masked[option] = {k: "********" for k in value} if isinstance(value, dict) else "********"
        if record_path:
            with open(record_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"module": name, "ok": not errors, "errors": errors, "params": masked}) + "\n")

        if errors:
            return {"failed": True, "changed": False, "msg": f"awx.awx.{name}: " + "; ".join(errors)}
        return {"failed": False, "changed": True, "msg": f"awx.awx.{name}: arguments valid (dry run, no controller contacted)"}
