"""The fault catalogue: what a failed, killed or throttled run leaves behind,
and that the error names the problem and the fix. Each case asserts the error
text, the state after it (emulator and host read back) and that a re-run
converges. The cases share one sandbox and run in file order:

| case | fault |
|---|---|
| throttled | 50% ThrottlingException on every service and operation |
| newline names | a cluster name with a trailing newline (a YAML block-scalar slip) |
| forgotten by AWS | the host's registration deregistered on the AWS side, its files left |
| killed during apt-get | SIGKILL of the run while apt-get installs the agents |
"""

import json
import os
import signal
import time

from sandbox.harness import edge

CLUSTER = "sandbox"


def registered(aws, sandbox, host):
    """(mi- id, ACTIVE container instance count) of a host."""
    r = edge(host, "cat", "/var/lib/amazon/ssm/registration")
    mi = json.loads(r.stdout).get("ManagedInstanceID", "") if r.returncode == 0 else ""
    arns = aws["ecs"].list_container_instances(cluster=CLUSTER, status="ACTIVE")["containerInstanceArns"]
    cis = aws["ecs"].describe_container_instances(cluster=CLUSTER, containerInstances=arns)["containerInstances"] if arns else []
    return mi, len([ci for ci in cis if mi and ci["ec2InstanceId"] == mi])


def test_throttled_half_the_time_converges_in_one_run(sandbox, aws):
    """Fresh sandbox, every AWS call of every service throttled at 50 %."""
    host = sandbox.hosts[0]
    sandbox.emulator("faults", "POST", {"seed": 7, "rules": [{"service": "*", "operation": "*", "throttle_rate": 0.5}]})
    try:
        run = sandbox.playbook("site.yml", "--limit", host + ",localhost", check_rc=False)
        counts = sandbox.emulator("counts")
    finally:
        sandbox.emulator("faults", "DELETE")
    assert run.rc == 0, run.out[-5000:]
    print("AWS calls of the throttled run (about half of them answered ThrottlingException): %d"
          % sum(counts.values()))
    mi, cis = registered(aws, sandbox, host)
    assert mi.startswith("mi-") and cis == 1
    assert aws["ssm"].describe_activations()["ActivationList"] == []


def test_cluster_name_with_a_trailing_newline_fails_before_anything(sandbox, aws):
    before = aws["ecs"].list_clusters()["clusterArns"]
    run = sandbox.playbook("site.yml", "-e", json.dumps({"ecs_anywhere_cluster_name": "sandbox\n"}), check_rc=False)
    assert run.rc != 0
    assert "is not a valid ECS cluster name" in run.out, run.out[-3000:]
    assert aws["ecs"].list_clusters()["clusterArns"] == before
    assert aws["ssm"].describe_activations()["ActivationList"] == []


def test_registration_removed_on_the_aws_side_is_registered_again(sandbox, aws):
    """decommission.yml without uninstall: AWS forgets the host, its files stay."""
    host = sandbox.hosts[0]
    old_mi = registered(aws, sandbox, host)[0]
    sandbox.playbook("playbooks/decommission.yml", "--limit", host)
    assert edge(host, "test", "-e", "/var/lib/amazon/ssm/registration").returncode == 0
    known = [i["InstanceId"] for i in aws["ssm"].describe_instance_information()["InstanceInformationList"]]
    assert old_mi not in known
    run = sandbox.playbook("site.yml", "--limit", host + ",localhost")
    assert "SSM no longer knows managed instance %s" % old_mi in run.out
    mi, cis = registered(aws, sandbox, host)
    assert mi.startswith("mi-") and mi != old_mi and cis == 1
    known = [i["InstanceId"] for i in aws["ssm"].describe_instance_information()["InstanceInformationList"]]
    assert mi in known and old_mi not in known
    assert sandbox.playbook("site.yml", "--limit", host + ",localhost").recap()[host]["changed"] == 0


def wait_for(predicate, timeout, step=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_killed_during_apt_get_leaves_nothing_of_the_role_for_good(sandbox, aws):
    host = sandbox.hosts[1]
    proc = sandbox.start("site.yml", "--limit", host + ",localhost")[1]
    try:
        installing = wait_for(lambda: edge(host, "pgrep", "-f", "apt-get install --yes").returncode == 0, 600)
        assert installing, "apt-get install never ran on %s" % host
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.communicate()
    # what the killed run left: apt-get finishes inside the host, the hold stays
    assert wait_for(lambda: edge(host, "pgrep", "-f", "apt-get install").returncode != 0, 300)
    assert edge(host, "test", "-e", "/usr/sbin/policy-rc.d").returncode == 0, "the fault did not reproduce"
    leftover_acts = aws["ssm"].describe_activations()["ActivationList"]
    print("activations the killed run left (they expire on their own): %s" % [
        (a["ActivationId"], str(a["ExpirationDate"])) for a in leftover_acts])

    run = sandbox.playbook("site.yml", "--limit", host + ",localhost")
    assert "ok=" in run.out
    assert edge(host, "test", "-e", "/usr/sbin/policy-rc.d").returncode != 0, "policy-rc.d outlived the run"
    tmp = edge(host, "sh", "-c", "ls -d /tmp/ecs-anywhere-host.* 2>/dev/null")
    assert tmp.stdout.strip() == "", "temporary directories left: %s" % tmp.stdout
    # later package operations may restart services again
    rc_policy = edge(host, "sh", "-c", "invoke-rc.d --query docker restart; echo rc=$?")
    assert "rc=101" not in rc_policy.stdout, rc_policy.stdout
    mi, cis = registered(aws, sandbox, host)
    assert mi.startswith("mi-") and cis == 1
    # the re-run's own activation is gone; the killed run's is left to expire (another run's could be in use)
    assert [a["ActivationId"] for a in aws["ssm"].describe_activations()["ActivationList"]] == [
        a["ActivationId"] for a in leftover_acts]
    again = sandbox.playbook("site.yml", "--limit", host + ",localhost")
    assert again.recap()[host]["changed"] == 0
