# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX configuration and execution environment, validated offline.

Run: .venv/bin/pytest tests/awx   (about 20 s)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PLAYBOOK = ROOT / "playbooks" / "awx_configure.yml"

sys.path.insert(0, str(HERE))
import awx_argspec  # noqa: E402  pylint: disable=wrong-import-position

SECRET = "s3cr3t-EXAMPLE-do-not-print"
ACCESS_KEY = "AKIAEXAMPLEEXAMPLE00"
USER_VARS = {
    "awx_configure_scm_url": "https://git.example.invalid/edgeops/ecs_anywhere.git",
    "awx_configure_ee_image": "registry.example.invalid/edgeops/ecs-anywhere-ee:0.1.0",
    "awx_configure_aws_access_key_id": ACCESS_KEY,
    "awx_configure_aws_secret_access_key": SECRET,
}
TEMPLATES = {
    "site": "ECS Anywhere - site",
    "decommission": "ECS Anywhere - decommission host",
    "teardown": "ECS Anywhere - teardown",
    "verify": "ECS Anywhere - verify",
    "upgrade": "ECS Anywhere - upgrade agents",
}
WORKFLOW = "ECS Anywhere - site and verify"


def _env(**extra):
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    # Never contacted: the dry-run action validates and returns. Loopback anyway.
    env["CONTROLLER_HOST"] = "https://127.0.0.1:9"
    env["CONTROLLER_USERNAME"] = "admin"
    env["CONTROLLER_PASSWORD"] = SECRET + "-controller"
    for name in ("CONTROLLER_OAUTH_TOKEN", "AWX_ARGSPEC_PROJECT_DIR"):
        env.pop(name, None)
    env.update(extra)
    return env


def dry_run(tmp_path, playbook=PLAYBOOK, extra_vars=None, project_dir=None, existing=None):
    """Run the playbook with awx.awx tasks validated instead of executed."""
    record = tmp_path / "awx-calls.jsonl"
    record.unlink(missing_ok=True)
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(USER_VARS if extra_vars is None else extra_vars))
    env = _env(
        ANSIBLE_ACTION_PLUGINS=str(HERE / "action_plugins"),
        AWX_ARGSPEC_RECORD=str(record),
        AWX_ARGSPEC_EXISTING=json.dumps(existing or {}),
    )
    if project_dir:
        env["AWX_ARGSPEC_PROJECT_DIR"] = str(project_dir)
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), str(playbook), "-e", f"@{vars_file}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    records = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return proc, records


def _by_name(records, module):
    return {r["params"]["name"]: r for r in records if r["module"] == module}


# --- the validator itself ----------------------------------------------------
def test_validator_rejects_misspelt_job_template_option():
    errors = awx_argspec.validate("job_template", {"name": "x", "ask_limit_on_lanch": True})[0]
    assert any("ask_limit_on_lanch" in e and "Unsupported parameters" in e for e in errors), errors


def test_validator_rejects_wrong_type_and_choice():
    errors = awx_argspec.validate("job_template", {"name": "x", "job_type": "runn", "forks": "many"})[0]
    assert any("job_type" in e and "one of" in e for e in errors), errors
    assert any("forks" in e for e in errors), errors


def test_validator_rejects_missing_required_option():
    errors = awx_argspec.validate("credential", {"name": "x"})[0]
    assert any("credential_type" in e for e in errors), errors


def test_validator_accepts_aliases_and_auth_options():
    errors, validated = awx_argspec.validate(
        "job_template", {"name": "x", "ask_limit": True, "controller_host": "https://127.0.0.1:9"})
    assert errors == []
    assert validated["ask_limit_on_launch"] is True


def test_survey_and_workflow_rules():
    bad_survey = {"name": "s", "description": "", "spec": [
        {"question_name": "q", "variable": "v", "type": "multiplechoice", "required": True,
         "choices": ["a"], "default": "b"},
        {"question_name": "q2", "variable": "v", "type": "checkbox", "required": "yes"}]}
    errors = awx_argspec.survey_errors(bad_survey)
    assert any("not in choices" in e for e in errors)
    assert any("variable repeated" in e for e in errors)
    assert any("checkbox" in e for e in errors)
    nodes = [{"identifier": "a", "unified_job_template": {"name": "t", "type": "job_template"},
              "related": {"success_nodes": [{"identifier": "nope"}]}}]
    assert any("unknown identifier 'nope'" in e for e in awx_argspec.workflow_node_errors(nodes))


# --- the playbook -------------------------------------------------------------
def test_syntax_check():
    for playbook in (PLAYBOOK, ROOT / "playbooks" / "verify.yml"):
        proc = subprocess.run(
            [str(VENV_BIN / "ansible-playbook"), "--syntax-check", str(playbook)],
            cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_awx_task_passes_the_module_argument_specs(tmp_path):
    proc, records = dry_run(tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert records and all(r["ok"] for r in records), [r["errors"] for r in records if not r["ok"]]
    modules = [r["module"] for r in records]
    assert modules == [
        "execution_environment", "project", "credential", "inventory", "inventory_source",
        "job_template", "job_template", "job_template", "job_template", "job_template", "workflow_job_template",
    ]
    # no secret reaches the output or the record
    for secret in (SECRET, ACCESS_KEY):
        assert secret not in out
        assert secret not in (tmp_path / "awx-calls.jsonl").read_text()


def test_objects_are_configured_as_the_quick_start_needs(tmp_path):
    proc, records = dry_run(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    project = _by_name(records, "project")["ECS Anywhere"]["params"]
    assert project["scm_url"] == USER_VARS["awx_configure_scm_url"]
    source = _by_name(records, "inventory_source")["ECS Anywhere edge from project"]["params"]
    assert (source["source"], source["source_project"], source["source_path"]) == (
        "scm", "ECS Anywhere", "inventories/example")
    cred = _by_name(records, "credential")["ECS Anywhere AWS"]["params"]
    assert cred["credential_type"] == "Amazon Web Services"
    assert set(cred["inputs"]) == {"username", "password"}  # session token omitted when empty

    jts = _by_name(records, "job_template")
    assert set(jts) == set(TEMPLATES.values())
    playbooks = {name: r["params"]["playbook"] for name, r in jts.items()}
    assert playbooks == {
        TEMPLATES["site"]: "site.yml",
        TEMPLATES["decommission"]: "playbooks/decommission.yml",
        TEMPLATES["teardown"]: "playbooks/teardown.yml",
        TEMPLATES["verify"]: "playbooks/verify.yml",
        TEMPLATES["upgrade"]: "playbooks/upgrade_agents.yml",
    }

    def survey_vars(name):
        return {q["variable"]: q for q in jts[name]["params"]["survey_spec"]["spec"]}

    assert set(survey_vars(TEMPLATES["site"])) == {
        "ecs_anywhere_region", "ecs_anywhere_cluster_name", "ecs_anywhere_edge_group"}
    # only site.yml is sliced (awx_configure_site_job_slice_count, default 1 = not sliced)
    slices = {name: r["params"].get("job_slice_count") for name, r in jts.items()}
    assert int(slices.pop(TEMPLATES["site"])) == 1, slices
    assert set(slices.values()) == {None}, slices
    decom = jts[TEMPLATES["decommission"]]["params"]
    assert decom["ask_limit_on_launch"] is True
    assert decom["limit"] == "REPLACE_WITH_HOSTS_TO_DECOMMISSION"
    dvars = survey_vars(TEMPLATES["decommission"])
    for var in ("ecs_anywhere_decommission_force", "ecs_anywhere_decommission_uninstall"):
        assert dvars[var]["required"] is True and dvars[var]["default"] == "false"
    uvars = survey_vars(TEMPLATES["upgrade"])
    assert (uvars["ecs_anywhere_upgrade_batch_size"]["default"], uvars["ecs_anywhere_upgrade_max_fail_percentage"]["default"]) == (1, 0)
    assert jts[TEMPLATES["upgrade"]]["params"].get("job_slice_count") is None, "a sliced rollout drains several hosts at once"
    confirm = survey_vars(TEMPLATES["teardown"])["ecs_anywhere_teardown_confirm"]
    # teardown.yml runs only when this answer equals the cluster name: no default to click through
    assert confirm["required"] is True and confirm["type"] == "text" and not confirm.get("default")

    workflow = _by_name(records, "workflow_job_template")[WORKFLOW]["params"]
    nodes = {n["identifier"]: n for n in workflow["workflow_nodes"]}
    assert nodes["site"]["unified_job_template"]["name"] == TEMPLATES["site"]
    assert nodes["site"]["related"]["success_nodes"] == [{"identifier": "verify"}]
    assert nodes["verify"]["unified_job_template"]["name"] == TEMPLATES["verify"]


def test_site_job_template_is_sliced_as_asked(tmp_path):
    proc, records = dry_run(tmp_path, extra_vars=dict(USER_VARS, awx_configure_site_job_slice_count=8))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = _by_name(records, "job_template")[TEMPLATES["site"]]["params"]
    assert int(site["job_slice_count"]) == 8


def test_optional_machine_credential_is_attached_when_given(tmp_path):
    extra = dict(USER_VARS, awx_configure_machine_credential="edge ssh")
    proc, records = dry_run(tmp_path, extra_vars=extra)
    assert proc.returncode != 0  # not created by the playbook and not declared as existing
    assert "credential 'edge ssh' is neither created" in proc.stdout
    proc, records = dry_run(tmp_path, extra_vars=extra, existing={"credential": ["edge ssh"]})
    assert proc.returncode == 0, proc.stdout
    for record in _by_name(records, "job_template").values():
        assert record["params"]["credentials"] == ["ECS Anywhere AWS", "edge ssh"]


def test_job_templates_point_at_files_in_the_project(tmp_path):
    """Playbooks and the inventory source path exist in this repository."""
    proc, records = dry_run(tmp_path, project_dir=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(r["ok"] for r in records)


@pytest.mark.parametrize(
    ("needle", "replacement", "expected"),
    [
        # misspelt job template option -> the module's own "Unsupported parameters"
        ("        ask_limit_on_launch: true\n        survey_enabled: true\n        survey_spec:\n          name: Decommission",
         "        ask_limit_on_lanch: true\n        survey_enabled: true\n        survey_spec:\n          name: Decommission",
         "Unsupported parameters for (awx.awx.job_template) module: ask_limit_on_lanch"),
        # value outside the module's choices
        ("        job_type: run\n        project: \"{{ __awx_configure_project_name }}\"\n        playbook: playbooks/teardown.yml",
         "        job_type: running\n        project: \"{{ __awx_configure_project_name }}\"\n        playbook: playbooks/teardown.yml",
         "value of job_type must be one of: run, check, got: running"),
        # workflow node pointing at a job template that is not created
        ("              name: \"{{ __awx_configure_templates.verify }}\"\n              type: job_template",
         "              name: ECS Anywhere - verfiy\n              type: job_template",
         "job_template 'ECS Anywhere - verfiy' not created earlier"),
    ],
    ids=["misspelt-option", "bad-choice", "dangling-workflow-node"],
)
def test_deliberately_wrong_field_fails(tmp_path, needle, replacement, expected):
    text = PLAYBOOK.read_text()
    assert text.count(needle) == 1, "mutation anchor not found once in the playbook"
    broken = tmp_path / "awx_configure_broken.yml"
    broken.write_text(text.replace(needle, replacement))
    proc = dry_run(tmp_path, playbook=broken)[0]
    assert proc.returncode != 0
    assert expected in proc.stdout, proc.stdout[-3000:]


def test_preflight_names_the_missing_inputs(tmp_path):
    proc, records = dry_run(tmp_path, extra_vars={})
    assert proc.returncode != 0
    assert "awx_configure_scm_url" in proc.stdout and "awx_configure_ee_image" in proc.stdout
    assert records == []  # nothing reached the controller


# --- execution environment ------------------------------------------------------
@pytest.fixture(scope="module")
def collection_tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("galaxy")
    subprocess.run(
        [str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), str(ROOT)],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=True)
    (tarball,) = out.glob("edgeops-ecs_anywhere-*.tar.gz")
    return tarball


def test_ansible_builder_create(tmp_path, collection_tarball):
    ee_dir = tmp_path / "ee"
    (ee_dir / ".cache" / "ee").mkdir(parents=True)
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(ROOT / name, ee_dir / name)
    shutil.copy(collection_tarball, ee_dir / ".cache" / "ee" / "edgeops-ecs_anywhere.tar.gz")
    context = tmp_path / "context"
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", str(context),
         "--output-filename", "Containerfile"],
        cwd=ee_dir, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No matches" not in proc.stdout + proc.stderr

    build = context / "_build"
    containerfile = (context / "Containerfile").read_text()
    assert definition["images"]["base_image"]["name"] in containerfile
    pip_reqs = (build / "requirements.txt").read_text()
    for req in ("boto3>=", "botocore>="):
        assert req in pip_reqs
    assert "gnupg" in (build / "bindep.txt").read_text()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    names = [c["name"] for c in galaxy["collections"]]
    # only what the collection uses (galaxy.yml's dependencies)
    assert "amazon.aws" in names and "community.aws" not in names and "ansible.posix" not in names
    local = [c for c in galaxy["collections"] if c.get("type") == "file"]
    assert len(local) == 1
    # the galaxy stage runs in /build with _build copied there: the file must be in the context
    shipped = build / local[0]["name"]
    assert shipped.is_file()
    with tarfile.open(shipped) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        members = tar.getnames()
    assert (manifest["collection_info"]["namespace"], manifest["collection_info"]["name"]) == (
        "edgeops", "ecs_anywhere")
    assert "meta/execution-environment.yml" in members


def test_collection_metadata_is_found_by_ansible_builder_introspection(tmp_path, collection_tarball):
    """What the builder stage does with the installed collection: introspect its EE metadata."""
    collections = tmp_path / "collections"
    subprocess.run(
        [str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
         "-p", str(collections), str(collection_tarball)],
        cwd=tmp_path, env=_env(ANSIBLE_COLLECTIONS_PATH=str(collections)),
        capture_output=True, text=True, timeout=120, check=True)
    import ansible_builder  # pylint: disable=import-outside-toplevel

    introspect = Path(ansible_builder.__file__).parent / "_target_scripts" / "introspect.py"
    pip_out, bindep_out = tmp_path / "pip.txt", tmp_path / "bindep.txt"
    subprocess.run(
        [sys.executable, str(introspect), "introspect", str(collections),
         "--write-pip", str(pip_out), "--write-bindep", str(bindep_out)],
        capture_output=True, text=True, timeout=60, check=True)
    pip_lines = pip_out.read_text().splitlines()
    assert "boto3>=1.34.0  # from collection edgeops.ecs_anywhere" in pip_lines
    assert "botocore>=1.34.0  # from collection edgeops.ecs_anywhere" in pip_lines
    assert any(line.startswith("gnupg") for line in bindep_out.read_text().splitlines())


def test_decommission_placeholder_limit_stops_before_any_task(tmp_path):
    """The job template's default limit matches no host: a launch that keeps it fails at once."""
    proc, records = dry_run(tmp_path)
    assert proc.returncode == 0, proc.stdout
    limit = _by_name(records, "job_template")[TEMPLATES["decommission"]]["params"]["limit"]
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "playbooks/decommission.yml", "-i", "inventories/example",
         "--limit", limit],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0
    assert "no hosts to target" in proc.stdout + proc.stderr
    assert "TASK [" not in proc.stdout
