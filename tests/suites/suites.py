"""The suites `make test` runs, in order. Each is one command run from the
repository root; its output goes to .tmp/logs/<name>.log and its tail is shown
when it fails. `make test SUITES=a,b` runs a subset; `make test SKIP=a,b`
leaves some out (both are for developers: CI runs everything)."""

import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The module targets run a second time under throttling: the modules' own
# retries. The roles' plays under heavy throttling (50%) are the faults suite's.
THROTTLED_TARGETS = ["ecs_cluster", "ecs_container_instance", "ecs_container_instance_scale",
                     "ecs_external_service", "ecs_external_taskdefinition", "ssm_activation_module",
                     "ssm_activation_no_log", "ssm_service_setting"]

# The plain run in two parts, run concurrently with the throttled one: the
# script targets (the roles' plays, the inventory plugin; the longest part)
# and the module targets. A new target joins its kind's part by itself.
TARGETS_DIR = os.path.join(ROOT, "tests", "integration", "targets")
TARGETS = sorted(t for t in os.listdir(TARGETS_DIR) if not t.startswith("setup_"))
SCRIPT_TARGETS = [t for t in TARGETS if os.path.exists(os.path.join(TARGETS_DIR, t, "runme.sh"))]
MODULE_TARGETS = [t for t in TARGETS if t not in SCRIPT_TARGETS]

# The emulator's tests that run AWS's agents (built by sandbox-images) in an edge container.
REAL_AGENT_TESTS = ["sandbox/emulator/tests/test_real_ssm_agent.py", "sandbox/emulator/tests/test_real_ecs_agent.py"]

# (name, command or [(part, command), ...] run concurrently, what it proves)
SUITES = [
    ("yamllint", "yamllint --strict .", "YAML style of every file"),
    ("ansible-lint", "ANSIBLE_HOME=.tmp/ansible-lint-home ansible-lint",
     "production profile, offline; a private ANSIBLE_HOME so no installed copy shadows the checkout"),
    ("argument-specs", "python scripts/check-argument-specs.py",
     "role variables prefixed, specs and defaults in step"),
    ("sanity", "scripts/ansible-test.sh sanity --requirements",
     "ansible-test sanity, every test"),
    ("unit", "pytest -q -n 2 -p no:cacheprovider tests/unit", "module and module_utils logic"),
    ("emulator", "pytest -q -n 2 -p no:cacheprovider sandbox/emulator/tests " + " ".join(
        "--ignore=" + t for t in REAL_AGENT_TESTS), "the local AWS emulator"),
    ("integration", [("roles", "scripts/run-integration.sh " + " ".join(SCRIPT_TARGETS)),
                     ("modules", "scripts/run-integration.sh " + " ".join(MODULE_TARGETS)),
                     ("throttled", "scripts/run-integration.sh --throttle 0.2 " + " ".join(THROTTLED_TARGETS))],
     "roles and the inventory plugin, and modules, against the emulator, and the modules again with 20% "
     "ThrottlingException injected on ECS and SSM calls: three runs at once, each with its own emulator"),
    ("awx", "pytest -q -p no:cacheprovider tests/awx", "AWX configuration and execution environment"),
    ("sandbox-images", "scripts/build-sandbox.sh",
     "edge host and nginx images; AWS's agents built from source, packaged and signed into the mirror "
     "(cached on their inputs)"),
    ("real-agents", "EDGEOPS_REAL_AGENTS_REQUIRED=1 pytest -q -p no:cacheprovider " + " ".join(REAL_AGENT_TESTS),
     "AWS's SSM and ECS agents in an edge container against the emulator: registration, RSA-signed "
     "role tokens, heartbeats, key rotation; ACS/TCS, a DAEMON task's nginx, awslogs, restart, deregistration"),
    ("edge-hosts", [("molecule-default", "molecule test -s default"),
                    ("e2e", "pytest -q -p no:cacheprovider tests/e2e"),
                    ("faults", "pytest -q -p no:cacheprovider tests/faults")],
     "ecs_anywhere_host on two edge containers (Molecule), and concurrently, each on a sandbox of its "
     "own: site.yml on four hosts (two sliced runs at once, --limit, foreign IAM roles), decommission, "
     "a rolling agent upgrade, re-registration and teardown; and the fault catalogue (throttling, bad names, a killed run)"),
    ("package", "scripts/check-package.sh", "built tarball: content and ansible-doc of every module and role"),
]

# Not part of `make test` (see docs/vagrant.md for why): `make test-vagrant`,
# which .ci/run also runs.
EXTRA_SUITES = [
    ("vagrant", "scripts/build-sandbox.sh && molecule/vagrant/run.sh",
     "the quick start in a Debian 12 VM: Vagrant, libvirt, QEMU without KVM, a locally built box"),
]


def selected():
    only = [s for s in os.environ.get("SUITES", "").split(",") if s]
    skip = [s for s in os.environ.get("SKIP", "").split(",") if s]
    names = [suite[0] for suite in SUITES + EXTRA_SUITES]
    unknown = [s for s in only + skip if s not in names]
    if unknown:
        raise SystemExit("unknown suite(s): %s; known: %s" % (
            ", ".join(unknown), ", ".join(names)))
    pool = SUITES + [s for s in EXTRA_SUITES if s[0] in only]
    return [s for s in pool if (not only or s[0] in only) and s[0] not in skip]
