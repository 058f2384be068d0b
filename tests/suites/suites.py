"""The suites `make test` runs, in order. Each is one command run from the
repository root; its output goes to .tmp/logs/<name>.log and its tail is shown
when it fails. `make test SUITES=a,b` runs a subset; `make test SKIP=a,b`
leaves some out (both are for developers: CI runs everything).

The schedule fits a 2-core machine (docs/testing.md):
1. the linters first: a lint failure shows in a minute;
2. the sandbox build (cached on its inputs outside the checkout);
3. the Vagrant scenario starts in the background (QEMU without KVM, about 20
   minutes); the other light suites run while its VM boots;
4. once the VM has booted, the suites that mostly wait on agents and
   emulators run beside it, niced, so that the VM keeps the CPU it needs;
5. the runner waits for the Vagrant scenario.
Every suite has a budget (seconds of wall time on this kind of machine, under
this schedule); a suite over its budget is named in a warning at the end, not
failed: speed is the benchmark's business, not a timed test's."""

import os
from collections import namedtuple

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# name; command, or [(part, command), ...] run concurrently; what it proves;
# budget (s); background: started here, waited for at the end, and `ready`,
# a line of its log after which the next suites start; nice: run at a lower
# priority (beside the VM); cleanup: what undoes a background suite that the
# runner had to stop (another suite failed first)
Suite = namedtuple("Suite", "name command purpose budget background ready nice cleanup")


def suite(name, command, purpose, budget, background=False, ready=None, nice=False, cleanup=None):
    return Suite(name, command, purpose, budget, background, ready, nice, cleanup)


# The integration targets: the script targets (the roles' plays and the
# inventory plugin) in two parts, the module targets once, under 20%
# ThrottlingException (their assertions are the plain run's; the throttle adds
# the modules' own retries). A new target joins its kind by itself.
TARGETS_DIR = os.path.join(ROOT, "tests", "integration", "targets")
TARGETS = sorted(t for t in os.listdir(TARGETS_DIR) if not t.startswith("setup_"))
SCRIPT_TARGETS = [t for t in TARGETS if os.path.exists(os.path.join(TARGETS_DIR, t, "runme.sh"))]
MODULE_TARGETS = [t for t in TARGETS if t not in SCRIPT_TARGETS]
# role_nginx_service is the longest script target (a fleet of virtual instances
# and a DAEMON service): it runs beside the other three
LONG_SCRIPT_TARGETS = ["role_nginx_service"]
OTHER_SCRIPT_TARGETS = [t for t in SCRIPT_TARGETS if t not in LONG_SCRIPT_TARGETS]

# The emulator's tests that run AWS's agents (built by sandbox-images) in an edge container.
REAL_AGENT_TESTS = ["sandbox/emulator/tests/test_real_ssm_agent.py", "sandbox/emulator/tests/test_real_ecs_agent.py"]

SUITES = [
    suite("yamllint", "yamllint --strict .", "YAML style of every file", 30),
    suite("ansible-lint", "ANSIBLE_HOME=.tmp/ansible-lint-home ansible-lint",
          "production profile, offline; a private ANSIBLE_HOME so no installed copy shadows the checkout", 150),
    suite("argument-specs", "python scripts/check-argument-specs.py",
          "role variables prefixed, specs and defaults in step", 15),
    suite("sandbox-images", "scripts/build-sandbox.sh",
          "edge host and nginx images; AWS's agents built from source, packaged and signed into the mirror "
          "(cached on their inputs)", 420),  # cold: 324 s measured; warm: seconds
    suite("vagrant", "molecule/vagrant/run.sh",
          "the quick start in a Debian 12 VM: Vagrant, libvirt, QEMU without KVM, a locally built box "
          "(background: started here, waited for at the end)", 1800,
          background=True, ready="==> vagrant stage create:", cleanup="molecule/vagrant/run.sh --destroy"),
    suite("sanity", "scripts/ansible-test.sh sanity --requirements", "ansible-test sanity, every test", 150),
    suite("unit", "pytest -q -n 2 -p no:cacheprovider tests/unit", "module and module_utils logic", 30),
    suite("emulator", "pytest -q -n 2 -p no:cacheprovider sandbox/emulator/tests " + " ".join(
        "--ignore=" + t for t in REAL_AGENT_TESTS), "the local AWS emulator", 60),
    suite("sources", "pytest -q -p no:cacheprovider sandbox/agents/tests/test_fetch_sources.py",
          "AWS's agent sources fetched at the pinned commits when not vendored (offline, from local "
          "repositories made of the vendored tarballs)", 90),
    suite("awx", "pytest -q -p no:cacheprovider tests/awx", "AWX configuration and execution environment", 60),
    suite("package", "scripts/check-package.sh", "built tarball: content and ansible-doc of every module and role", 90),
    suite("integration", [
        ("roles", "scripts/run-integration.sh " + " ".join(OTHER_SCRIPT_TARGETS)),
        ("nginx", "scripts/run-integration.sh " + " ".join(LONG_SCRIPT_TARGETS)),
        ("modules", "scripts/run-integration.sh --throttle 0.2 " + " ".join(MODULE_TARGETS))],
        "the roles and the inventory plugin (two parts), and the modules with 20% ThrottlingException "
        "injected on ECS and SSM calls, against the emulator: three runs at once, each with its own emulator",
        900, nice=True),
    suite("real-agents", "EDGEOPS_REAL_AGENTS_REQUIRED=1 pytest -q -p no:cacheprovider " + " ".join(REAL_AGENT_TESTS),
          "AWS's SSM and ECS agents in an edge container against the emulator: registration, RSA-signed "
          "role tokens, heartbeats, key rotation; ACS/TCS, a DAEMON task's nginx, awslogs, restart, deregistration",
          150, nice=True),
    suite("edge-hosts", [("e2e", "pytest -q -p no:cacheprovider --durations=0 tests/e2e"),
                         ("faults", "pytest -q -p no:cacheprovider --durations=0 tests/faults")],
          "each on a sandbox of its own, concurrently: site.yml on four hosts (two sliced runs at once, --limit, "
          "foreign IAM roles), decommission, a rolling agent upgrade, re-registration and teardown; and the "
          "fault catalogue (throttling, bad names, a killed run, a host forgotten by AWS, tampered packages, "
          "another cluster, an expired activation)", 1500, nice=True),
]

# Not part of `make test`: run only when named in SUITES. The Molecule docker
# scenario's steps all run in the Vagrant scenario (the same converge, check,
# idempotence and verify playbooks) and in e2e (two hosts, two managed
# instances); it stays for developers who iterate on the role in containers.
EXTRA_SUITES = [
    suite("molecule-default", "molecule test -s default",
          "ecs_anywhere_host on two edge containers (Molecule's docker driver)", 900),
]


def selected():
    only = [s for s in os.environ.get("SUITES", "").split(",") if s]
    skip = [s for s in os.environ.get("SKIP", "").split(",") if s]
    names = [s.name for s in SUITES + EXTRA_SUITES]
    unknown = [s for s in only + skip if s not in names]
    if unknown:
        raise SystemExit("unknown suite(s): %s; known: %s" % (
            ", ".join(unknown), ", ".join(names)))
    pool = SUITES + [s for s in EXTRA_SUITES if s.name in only]
    return [s for s in pool if (not only or s.name in only) and s.name not in skip]
