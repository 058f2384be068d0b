"""AWS's real ECS agent (1.105.1, built from /work/shared/vendor/aws-agents) against the emulator.

One edge container (edgeops/edge-debian12: systemd, its own dockerd) on a
throwaway docker network; the emulator listens on the network's gateway. The
agent binary runs directly in the edge (not through ecs-init) with the
credentials of a managed instance registered through the emulator.

Skipped with the reason when docker, the edge image or the agent binary is missing.
Runs in ~1-2 min; on a failure the last 60 lines of the agent's (debug) log are printed.
"""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from .conftest import SSM_TRUST, Emu
from .edge_lab import ROOT, Edge as _Edge, docker_skip_reason, edge_lab, run, skip_unless_runnable

AGENT = ROOT / ".cache/real-agents/bin/agent"
NGINX_TAR = ROOT / ".cache/images/nginx.tar"
AGENT_VERSION = "1.105.1"
REGION = "us-east-1"
LOG = "/var/log/ecs/ecs-agent.log"


def _skip_reason() -> str | None:
    if not AGENT.is_file():
        return f"real ECS agent binary missing: {AGENT} (sandbox/agents/build.sh builds it)"
    return docker_skip_reason()


pytestmark = skip_unless_runnable(_skip_reason(), "real ECS agent")


class Edge(_Edge):
    def agent_log(self, lines: int = 60) -> str:
        out = self.sh(f"tail -n {lines} {LOG} 2>/dev/null; echo '--- stdout/stderr:'; tail -n 20 /var/log/ecs/agent.out 2>/dev/null",
                      check=False)
        return out.stdout + out.stderr


@pytest.fixture(scope="module")
def lab():
    """(emulator, Emu handle, Edge, gateway): the edge's dockerd up, the task image and the agent in it."""
    with edge_lab("g-ecsagent", "docker info >/dev/null 2>&1", edge_cls=Edge) as (srv, edge, gw):
        # the task image: no registry here (prefer-cached)
        if NGINX_TAR.is_file():
            with open(NGINX_TAR, "rb") as fh:
                subprocess.run(["docker", "exec", "-i", edge.name, "docker", "load"], stdin=fh, check=True,
                               capture_output=True, timeout=300)
        else:
            save = subprocess.Popen(["docker", "save", "public.ecr.aws/nginx/nginx:stable"], stdout=subprocess.PIPE)
            subprocess.run(["docker", "exec", "-i", edge.name, "docker", "load"], stdin=save.stdout, check=True,
                           capture_output=True, timeout=300)
            save.wait(timeout=60)
        run("docker", "cp", str(AGENT), f"{edge.name}:/usr/local/bin/ecs-agent")
        yield srv, Emu(srv.url), edge, gw


def _wait(what: str, fn, timeout: float, edge: Edge, interval: float = 1.0, emu: Emu | None = None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - keep polling, report the last error
            last = exc
        time.sleep(interval)
    extra = ""
    if emu is not None:
        st = emu.op("GET", "state")[1]
        extra = f"--- emulator websockets: {st.get('websockets')}\n--- counts: {st.get('counts')}\n"
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last: {last!r})\n{extra}"
                f"--- last 60 lines of the agent's log:\n{edge.agent_log()}")


def _start_agent(edge: Edge, gw: str, port: int, cluster: str) -> None:
    env = {
        "ECS_EXTERNAL": "true", "ECS_BACKEND_HOST": f"http://{gw}:{port}", "ECS_CLUSTER": cluster,
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "ECS_IMAGE_PULL_BEHAVIOR": "prefer-cached",
        "ECS_DATADIR": "/var/lib/ecs/data", "ECS_LOGFILE": LOG, "ECS_LOGLEVEL": "debug",
        "ECS_ENABLE_TASK_IAM_ROLE": "false", "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST": "false",
        "ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE": "true",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    edge.sh("mkdir -p /var/log/ecs /var/lib/ecs/data && "
            f"nohup env -u AWS_CA_BUNDLE {exports} /usr/local/bin/ecs-agent >/var/log/ecs/agent.out 2>&1 &")


def _stop_agent(edge: Edge) -> None:
    edge.sh("pkill -TERM -x ecs-agent; for i in $(seq 1 30); do pgrep -x ecs-agent >/dev/null || exit 0; sleep 0.5; done; "
            "pkill -KILL -x ecs-agent", check=False)


def _join(srv, emu: Emu, edge: Edge, gw: str, cluster: str) -> tuple[str, dict]:
    """A managed instance's credentials in the edge, the cluster, the agent started; -> (mi-, container instance)."""
    iam = emu.client("iam")
    try:
        iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps(SSM_TRUST))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    act = emu.client("ssm").create_activation(IamRole="ecsAnywhereRole", RegistrationLimit=1)
    status, reg = emu.raw("AmazonSSM.RegisterManagedInstance", {
        "ActivationId": act["ActivationId"], "ActivationCode": act["ActivationCode"],
        "PublicKey": "pk-" + cluster, "PublicKeyType": "Rsa", "Fingerprint": "fp-" + cluster})
    assert status == 200, reg
    mi = reg["InstanceId"]
    # the SSM agent would write these (Profile.ShareCreds); without one, the operator API hands them out
    status, creds = emu.op("POST", "instance-credentials", {"instance_id": mi})
    assert status == 200, creds
    edge.sh("rm -rf /var/lib/ecs/data && mkdir -p /rotatingcreds /root/.aws && umask 077 && "
            "printf '[default]\\naws_access_key_id = %s\\naws_secret_access_key = %s\\naws_session_token = %s\\n' "
            f"'{creds['AccessKeyId']}' '{creds['SecretAccessKey']}' '{creds['SessionToken']}' "
            "| tee /rotatingcreds/credentials > /root/.aws/credentials")
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName=cluster)
    _start_agent(edge, gw, srv.port, cluster)

    def registered():
        arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
        if not arns:
            return None
        ci = ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"][0]
        return ci if ci["agentConnected"] else None

    ci = _wait("the agent to register and connect ACS", registered, 90, edge)
    _wait("the ACS websocket", lambda: any(s["kind"] == "acs" and s["containerInstanceArn"] == ci["containerInstanceArn"]
                                           for s in emu.op("GET", "state")[1]["websockets"]), 30, edge)
    ci = ecs.describe_container_instances(cluster=cluster, containerInstances=[ci["containerInstanceArn"]])["containerInstances"][0]
    return mi, ci


def _guard(edge: Edge, fn, *args) -> None:
    try:
        fn(*args)
    except BaseException:
        print(f"--- last 60 lines of the agent's log:\n{edge.agent_log()}")
        raise
    finally:
        _stop_agent(edge)


def test_real_ecs_agent_runs_a_daemon_service(lab):
    srv, emu, edge, gw = lab
    _guard(edge, _scenario, srv, emu, edge, gw, "edge-real")


def _scenario(srv, emu: Emu, edge: Edge, gw: str, cluster: str) -> None:
    mi, ci = _join(srv, emu, edge, gw, cluster)
    ecs = emu.client("ecs")
    assert ci["status"] == "ACTIVE"
    assert ci["ec2InstanceId"] == mi
    assert ci["versionInfo"]["agentVersion"] == AGENT_VERSION
    assert any(a["name"] == "ecs.capability.external" for a in ci["attributes"])
    ci_arn = ci["containerInstanceArn"]

    ecs.register_task_definition(
        family="nginx-real", networkMode="bridge", requiresCompatibilities=["EXTERNAL"],
        containerDefinitions=[{"name": "nginx", "image": "public.ecr.aws/nginx/nginx:stable", "memory": 128,
                               "essential": True, "environment": [{"name": "EDGE", "value": "yes"}],
                               "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]}])
    ecs.create_service(cluster=cluster, serviceName="nginx", taskDefinition="nginx-real",
                       launchType="EXTERNAL", schedulingStrategy="DAEMON")

    def running_task():
        arns = ecs.list_tasks(cluster=cluster, serviceName="nginx")["taskArns"]
        if not arns:
            return None
        t = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"][0]
        return t if t["lastStatus"] == "RUNNING" else None

    task = _wait("the task to be RUNNING (reported by the agent)", running_task, 120, edge)
    assert task["containerInstanceArn"] == ci_arn
    cont = task["containers"][0]
    assert cont["lastStatus"] == "RUNNING"
    assert any(b["hostPort"] == 8080 and b["containerPort"] == 80 for b in cont.get("networkBindings") or []), cont
    ps = edge.sh("docker ps --format '{{.Image}} {{.Names}} {{.Ports}}'").stdout
    assert "public.ecr.aws/nginx/nginx:stable" in ps and "ecs-nginx-real-1-nginx-" in ps, ps
    assert "8080->80" in ps, ps
    code = _wait("nginx to answer on 127.0.0.1:8080 in the edge",
                 lambda: edge.sh("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080", check=False).stdout == "200",
                 30, edge)
    assert code
    state = emu.op("GET", "state")[1]
    assert state["counts"].get("ecs.ACS.AckRequest", 0) >= 1, state["counts"]
    assert state["counts"].get("ecs.SubmitTaskStateChange", 0) + state["counts"].get("ecs.SubmitContainerStateChange", 0) >= 1

    # scale down: deleting the DAEMON service stops its task on the edge
    ecs.delete_service(cluster=cluster, service="nginx", force=True)

    def stopped():
        t = ecs.describe_tasks(cluster=cluster, tasks=[task["taskArn"]])["tasks"][0]
        return t if t["lastStatus"] == "STOPPED" else None

    t = _wait("the task to be STOPPED (reported by the agent)", stopped, 90, edge)
    assert t["desiredStatus"] == "STOPPED"
    _wait("the nginx container to stop in the edge",
          lambda: "ecs-nginx-real-1-nginx-" not in edge.sh("docker ps --format '{{.Names}}'").stdout, 30, edge)
    svc = ecs.describe_services(cluster=cluster, services=["nginx"])["services"][0]
    assert svc["status"] == "INACTIVE"

    # restart the agent: its state (ECS_DATADIR) keeps the container instance
    _stop_agent(edge)
    _start_agent(edge, gw, srv.port, cluster)
    time.sleep(2)

    def reconnected():
        arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
        st = emu.op("GET", "state")[1]
        return arns == [ci_arn] and any(s["kind"] == "acs" for s in st["websockets"])

    _wait("the restarted agent to reconnect with the same container instance", reconnected, 90, edge, emu=emu)
    ci2 = ecs.describe_container_instances(cluster=cluster, containerInstances=[ci_arn])["containerInstances"][0]
    assert ci2["agentConnected"] is True and ci2["status"] == "ACTIVE"

    # deregistration: ACS closes, the reconnect is refused with InactiveInstanceException, the agent knows why
    ecs.deregister_container_instance(cluster=cluster, containerInstance=ci_arn, force=True)
    _wait("the agent to notice the deregistration",
          lambda: "Container instance is deregistered" in edge.sh(f"cat {LOG}", check=False).stdout, 60, edge, emu=emu)


def test_real_ecs_agent_awslogs_with_execution_role(lab):
    """awslogs through the agent's credential endpoint (execution role credentials from ACS) to the emulator."""
    srv, emu, edge, gw = lab
    _guard(edge, _awslogs_scenario, srv, emu, edge, gw, "edge-logs")


def _awslogs_scenario(srv, emu: Emu, edge: Edge, gw: str, cluster: str) -> None:
    # what ecs-init sets up: 169.254.170.2:80 -> the agent's credential endpoint on 127.0.0.1:51679
    edge.sh("iptables -t nat -C OUTPUT -p tcp -d 169.254.170.2 --dport 80 -j REDIRECT --to-ports 51679 2>/dev/null || "
            "iptables -t nat -A OUTPUT -p tcp -d 169.254.170.2 --dport 80 -j REDIRECT --to-ports 51679")
    _mi, ci = _join(srv, emu, edge, gw, cluster)
    iam, logs, ecs = emu.client("iam"), emu.client("logs"), emu.client("ecs")
    iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    logs.create_log_group(logGroupName="/edge/nginx")
    ecs.register_task_definition(
        family="nginx-logs", networkMode="bridge", requiresCompatibilities=["EXTERNAL"],
        executionRoleArn="arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        containerDefinitions=[{"name": "nginx", "image": "public.ecr.aws/nginx/nginx:stable", "memory": 128,
                               "portMappings": [{"containerPort": 80, "hostPort": 8081}],
                               "logConfiguration": {"logDriver": "awslogs", "options": {
                                   "awslogs-group": "/edge/nginx", "awslogs-region": REGION,
                                   "awslogs-stream-prefix": "edge", "awslogs-endpoint": f"http://{gw}:{srv.port}"}}}])
    ecs.create_service(cluster=cluster, serviceName="nginx-logs", taskDefinition="nginx-logs",
                       launchType="EXTERNAL", schedulingStrategy="DAEMON")

    def running_task():
        arns = ecs.list_tasks(cluster=cluster, serviceName="nginx-logs")["taskArns"]
        t = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"][0] if arns else None
        return t if t and t["lastStatus"] == "RUNNING" else None

    task = _wait("the awslogs task to be RUNNING", running_task, 120, edge)
    assert task["containerInstanceArn"] == ci["containerInstanceArn"]
    inspect = edge.sh("docker inspect --format '{{json .HostConfig.LogConfig}}' "
                      "$(docker ps -q --filter label=com.amazonaws.ecs.task-arn=" + task["taskArn"] + ")").stdout
    log_config = json.loads(inspect)
    assert log_config["Type"] == "awslogs"
    assert log_config["Config"]["awslogs-credentials-endpoint"].startswith("/v2/credentials/"), log_config
    _wait("nginx on 8081", lambda: edge.sh("curl -s -A probe-edge -o /dev/null -w '%{http_code}' http://127.0.0.1:8081/",
                                           check=False).stdout == "200", 30, edge)
    stream = f"edge/nginx/{task['taskArn'].rsplit('/', 1)[-1]}"

    def events():
        out = logs.get_log_events(logGroupName="/edge/nginx", logStreamName=stream)["events"]
        return [e["message"] for e in out if "probe-edge" in e["message"]]

    assert _wait("nginx's access log line in CloudWatch Logs (logs:GetLogEvents)", events, 60, edge)
    ecs.delete_service(cluster=cluster, service="nginx-logs", force=True)
    _wait("the awslogs task to stop", lambda: ecs.describe_tasks(cluster=cluster, tasks=[task["taskArn"]])["tasks"][0][
        "lastStatus"] == "STOPPED", 90, edge)
