# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline checks of awx.awx task arguments against the real awx.awx modules.

* ``module_spec(name)`` imports ``ansible_collections.awx.awx.plugins.modules.<name>``,
  runs its ``main()`` with ``AnsibleModule.__init__`` patched to capture the
  keyword arguments the module builds (argument_spec incl. the controller auth
  options, mutually_exclusive, required_if, ...) and stop there.
* ``validate(name, params)`` runs ansible-core's ``ArgumentSpecValidator`` on
  that spec: unknown options, wrong types, bad choices, missing required ones
  and the module's own mutual-exclusion rules all fail exactly as the module
  would fail them before talking to the controller.
* ``survey_errors(spec)`` and ``workflow_node_errors(nodes)`` check the two
  free-form dicts the modules pass through unchecked, with the rules the AWX
  API applies to them (awx/api/views survey_spec validation, workflow node
  identifiers).
"""

from __future__ import annotations

import functools
import importlib
from unittest import mock

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

_VALIDATOR_KWARGS = (
    "mutually_exclusive",
    "required_together",
    "required_one_of",
    "required_if",
    "required_by",
)


class _Captured(BaseException):
    """Raised from the patched AnsibleModule.__init__ to leave main() early."""

    def __init__(self, kwargs):
        super().__init__("captured")
        self.kwargs = kwargs


@functools.lru_cache(maxsize=None)
def module_spec(name):
    """Return the kwargs the awx.awx module ``name`` passes to AnsibleModule."""
    mod = importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{name}")

    def _capture(self, *args, **kwargs):
        if args:
            kwargs["argument_spec"] = args[0]
        raise _Captured(kwargs)

    with mock.patch.object(AnsibleModule, "__init__", _capture):
        try:
            mod.main()
        except _Captured as captured:
            return captured.kwargs
    raise AssertionError(f"awx.awx.{name}: main() never built an AnsibleModule")


def validate(name, params):
    """Return the error messages of the module's own argument validation."""
    kwargs = module_spec(name)
    validator = ArgumentSpecValidator(
        kwargs["argument_spec"],
        **{k: kwargs[k] for k in _VALIDATOR_KWARGS if kwargs.get(k)},
    )
    result = validator.validate(params)
    errors = []
    for error in result.errors:
        if isinstance(error, UnsupportedError):
            # the wording AnsibleModule.fail_json uses for the same error
            errors.append(f"Unsupported parameters for (awx.awx.{name}) module: {error.msg}")
        else:
            errors.append(error.msg)
    return errors, result.validated_parameters


def no_log_options(name):
    spec = module_spec(name)["argument_spec"]
    return {opt for opt, opt_spec in spec.items() if opt_spec.get("no_log")}


# --- survey specs: the rules of AWX's survey_spec endpoint -----------------
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
QUESTION_KEYS = {
    "question_name", "question_description", "variable", "type", "required",
    "default", "choices", "min", "max", "new_question",
}


def _choices(question):
    choices = question.get("choices", [])
    if isinstance(choices, str):
        choices = [c for c in choices.split("\n") if c]
    return choices


def survey_errors(survey):
    """Errors AWX would answer when the survey_spec is posted."""
    errors = []
    if not isinstance(survey, dict):
        return ["survey_spec must be a dict"]
    for key in ("name", "description", "spec"):
        if key not in survey:
            errors.append(f"survey_spec: '{key}' missing")
    spec = survey.get("spec", [])
    if not isinstance(spec, list) or not spec:
        return errors + ["survey_spec: 'spec' must be a non-empty list"]
    seen = set()
    for idx, question in enumerate(spec):
        where = f"survey question {idx} ({question.get('variable', '?')})"
        unknown = set(question) - QUESTION_KEYS
        if unknown:
            errors.append(f"{where}: unknown keys {sorted(unknown)}")
        for key in ("question_name", "variable", "type", "required"):
            if key not in question:
                errors.append(f"{where}: '{key}' missing")
        if question.get("variable") in seen:
            errors.append(f"{where}: variable repeated")
        seen.add(question.get("variable"))
        qtype = question.get("type")
        if qtype not in SURVEY_TYPES:
            errors.append(f"{where}: type {qtype!r} not one of {sorted(SURVEY_TYPES)}")
        if not isinstance(question.get("required", False), bool):
            errors.append(f"{where}: 'required' must be a boolean")
        default = question.get("default")
        if qtype in ("multiplechoice", "multiselect"):
            choices = _choices(question)
            if not choices:
                errors.append(f"{where}: {qtype} needs choices")
            defaults = default.split("\n") if qtype == "multiselect" and isinstance(default, str) else [default]
            for value in defaults:
                if value not in (None, "") and value not in choices:
                    errors.append(f"{where}: default {value!r} not in choices {choices}")
        if qtype in ("integer", "float") and default not in (None, ""):
            if not isinstance(default, (int, float)) or isinstance(default, bool):
                errors.append(f"{where}: default must be a number")
        for bound in ("min", "max"):
            if bound in question and not isinstance(question[bound], int):
                errors.append(f"{where}: '{bound}' must be an integer")
        if qtype in ("text", "textarea", "password") and isinstance(default, str) and default:
            if "min" in question and len(default) < question["min"]:
                errors.append(f"{where}: default shorter than min {question['min']}")
            if "max" in question and len(default) > question["max"]:
                errors.append(f"{where}: default longer than max {question['max']}")
    return errors


WORKFLOW_NODE_TYPES = {"job_template", "workflow_job_template", "project", "inventory_source", "workflow_approval"}
WORKFLOW_NODE_KEYS = {
    "identifier", "unified_job_template", "related", "extra_data", "inventory", "scm_branch",
    "job_type", "job_tags", "skip_tags", "limit", "diff_mode", "verbosity", "forks",
    "job_slice_count", "timeout", "all_parents_must_converge", "state", "execution_environment",
    "credentials", "labels", "instance_groups",
}
WORKFLOW_RELATED_KEYS = {"success_nodes", "failure_nodes", "always_nodes", "credentials", "labels", "instance_groups"}


def workflow_node_errors(nodes):
    """Errors in a workflow_nodes list: shape, identifiers, links between nodes."""
    errors = []
    identifiers = [node.get("identifier") for node in nodes]
    if None in identifiers:
        errors.append("workflow node without identifier")
    if len(set(identifiers)) != len(identifiers):
        errors.append(f"workflow node identifiers repeated: {identifiers}")
    for node in nodes:
        where = f"workflow node {node.get('identifier')}"
        unknown = set(node) - WORKFLOW_NODE_KEYS
        if unknown:
            errors.append(f"{where}: unknown keys {sorted(unknown)}")
        ujt = node.get("unified_job_template", {})
        if not ujt.get("name"):
            errors.append(f"{where}: unified_job_template.name missing")
        if ujt.get("type") not in WORKFLOW_NODE_TYPES:
            errors.append(f"{where}: unified_job_template.type {ujt.get('type')!r} not one of {sorted(WORKFLOW_NODE_TYPES)}")
        related = node.get("related", {})
        unknown = set(related) - WORKFLOW_RELATED_KEYS
        if unknown:
            errors.append(f"{where}: unknown related keys {sorted(unknown)}")
        for kind in ("success_nodes", "failure_nodes", "always_nodes"):
            for target in related.get(kind, []):
                if target.get("identifier") not in identifiers:
                    errors.append(f"{where}: {kind} -> unknown identifier {target.get('identifier')!r}")
    return errors
