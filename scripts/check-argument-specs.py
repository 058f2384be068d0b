#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep every role's meta/argument_specs.yml, defaults/main.yml and variable names in step.

For each role under roles/ (or the role directories given as arguments) it fails when:

1. a variable in defaults/main.yml has no entry in the ``main`` entry point's options
   (main documents the whole public interface);
2. an option of any entry point has no value in defaults/main.yml and is not ``required: true``;
3. (warning only) an option's ``default`` in argument_specs differs from defaults/main.yml;
4. a task file of a non-main entry point (tasks/<entry>.yml and the files it imports or
   includes by a literal name) uses a public variable of the role that the entry point's
   options do not list;
5. a role variable is not prefixed with the role name: keys of defaults/ and vars/ files,
   ``set_fact`` keys, ``register`` names and task/block ``vars`` in tasks/ and handlers/
   (public ``<role>_*``, internal ``__<role>_*``).

It prints each problem with the fix, and exits 1 when there is any.
Usage: scripts/check-argument-specs.py [ROLE_DIR ...]
"""

from __future__ import annotations

import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SET_FACT = {"set_fact", "ansible.builtin.set_fact", "ansible.legacy.set_fact"}
INCLUDE_ROLE = {"include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role",
                "ansible.legacy.include_role", "ansible.legacy.import_role"}
INCLUDE_TASKS = {"include_tasks", "import_tasks", "ansible.builtin.include_tasks", "ansible.builtin.import_tasks",
                 "ansible.legacy.include_tasks", "ansible.legacy.import_tasks"}
SET_FACT_ARGS = {"cacheable"}
BLOCK_KEYS = ("block", "rescue", "always")


class _Loader(yaml.SafeLoader):
    """SafeLoader that accepts Ansible's tags (!unsafe, !vault) as plain values."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_Loader.add_multi_constructor("!", _any_tag)


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def rel(path):
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def iter_tasks(tasks):
    """Every task in a task list, blocks flattened (the block itself included)."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in BLOCK_KEYS:
            if isinstance(task.get(key), list):
                yield from iter_tasks(task[key])


def task_action(task):
    for key, value in task.items():
        if key in SET_FACT or key in INCLUDE_ROLE or key in INCLUDE_TASKS:
            return key, value
    return None, None


def included_files(task_file, tasks_dir):
    """Task files a task file imports/includes by a literal file name."""
    found = []
    for task in iter_tasks(load(task_file) or []):
        action, value = task_action(task)
        if action not in INCLUDE_TASKS:
            continue
        name = value.get("file") if isinstance(value, dict) else value
        if isinstance(name, str) and "{{" not in name:
            candidate = tasks_dir / name
            if candidate.is_file():
                found.append(candidate)
    return found


def entry_point_files(role, entry):
    tasks_dir = role / "tasks"
    start = None
    for ext in (".yml", ".yaml"):
        if (tasks_dir / f"{entry}{ext}").is_file():
            start = tasks_dir / f"{entry}{ext}"
            break
    if start is None:
        return []
    seen, todo = [], [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(included_files(current, tasks_dir))
    return seen


def check_role(role):
    problems, warnings = [], []
    name = role.name
    prefixes = (f"{name}_", f"__{name}_")

    def bad_name(var):
        return not str(var).startswith(prefixes)

    defaults_file = next((role / "defaults" / f for f in ("main.yml", "main.yaml") if (role / "defaults" / f).is_file()), None)
    defaults = (load(defaults_file) or {}) if defaults_file else {}
    spec_file = next((role / "meta" / f for f in ("argument_specs.yml", "argument_specs.yaml") if (role / "meta" / f).is_file()), None)

    # 5. prefixes: defaults/ and vars/
    for sub in ("defaults", "vars"):
        for path in sorted((role / sub).glob("*.y*ml")) if (role / sub).is_dir() else []:
            for var in (load(path) or {}):
                if bad_name(var):
                    problems.append(f"{rel(path)}: variable '{var}' is not prefixed with the role name: rename it "
                                    f"to '{name}_{var}' (public) or '__{name}_{var}' (internal), everywhere it is used.")

    # 5. prefixes: set_fact, register, vars in tasks/ and handlers/
    for sub in ("tasks", "handlers"):
        for path in sorted((role / sub).glob("**/*.y*ml")) if (role / sub).is_dir() else []:
            for task in iter_tasks(load(path) or []):
                label = task.get("name", "(unnamed task)")
                action, value = task_action(task)
                names = []
                if action in SET_FACT and isinstance(value, dict):
                    names += [("set_fact", k) for k in value if k not in SET_FACT_ARGS]
                if isinstance(task.get("register"), str):
                    names.append(("register", task["register"]))
                if isinstance(task.get("vars"), dict) and action not in INCLUDE_ROLE:
                    names += [("vars", k) for k in task["vars"]]
                loop_var = (task.get("loop_control") or {}).get("loop_var") if isinstance(task.get("loop_control"), dict) else None
                if loop_var:
                    names.append(("loop_var", loop_var))
                for kind, var in names:
                    if bad_name(var):
                        problems.append(f"{rel(path)}: task '{label}': {kind} '{var}' is not prefixed with the role "
                                        f"name: use '__{name}_{var}' (internal) or '{name}_{var}' (an output).")

    if spec_file is None:
        problems.append(f"{rel(role)}: no meta/argument_specs.yml. Add one with a 'main' entry point whose options "
                        "list every variable of defaults/main.yml (type, description, default).")
        return problems, warnings
    specs = (load(spec_file) or {}).get("argument_specs") or {}
    if "main" not in specs and (role / "tasks" / "main.yml").is_file():
        problems.append(f"{rel(spec_file)}: no 'main' entry point although tasks/main.yml exists: add argument_specs.main.")

    # 1. every default documented in main
    main_options = ((specs.get("main") or {}).get("options")) or {}
    for var in defaults:
        if "main" in specs and var not in main_options:
            problems.append(f"{rel(spec_file)}: entry point 'main': variable '{var}' from defaults/main.yml has no "
                            f"entry: add argument_specs.main.options.{var} with type, description and "
                            f"default {defaults[var]!r}.")

    public_vars = {v for v in defaults if str(v).startswith(f"{name}_")}
    for entry, spec in specs.items():
        options = (spec or {}).get("options") or {}
        for var, option in options.items():
            option = option or {}
            # 2. a default or required
            if var not in defaults and not option.get("required", False):
                problems.append(f"{rel(spec_file)}: entry point '{entry}': option '{var}' has no value in "
                                f"defaults/main.yml and is not 'required: true': add '{var}: ...' to "
                                "defaults/main.yml, or mark the option required.")
            # 3. defaults agree
            if var in defaults and "default" in option and option["default"] != defaults[var]:
                left = str(option["default"]).strip() if isinstance(option["default"], str) else option["default"]
                right = " ".join(defaults[var].split()) if isinstance(defaults[var], str) else defaults[var]
                left = " ".join(left.split()) if isinstance(left, str) else left
                if left != right:
                    warnings.append(f"{rel(spec_file)}: entry point '{entry}': option '{var}' documents default "
                                    f"{option['default']!r} but defaults/main.yml sets {defaults[var]!r}: make them equal.")
            if var in defaults and option.get("required", False):
                problems.append(f"{rel(spec_file)}: entry point '{entry}': option '{var}' is 'required: true' but has "
                                "a value in defaults/main.yml: drop one of the two.")
            if bad_name(var):
                problems.append(f"{rel(spec_file)}: entry point '{entry}': option '{var}' is not prefixed with the "
                                f"role name: rename it '{name}_{var}'.")
        # 4. non-main entry points list the public variables their task files use
        if entry != "main":
            used = set()
            for path in entry_point_files(role, entry):
                text = path.read_text(encoding="utf-8")
                used |= {v for v in public_vars if re.search(rf"\b{re.escape(v)}\b", text)}
            # variables whose defaults refer to other public variables are used too
            changed = True
            while changed:
                changed = False
                for var in list(used):
                    value = defaults.get(var)
                    if isinstance(value, str):
                        more = {v for v in public_vars if v not in used and re.search(rf"\b{re.escape(v)}\b", value)}
                        if more:
                            used |= more
                            changed = True
            for var in sorted(used - set(options)):
                problems.append(f"{rel(spec_file)}: entry point '{entry}' (tasks/{entry}.yml) uses '{var}' but its "
                                f"options do not list it: add argument_specs.{entry}.options.{var} (type, "
                                "description, default).")
    return problems, warnings


def main(argv):
    roles = [pathlib.Path(a).resolve() for a in argv] or sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())
    problems, warnings = [], []
    for role in roles:
        found, warned = check_role(role)
        problems += found
        warnings += warned
    for warning in warnings:
        print(f"WARNING {warning}")
    for problem in problems:
        print(f"ERROR {problem}")
    print(f"check-argument-specs: {len(roles)} role(s) ({', '.join(r.name for r in roles)}), "
          f"{len(problems)} problem(s), {len(warnings)} warning(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
