"""site.yml, its idempotence, decommission, re-registration and teardown on
the sandbox, asserting AWS state read back from the emulator and what the
edge hosts serve. The steps build on each other and run in file order."""

import time

from conftest import CLUSTER, HOSTS, edge


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
    roles = [r["RoleName"] for r in aws["iam"].list_roles()["Roles"]]
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


def test_check_mode_on_fresh_sandbox_changes_nothing(playbook, aws):
    run = playbook("site.yml", "--check", "--diff")
    assert any(v.get("changed", 0) > 0 for v in run.recap().values()), "check mode should report changes"
    assert aws_leftovers(aws) == {}
    for host in HOSTS:
        assert edge(host, "test", "-e", "/etc/ecs/ecs.config").returncode != 0, host
        assert edge(host, "test", "-e", "/usr/bin/amazon-ssm-agent").returncode != 0, host


def test_site_registers_both_hosts_and_serves_nginx(playbook, aws):
    playbook("site.yml")
    cis = instances(aws)
    assert len(cis) == 2
    assert all(ci["status"] == "ACTIVE" and ci["ec2InstanceId"].startswith("mi-") for ci in cis)
    svc = aws["ecs"].describe_services(cluster=CLUSTER, services=["nginx"])["services"][0]
    assert svc["launchType"] == "EXTERNAL" and svc["runningCount"] == 2
    assert aws["ssm"].describe_activations()["ActivationList"] == [], "the activation must be deleted"
    for host in HOSTS:
        ok, got = nginx_answers(host)
        assert ok, "%s answered: %s" % (host, got)


def test_second_run_changes_nothing(playbook):
    run = playbook("site.yml")
    recap = run.recap()
    assert set(HOSTS) <= set(recap)
    assert {h: v["changed"] for h, v in recap.items() if v["changed"]} == {}


def test_decommission_one_host(playbook, aws):
    gone, stays = HOSTS
    mi = edge(gone, "cat", "/var/lib/amazon/ssm/registration").stdout
    playbook("playbooks/decommission.yml", "--limit", gone, "-e", "ecs_anywhere_decommission_uninstall=true")
    cis = instances(aws)
    assert len(cis) == 1 and cis[0]["ec2InstanceId"] not in mi
    mis = [i["InstanceId"] for i in aws["ssm"].describe_instance_information()["InstanceInformationList"]]
    assert len(mis) == 1 and mis[0] not in mi
    # the service keeps answering on the host that stays
    ok, got = nginx_answers(stays)
    assert ok, got
    assert edge(gone, "test", "-e", "/var/lib/amazon/ssm/registration").returncode != 0


def test_register_it_again(playbook, aws):
    playbook("site.yml")
    cis = instances(aws)
    assert len(cis) == 2 and all(ci["status"] == "ACTIVE" for ci in cis)
    deadline = time.time() + 60
    while time.time() < deadline:
        svc = aws["ecs"].describe_services(cluster=CLUSTER, services=["nginx"])["services"][0]
        if svc["runningCount"] == 2:
            break
        time.sleep(2)
    assert svc["runningCount"] == 2
    for host in HOSTS:
        ok, got = nginx_answers(host)
        assert ok, "%s answered: %s" % (host, got)


def test_teardown_leaves_nothing(playbook, aws):
    playbook("playbooks/teardown.yml", "-e", "ecs_anywhere_teardown_confirm=%s" % CLUSTER)
    assert aws_leftovers(aws) == {}
