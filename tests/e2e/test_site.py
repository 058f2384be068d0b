"""site.yml on four edge containers, asserting AWS state read back from the
emulator and what the edge hosts serve: check mode, two sliced runs started at
the same moment, idempotence, a --limit run, decommission, a rolling agent
upgrade, re-registration and teardown, in a shared account (another workload's
IAM roles exist beside ours and must come out of it all unchanged). The steps
build on each other and run in file order."""

import json
import os
import threading
import time

import pytest

from conftest import CLUSTER, HOSTS, edge

# Roles another workload of the same account owns, with AWS's conventional
# names (the ones this collection used to manage, purge and delete).
FOREIGN_ROLES = {
    "ecsTaskExecutionRole": "ecs-tasks.amazonaws.com",
    "ecsAnywhereRole": "ssm.amazonaws.com",
}
FOREIGN_POLICIES = [
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
]
FOREIGN_PROFILE = "[other-team]\naws_access_key_id = AKIAOTHERTEAMEXAMPLE\naws_secret_access_key = other-team-secret\n"


def role_snapshot(iam, name):
    """Everything about a role another workload relies on."""
    role = iam.get_role(RoleName=name)["Role"]
    inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
    return {
        "arn": role["Arn"],
        "trust": role["AssumeRolePolicyDocument"],
        "description": role.get("Description"),
        "tags": sorted((t["Key"], t["Value"]) for t in iam.list_role_tags(RoleName=name)["Tags"]),
        "attached": sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]),
        "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"] for p in inline},
    }


@pytest.fixture(scope="module")
def foreign_roles(aws):
    """Create the other workload's roles before anything runs; their snapshot."""
    iam = aws["iam"]
    for name, service in FOREIGN_ROLES.items():
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                        Description="owned by another team", Tags=[{"Key": "team", "Value": "other"}])
        for arn in FOREIGN_POLICIES:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        iam.put_role_policy(RoleName=name, PolicyName="other-team-inline", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other-team/*"}]}))
    return {name: role_snapshot(iam, name) for name in FOREIGN_ROLES}


def assert_foreign_roles_unchanged(aws, foreign_roles):
    for name, before in foreign_roles.items():
        assert role_snapshot(aws["iam"], name) == before, "%s was changed" % name


def aws_leftovers(aws):
    """Everything site.yml creates on the AWS side that still exists."""
    left = {}
    clusters = aws["ecs"].describe_clusters(clusters=[CLUSTER])["clusters"]
    if any(c["status"] == "ACTIVE" for c in clusters):
        left["cluster"] = CLUSTER
        arns = aws["ecs"].list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
        if arns:
            left["container_instances"] = arns
        services = aws["ecs"].list_services(cluster=CLUSTER)["serviceArns"]
        if services:
            left["services"] = services
    tds = aws["ecs"].list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    if tds:
        left["task_definitions"] = tds
    acts = aws["ssm"].describe_activations()["ActivationList"]
    if acts:
        left["activations"] = [a["ActivationId"] for a in acts]
    mis = aws["ssm"].describe_instance_information()["InstanceInformationList"]
    if mis:
        left["managed_instances"] = [i["InstanceId"] for i in mis]
    roles = [r["RoleName"] for r in aws["iam"].list_roles()["Roles"] if r["RoleName"] not in FOREIGN_ROLES]
    if roles:
        left["iam_roles"] = roles
    groups = [g["logGroupName"] for g in aws["logs"].describe_log_groups()["logGroups"]]
    if groups:
        left["log_groups"] = groups
    return left


def nginx_answers(host):
    r = edge(host, "curl", "-s", "-w", "\nHTTP %{http_code}", "http://localhost:8080/")
    return "HTTP 200" in r.stdout and "Welcome to nginx" in r.stdout, r.stdout[-300:]


def instances(aws):
    arns = aws["ecs"].list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
    if not arns:
        return []
    return aws["ecs"].describe_container_instances(cluster=CLUSTER, containerInstances=arns)["containerInstances"]


def registered_mi(host):
    """The host's own mi- id, from its SSM registration file ('' when none)."""
    r = edge(host, "cat", "/var/lib/amazon/ssm/registration")
    return json.loads(r.stdout).get("ManagedInstanceID", "") if r.returncode == 0 else ""


def running_tasks(aws, want, timeout=90):
    """The service's running count, waiting up to `timeout` s for `want`."""
    deadline = time.time() + timeout
    while True:
        svc = aws["ecs"].describe_services(cluster=CLUSTER, services=["nginx"])["services"][0]
        if svc["runningCount"] == want or time.time() > deadline:
            return svc["runningCount"]
        time.sleep(2)


def assert_each_host_registered_once(aws):
    mis = {i["InstanceId"] for i in aws["ssm"].describe_instance_information()["InstanceInformationList"]}
    cis = [ci for ci in instances(aws) if ci["status"] == "ACTIVE"]
    by_mi = {}
    for ci in cis:
        by_mi.setdefault(ci["ec2InstanceId"], []).append(ci["containerInstanceArn"])
    own = {host: registered_mi(host) for host in HOSTS}
    assert all(own.values()), own
    assert sorted(own.values()) == sorted(mis), "one SSM managed instance per host: %s vs %s" % (own, mis)
    assert {h: len(by_mi.get(mi, [])) for h, mi in own.items()} == {h: 1 for h in HOSTS}, by_mi


PROXY_PASSWORD = "pr0xy-s3cret"


def test_check_mode_on_fresh_sandbox_changes_nothing(playbook, aws, foreign_roles):
    """Check mode on fresh hosts, with a proxy that has credentials: every
    change is shown (the agents' files, the three proxy drop-ins), nothing is
    written, and the proxy's password is never printed (--diff redacts it)."""
    proxy = "http://edge:%s@proxy.invalid:3128" % PROXY_PASSWORD
    run = playbook("site.yml", "--check", "--diff", "-e", "ecs_anywhere_host_http_proxy=" + proxy)
    assert any(v.get("changed", 0) > 0 for v in run.recap().values()), "check mode should report changes"
    assert PROXY_PASSWORD not in run.out
    assert "+Environment=\"HTTP_PROXY=http://<redacted>@proxy.invalid:3128\"" in run.out
    for service in ("docker", "amazon-ssm-agent", "ecs"):
        assert "+++ after: /etc/systemd/system/%s.service.d/ecs-anywhere-proxy.conf" % service in run.out
    assert aws_leftovers(aws) == {}
    assert_foreign_roles_unchanged(aws, foreign_roles)
    for host in HOSTS:
        assert edge(host, "test", "-e", "/etc/ecs/ecs.config").returncode != 0, host
        assert edge(host, "test", "-e", "/usr/bin/amazon-ssm-agent").returncode != 0, host
        assert edge(host, "test", "-e", "/etc/systemd/system/docker.service.d").returncode != 0, host


def test_sliced_runs_at_once_register_every_host_once(playbooks_at_once, aws, foreign_roles):
    """Two site.yml runs started at the same moment over disjoint halves of the
    fleet, as AWX job slicing runs them: both succeed, each host is registered
    exactly once, neither run deletes the other's activation, none is left."""
    slices = [HOSTS[0::2], HOSTS[1::2]]
    # each slice runs the whole playbook: its hosts and the controller's plays (localhost)
    runs = playbooks_at_once(*[["site.yml", "--limit", ",".join(s + ["localhost"])] for s in slices])
    for run, hosts in zip(runs, slices):
        recap = run.recap()
        assert {h: recap[h]["failed"] + recap[h].get("unreachable", 0) for h in hosts} == {h: 0 for h in hosts}
    assert_each_host_registered_once(aws)
    assert aws["ssm"].describe_activations()["ActivationList"] == [], "every run deletes its own activation"
    assert running_tasks(aws, len(HOSTS)) == len(HOSTS)
    for host in HOSTS:
        ok, got = nginx_answers(host)
        assert ok, "%s answered: %s" % (host, got)
    assert_foreign_roles_unchanged(aws, foreign_roles)


# Tasks of the stages that install and register (run where preflight's plan
# says so): none of them may run on a host that needs nothing. The
# configuration and the units are compared and repaired on every run
# (CHECKED_EVERY_RUN): on a host with nothing to install or register, in one call.
INSTALL_STAGES = ("Leftovers |", "Docker |", "Packages |", "Register |", "Verify | Poll")
CHECKED_EVERY_RUN = ("Configure |", "Start |")


def host_tasks(out, host):
    """Names of the tasks that ran (ok or changed, not skipped) on host, from a run's output."""
    ran, task = [], None
    for line in out.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK ["):].rsplit("]", 1)[0]
        elif task and line.startswith(("ok: [%s]" % host, "changed: [%s]" % host)):
            ran.append(task)
    return ran


def test_second_run_changes_nothing(playbook):
    """The no-op re-run: nothing changes; an unchanged host costs its probe
    (facts and one ecs_anywhere_host_info call), the configuration and units
    compared (one call) and nginx's page, nothing more."""
    run = playbook("site.yml")
    recap = run.recap()
    assert set(HOSTS) <= set(recap)
    assert {h: v["changed"] for h, v in recap.items() if v["changed"]} == {}
    for host in HOSTS:
        ran = host_tasks(run.out, host)
        assert any("Probe | Read the host's registration" in t for t in ran), ran
        assert [t for t in ran if any(stage in t for stage in INSTALL_STAGES)] == [], ran
        assert len([t for t in ran if any(stage in t for stage in CHECKED_EVERY_RUN)]) == 1, ran
        assert len([t for t in ran if "Probe | Read the host's registration" in t]) == 1, ran


def unit_state(host, unit):
    """(enabled, active) of a systemd unit on an edge host."""
    enabled = edge(host, "systemctl", "is-enabled", unit).stdout.strip()
    active = edge(host, "systemctl", "is-active", unit).stdout.strip()
    return enabled, active


def test_drift_of_what_the_role_manages_is_repaired_by_one_run(playbook, aws):
    """What an operator or a package script does to a converged host behind the
    role's back is put right by the next site.yml, on that host only, without
    a new registration: the agents' settings owned by someone else, Docker
    disabled (host 1); the ECS agent's configuration directory removed and the
    SSM agent stopped (host 2). A run after that changes nothing."""
    drifted, other = HOSTS[0], HOSTS[1]
    arns_before = sorted(ci["containerInstanceArn"] for ci in instances(aws))
    edge(drifted, "chown", "nobody:nogroup", "/etc/ecs/ecs.config", "/var/lib/ecs/ecs.config")
    edge(drifted, "systemctl", "disable", "docker")
    edge(other, "rm", "-rf", "/etc/ecs")
    edge(other, "systemctl", "stop", "amazon-ssm-agent")
    assert unit_state(drifted, "docker")[0] == "disabled"
    assert unit_state(other, "amazon-ssm-agent")[1] != "active"

    recap = playbook("site.yml").recap()
    changed = {h: v["changed"] for h, v in recap.items() if v["changed"] and h != "localhost"}
    assert set(changed) == {drifted, other}, changed

    owners = edge(drifted, "stat", "-c", "%U:%G %a", "/etc/ecs/ecs.config", "/var/lib/ecs/ecs.config").stdout.split("\n")
    assert [o for o in owners if o] == ["root:root 600", "root:root 600"], owners
    assert unit_state(drifted, "docker") == ("enabled", "active")
    assert edge(other, "stat", "-c", "%U:%G %a", "/etc/ecs").stdout.strip() == "root:root 755"
    assert "ECS_CLUSTER=%s" % CLUSTER in edge(other, "cat", "/etc/ecs/ecs.config").stdout
    assert unit_state(other, "amazon-ssm-agent") == ("enabled", "active")
    # the same registrations, every host serving
    assert sorted(ci["containerInstanceArn"] for ci in instances(aws)) == arns_before
    assert running_tasks(aws, len(HOSTS)) == len(HOSTS)

    recap = playbook("site.yml").recap()
    assert {h: v["changed"] for h, v in recap.items() if v["changed"]} == {}


def test_a_changed_input_converges_only_that_host(playbook, sandbox, aws):
    """One host gets another agent setting (host_vars): only that host changes,
    its ecs.config carries it, its agent restarts on the same container
    instance; removing it converges the host back."""
    host = HOSTS[1]
    arn_before = sorted(ci["containerInstanceArn"] for ci in instances(aws))
    host_vars = os.path.join(sandbox.inventory, "host_vars")
    os.makedirs(host_vars, exist_ok=True)
    path = os.path.join(host_vars, host + ".yml")
    with open(path, "w") as f:
        f.write("ecs_anywhere_host_ecs_agent_settings:\n  ECS_LOGLEVEL: debug\n")
    try:
        recap = playbook("site.yml").recap()
        changed = {h: v["changed"] for h, v in recap.items() if v["changed"]}
        assert set(changed) == {host}, changed
        assert "ECS_LOGLEVEL=debug" in edge(host, "cat", "/etc/ecs/ecs.config").stdout
        for other in HOSTS:
            if other != host:
                assert "ECS_LOGLEVEL" not in edge(other, "cat", "/etc/ecs/ecs.config").stdout
    finally:
        os.remove(path)
    recap = playbook("site.yml").recap()
    changed = {h: v["changed"] for h, v in recap.items() if v["changed"]}
    assert set(changed) == {host}, changed
    assert "ECS_LOGLEVEL" not in edge(host, "cat", "/etc/ecs/ecs.config").stdout
    # restarted twice, still the same container instances, every host serving
    assert sorted(ci["containerInstanceArn"] for ci in instances(aws)) == arn_before
    assert running_tasks(aws, len(HOSTS)) == len(HOSTS)
    ok, got = nginx_answers(host)
    assert ok, got


def test_limit_run_keeps_the_whole_fleet_served(playbook, aws):
    """A --limit run on one host (and the controller, so that the service play
    runs too) does not scale the fleet-wide service down."""
    run = playbook("site.yml", "--limit", "%s,localhost" % HOSTS[0])
    # the summary (edgeops.ecs_anywhere.site_summary): the host of the run, the others outside it
    assert "%s: registered: arn:aws:ecs:" % HOSTS[0] in run.out
    for host in HOSTS[1:]:
        assert "%s: not in this run (--limit)" % host in run.out
    assert running_tasks(aws, len(HOSTS), timeout=30) == len(HOSTS)
    svc = aws["ecs"].describe_services(cluster=CLUSTER, services=["nginx"])["services"][0]
    assert svc["desiredCount"] == len(HOSTS), svc
    for host in HOSTS:
        ok, got = nginx_answers(host)
        assert ok, "%s answered: %s" % (host, got)


def test_decommission_one_host(playbook, aws):
    gone, stays = HOSTS[-1], HOSTS[0]
    mi = registered_mi(gone)
    # another tool's profile in the same credentials file must survive the uninstall
    edge(gone, "sh", "-c", "printf '%s' \"$0\" >> /root/.aws/credentials", FOREIGN_PROFILE)
    playbook("playbooks/decommission.yml", "--limit", gone, "-e", "ecs_anywhere_decommission_uninstall=true")
    cis = instances(aws)
    assert len(cis) == len(HOSTS) - 1 and mi not in [ci["ec2InstanceId"] for ci in cis]
    mis = [i["InstanceId"] for i in aws["ssm"].describe_instance_information()["InstanceInformationList"]]
    assert len(mis) == len(HOSTS) - 1 and mi not in mis
    # the service keeps answering on the hosts that stay
    ok, got = nginx_answers(stays)
    assert ok, got
    assert edge(gone, "test", "-e", "/var/lib/amazon/ssm/registration").returncode != 0
    creds = edge(gone, "cat", "/root/.aws/credentials")
    assert creds.returncode == 0 and FOREIGN_PROFILE.strip() in creds.stdout, creds.stdout
    assert "[default]" not in creds.stdout, creds.stdout
    mode = edge(gone, "stat", "-c", "%a", "/root/.aws/credentials").stdout.strip()
    assert mode == "600", mode


def agent_versions_file():
    """KEY=VALUE lines of sandbox/agents/VERSIONS (the pinned and the NEXT release)."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox", "agents", "VERSIONS")
    with open(path) as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))


class ServiceWatch(threading.Thread):
    """Polls the nginx service's running count and each container instance's
    status while a playbook runs: the lowest count, and every status seen."""

    def __init__(self, aws):
        super().__init__(daemon=True)
        self.aws, self.stop, self.counts, self.statuses = aws, threading.Event(), [], {}

    def run(self):
        while not self.stop.is_set():
            try:
                svc = self.aws["ecs"].describe_services(cluster=CLUSTER, services=["nginx"])["services"][0]
                self.counts.append(svc["runningCount"])
                for ci in instances(self.aws):
                    self.statuses.setdefault(ci["ec2InstanceId"], set()).add(ci["status"])
            except Exception:  # pylint: disable=broad-except  # a missed sample is not a result
                pass
            self.stop.wait(1)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(10)


def installed(host, package):
    return edge(host, "dpkg-query", "-W", "-f=${Version}", package).stdout.strip()


def ecs_side(aws, host):
    """(status, agentVersion, agentConnected) of the host's container instance."""
    mi = registered_mi(host)
    ci = [c for c in instances(aws) if c["ec2InstanceId"] == mi][0]
    return ci["status"], ci["versionInfo"]["agentVersion"], ci["agentConnected"]


def ssm_version(aws, host):
    info = aws["ssm"].describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [registered_mi(host)]}])["InstanceInformationList"]
    return info[0]["AgentVersion"]


def test_rolling_upgrade_keeps_two_of_three_serving(playbook, sandbox, aws):
    """playbooks/upgrade_agents.yml on the three hosts left after the
    decommission, to the NEXT release of the sandbox mirror (the same sources
    rebuilt under the following release numbers), one host at a time: the
    nginx DAEMON service never runs fewer than two tasks. A batch that fails
    (its packages signed by a key outside the pinned fingerprints) stops the
    rollout: the host is named and left DRAINING with nothing installed, the
    next one is not touched; the re-run resumes it and leaves the upgraded host
    alone (changed=0, never drained again). The fleet stays pinned to the NEXT
    release (host_vars) for the rest of the file."""
    v = agent_versions_file()
    fleet, spare = HOSTS[:-1], HOSTS[-1]  # the spare was decommissioned above
    first, failing, last = fleet
    host_vars = os.path.join(sandbox.inventory, "host_vars")
    os.makedirs(host_vars, exist_ok=True)
    pins = ("ecs_anywhere_host_ssm_agent_version: \"%s\"\necs_anywhere_host_ecs_init_version: \"%s\"\n"
            % (v["NEXT_SSM_AGENT_VERSION"], v["NEXT_ECS_INIT_VERSION"]))
    for host in HOSTS:
        with open(os.path.join(host_vars, host + ".yml"), "w") as f:
            f.write(pins)
    old = {"amazon-ssm-agent": v["SSM_AGENT_DEB_VERSION"], "amazon-ecs-init": v["ECS_INIT_DEB_VERSION"]}
    new = {"amazon-ssm-agent": v["NEXT_SSM_AGENT_DEB_VERSION"], "amazon-ecs-init": v["NEXT_ECS_INIT_DEB_VERSION"]}
    limit = ("--limit", ",".join(fleet))

    # check mode: says what it would do, drains nothing, installs nothing
    with ServiceWatch(aws) as watch:
        run = playbook("playbooks/upgrade_agents.yml", *limit, "--check", "--diff")
    assert "3 host(s) to upgrade" in run.out, run.out[-3000:]
    assert all(watch.statuses[registered_mi(h)] == {"ACTIVE"} for h in fleet), watch.statuses
    assert all({p: installed(h, p) for p in old} == old for h in fleet)

    # the second host's packages now look signed by a key outside its pinned fingerprints
    with open(os.path.join(host_vars, failing + ".yml"), "a") as f:
        f.write("ecs_anywhere_host_gpg_fingerprints: [\"%s\"]\n" % ("0" * 40))
    with ServiceWatch(aws) as watch:
        run = playbook("playbooks/upgrade_agents.yml", *limit, check_rc=False)
    assert run.rc != 0
    assert "The agent upgrade stopped at %s (%s" % (failing, registered_mi(failing)) in run.out, run.out[-3000:]
    assert "Not upgraded yet: %s." % last in run.out, run.out[-3000:]
    assert min(watch.counts) >= 2, watch.counts
    assert ecs_side(aws, first) == ("ACTIVE", v["NEXT_ECS_AGENT_VERSION"], True)
    assert ssm_version(aws, first) == v["NEXT_SSM_AGENT_VERSION"]
    assert {p: installed(first, p) for p in new} == new
    assert ecs_side(aws, failing)[0] == "DRAINING"
    assert {p: installed(failing, p) for p in old} == old, "nothing installed on the failed host"
    assert edge(failing, "test", "-e", "/var/lib/edgeops-ecs-anywhere/upgrade-in-progress.json").returncode == 0
    assert ecs_side(aws, last) == ("ACTIVE", v["ECS_AGENT_VERSION"], True)
    assert watch.statuses[registered_mi(last)] == {"ACTIVE"}, "the host after the failed one is not touched"
    assert running_tasks(aws, 2) == 2

    with open(os.path.join(host_vars, failing + ".yml"), "w") as f:
        f.write(pins)
    with ServiceWatch(aws) as watch:
        run = playbook("playbooks/upgrade_agents.yml", *limit)
    assert min(watch.counts) >= 2, watch.counts
    assert watch.statuses[registered_mi(first)] == {"ACTIVE"}, "an upgraded host is not drained again"
    assert run.recap()[first]["changed"] == 0
    for host in fleet:
        assert ecs_side(aws, host) == ("ACTIVE", v["NEXT_ECS_AGENT_VERSION"], True), host
        assert ssm_version(aws, host) == v["NEXT_SSM_AGENT_VERSION"], host
        assert {p: installed(host, p) for p in new} == new, host
        assert edge(host, "test", "-e", "/var/lib/edgeops-ecs-anywhere/upgrade-in-progress.json").returncode != 0
    assert running_tasks(aws, len(fleet)) == len(fleet)
    for host in fleet:
        ok, got = nginx_answers(host)
        assert ok, "%s answered: %s" % (host, got)
    assert spare not in run.recap(), "outside --limit"


def test_register_it_again(playbook, aws):
    playbook("site.yml")
    assert_each_host_registered_once(aws)
    assert running_tasks(aws, len(HOSTS)) == len(HOSTS)
    for host in HOSTS:
        ok, got = nginx_answers(host)
        assert ok, "%s answered: %s" % (host, got)


def test_teardown_leaves_nothing_of_ours_and_keeps_the_rest(playbook, aws, foreign_roles):
    playbook("playbooks/teardown.yml", "-e", "ecs_anywhere_teardown_confirm=%s" % CLUSTER)
    assert aws_leftovers(aws) == {}
    assert_foreign_roles_unchanged(aws, foreign_roles)
