# Copyright: edgeops.ecs_anywhere contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fast tests of the stand-in agents against the in-process emulator.

The agents run unprivileged under a scratch root (EDGEOPS_AGENT_ROOT) and with
a fake `docker` CLI on PATH; the end-to-end run on a real edge container with
Debian's python3-boto3 is sandbox/agents/tests/smoke.sh.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from sandbox.emulator.server import EmulatorServer

SRC = Path(__file__).resolve().parents[1] / "src"
SSM_AGENT = SRC / "amazon-ssm-agent"
ECS_INIT = SRC / "amazon-ecs-init"

FAKE_DOCKER = """#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_LOG"
case "$1" in
version) echo 20.10.24 ;;
image) for i in $FAKE_DOCKER_IMAGES; do [ "$i" = "$3" ] && exit 0; done; exit 1 ;;
pull) echo "pull access denied" >&2; exit 1 ;;
ps) ;;
*) exit 0 ;;
esac
"""


@pytest.fixture(scope="module")
def emulator():
    server = EmulatorServer(port=0).start()
    yield server
    server.stop()


def _clients(url: str, region: str = "us-east-1"):
    kw = {"endpoint_url": url, "region_name": region, "aws_access_key_id": "testing",
          "aws_secret_access_key": "testing"}
    return boto3.client("iam", **kw), boto3.client("ssm", **kw), boto3.client("ecs", **kw)


def _activation(url: str, region: str = "us-east-1", limit: int = 2, cluster: str = "default") -> tuple[str, str]:
    iam, ssm, ecs = _clients(url, region)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    try:
        iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps(trust))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    ecs.create_cluster(clusterName=cluster)
    act = ssm.create_activation(IamRole="ecsAnywhereRole", RegistrationLimit=limit)
    return act["ActivationId"], act["ActivationCode"]


@pytest.fixture
def host(tmp_path, emulator, monkeypatch):
    """A scratch edge host: root dir, SSM endpoint config, fake docker on PATH."""
    root = tmp_path / "root"
    (root / "etc/amazon/ssm").mkdir(parents=True)
    (root / "etc/amazon/ssm/amazon-ssm-agent.json").write_text(json.dumps({"Ssm": {"Endpoint": emulator.url}}))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "docker").write_text(FAKE_DOCKER)
    (bindir / "docker").chmod(0o755)
    monkeypatch.setenv("EDGEOPS_AGENT_ROOT", str(root))
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(tmp_path / "docker.log"))
    monkeypatch.setenv("FAKE_DOCKER_IMAGES", "")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "root/.aws/credentials"))
    for key in ("AWS_DEFAULT_REGION", "AWS_REGION", "ECS_CLUSTER", "ECS_EXTERNAL", "ECS_BACKEND_HOST",
                "ECS_IMAGE_PULL_BEHAVIOR", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    return root


def _load(path: Path):
    """Import an agent program (no .py suffix) fresh, so it sees this test's env."""
    name = path.name.replace("-", "_")
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def ssm_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SSM_AGENT), *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _registration(root: Path) -> dict:
    return json.loads((root / "var/lib/amazon/ssm/registration").read_text())


# ---------------------------------------------------------------- SSM agent
def test_register_writes_private_files_and_never_echoes_the_code(host, emulator):
    aid, code = _activation(emulator.url)
    res = ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1")
    assert res.returncode == 0, res.stderr
    reg = _registration(host)
    assert reg["Region"] == "us-east-1" and reg["ManagedInstanceID"].startswith("mi-")
    assert reg["ManagedInstanceID"] in res.stdout
    assert code not in res.stdout + res.stderr
    for rel in ("var/lib/amazon/ssm/registration", "var/lib/amazon/ssm/Vault/Store/RegistrationKey"):
        assert _mode(host / rel) == 0o600
    key = json.loads((host / "var/lib/amazon/ssm/Vault/Store/RegistrationKey").read_text())
    assert key["instanceID"] == reg["ManagedInstanceID"]
    _, ssm, _ = _clients(emulator.url)
    ids = [i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]]
    assert reg["ManagedInstanceID"] in ids


def test_reregister_prompts_without_y(host, emulator):
    aid, code = _activation(emulator.url)
    assert ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1").returncode == 0
    first = _registration(host)["ManagedInstanceID"]
    res = ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1", stdin="no\n")
    assert res.returncode == 1
    assert "Would you like to override" in res.stdout
    assert _registration(host)["ManagedInstanceID"] == first
    res = ssm_cli("--register", "--code", code, "--id", aid, "--region=us-east-1", stdin="yes\n")
    assert res.returncode == 0, res.stderr
    assert _registration(host)["ManagedInstanceID"] != first


def test_failed_reregister_keeps_the_old_registration(host, emulator):
    aid, code = _activation(emulator.url)
    assert ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1").returncode == 0
    first = _registration(host)
    res = ssm_cli("-register", "-code", "not-the-code", "-id", aid, "-region", "us-east-1", "-y")
    assert res.returncode == 1
    assert "InvalidActivation" in res.stderr and "not-the-code" not in res.stderr
    assert _registration(host) == first


def test_clear_removes_the_registration(host, emulator):
    aid, code = _activation(emulator.url)
    assert ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1").returncode == 0
    assert ssm_cli("-clear").returncode == 0
    assert not (host / "var/lib/amazon/ssm/registration").exists()
    assert not (host / "var/lib/amazon/ssm/Vault/Store/RegistrationKey").exists()


def test_register_in_another_region(host, emulator):
    aid, code = _activation(emulator.url, region="eu-west-1")
    res = ssm_cli("-register", "-code", code, "-id", aid, "-region", "eu-west-1")
    assert res.returncode == 0, res.stderr
    assert _registration(host)["Region"] == "eu-west-1"


def test_expired_activation_is_refused(host, emulator):
    aid, code = _activation(emulator.url)
    import urllib.request
    req = urllib.request.Request(f"{emulator.url}/_emulator/clock", data=json.dumps({"advance_seconds": 2 * 86400}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    res = ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1")
    assert res.returncode == 1
    assert "expired" in res.stderr
    assert not (host / "var/lib/amazon/ssm/registration").exists()


def test_service_cycle_writes_credentials_and_heartbeats(host, emulator):
    aid, code = _activation(emulator.url)
    assert ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1").returncode == 0
    mod = _load(SSM_AGENT)
    agent = mod.Agent()
    agent.cycle()
    creds = host / "root/.aws/credentials"
    assert _mode(creds) == 0o600 and _mode(creds.parent) == 0o700
    text = creds.read_text()
    assert "[default]" in text and "aws_session_token" in text
    mi = _registration(host)["ManagedInstanceID"]
    _, ssm, _ = _clients(emulator.url)
    info = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [mi]}])["InstanceInformationList"]
    assert info[0]["PingStatus"] == "Online"
    assert info[0]["AgentVersion"] == mod.VERSION
    assert info[0]["PlatformType"] == "Linux"


# ---------------------------------------------------------------- ECS agent
def _ecs_config(root: Path, endpoint: str, cluster: str = "default", region: str = "us-east-1", extra: str = "") -> None:
    (root / "etc/ecs").mkdir(parents=True, exist_ok=True)
    (root / "var/lib/ecs").mkdir(parents=True, exist_ok=True)
    (root / "etc/ecs/ecs.config").write_text(f"ECS_CLUSTER=wrong\nECS_CLUSTER={cluster}\n")
    (root / "var/lib/ecs/ecs.config").write_text(
        f'AWS_DEFAULT_REGION={region}\nECS_EXTERNAL=true\nECS_BACKEND_HOST="{endpoint}"\n{extra}')


def _registered_host(host: Path, emulator, cluster: str = "default") -> str:
    aid, code = _activation(emulator.url, cluster=cluster)
    assert ssm_cli("-register", "-code", code, "-id", aid, "-region", "us-east-1").returncode == 0
    _load(SSM_AGENT).Agent().cycle()
    _ecs_config(host, emulator.url, cluster=cluster)
    return _registration(host)["ManagedInstanceID"]


def test_config_reads_both_files_later_wins(host, emulator):
    _ecs_config(host, emulator.url, cluster="edge")
    (host / "var/lib/ecs/ecs.config").write_text(
        (host / "var/lib/ecs/ecs.config").read_text() + "ECS_CLUSTER=override\nECS_IMAGE_PULL_BEHAVIOR=prefer-cached\n")
    mod = _load(ECS_INIT)
    cfg = mod.Config(mod.load_config())
    cfg.check()
    assert cfg.cluster == "override"
    assert cfg.region == "us-east-1" and cfg.external and cfg.backend == emulator.url
    assert cfg.pull_behavior == "prefer-cached"


def test_not_external_is_terminal(host, emulator):
    _ecs_config(host, emulator.url)
    (host / "var/lib/ecs/ecs.config").write_text("AWS_DEFAULT_REGION=us-east-1\n")
    mod = _load(ECS_INIT)
    assert mod.cmd_start() == mod.EXIT_TERMINAL
    assert "ECS_EXTERNAL" in (host / "var/log/ecs/ecs-agent.log").read_text()


def test_register_keeps_arn_across_restarts(host, emulator):
    mi = _registered_host(host, emulator, cluster="keep")
    mod = _load(ECS_INIT)
    agent = mod.Agent(mod.Config(mod.load_config()))
    agent.register()
    state = host / "var/lib/ecs/data/agent.json"
    assert _mode(state) == 0o600
    saved = json.loads(state.read_text())
    assert saved == {"ContainerInstanceArn": agent.arn, "Cluster": "keep", "Region": "us-east-1", "EC2InstanceID": mi}
    again = mod.Agent(mod.Config(mod.load_config()))
    again.register()
    assert again.arn == agent.arn
    _, _, ecs = _clients(emulator.url)
    arns = ecs.list_container_instances(cluster="keep")["containerInstanceArns"]
    assert arns == [agent.arn]
    ci = ecs.describe_container_instances(cluster="keep", containerInstances=arns)["containerInstances"][0]
    assert ci["ec2InstanceId"] == mi and ci["status"] == "ACTIVE" and ci["agentConnected"]
    assert ci["versionInfo"]["agentVersion"] == mod.VERSION
    assert "ecs.capability.external" in {a["name"] for a in ci["attributes"]}


def test_saved_state_for_another_cluster_is_terminal(host, emulator):
    _registered_host(host, emulator, cluster="first")
    mod = _load(ECS_INIT)
    mod.Agent(mod.Config(mod.load_config())).register()
    _ecs_config(host, emulator.url, cluster="second")
    with pytest.raises(mod.TerminalError, match="Data mismatch"):
        mod.Agent(mod.Config(mod.load_config())).register()


def test_deregistered_instance_is_terminal(host, emulator):
    _registered_host(host, emulator, cluster="dereg")
    mod = _load(ECS_INIT)
    agent = mod.Agent(mod.Config(mod.load_config()))
    agent.register()
    _, _, ecs = _clients(emulator.url)
    ecs.deregister_container_instance(cluster="dereg", containerInstance=agent.arn, force=True)
    with pytest.raises(mod.TerminalError, match="deregistered"):
        mod.Agent(mod.Config(mod.load_config())).register()


def test_no_credentials_yet_is_retryable(host, emulator):
    _ecs_config(host, emulator.url)
    mod = _load(ECS_INIT)
    with pytest.raises(mod.RetryableError, match="amazon-ssm-agent"):
        mod.Agent(mod.Config(mod.load_config())).register()


def test_docker_run_arguments(host, emulator):
    _ecs_config(host, emulator.url)
    mod = _load(ECS_INIT)
    agent = mod.Agent(mod.Config(mod.load_config()))
    td = {"family": "web", "revision": 3, "networkMode": "bridge"}
    cd = {"name": "nginx", "image": "public.ecr.aws/nginx/nginx:stable", "memory": 256,
          "portMappings": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 53, "protocol": "udp"}],
          "environment": [{"name": "A", "value": "1"}], "entryPoint": ["/bin/sh", "-c"], "command": ["nginx"]}
    task = {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/default/abc", "overrides": {}}
    args = agent._run_args(task, td, cd, [{"containerPort": 53, "hostPort": 40000, "protocol": "udp"}])
    name = args[args.index("--name") + 1]
    assert name.startswith("ecs-web-3-nginx-") and len(name.rsplit("-", 1)[1]) == 20
    assert "8080:80/tcp" in args and "40000:53/udp" in args
    assert f"com.amazonaws.ecs.task-arn={task['taskArn']}" in args
    assert "com.amazonaws.ecs.cluster=default" in args
    assert args[args.index("--memory") + 1] == "256m"
    assert args[args.index("--entrypoint") + 1] == "/bin/sh"
    assert args[-3:] == ["public.ecr.aws/nginx/nginx:stable", "-c", "nginx"]


@pytest.mark.parametrize("behavior,images,allow,outcome", [
    ("prefer-cached", "img:1", False, "cached"),
    ("once", "img:1", False, "cached"),
    ("default", "img:1", False, "cached"),
    ("always", "img:1", False, "error"),
    ("prefer-cached", "", False, "error"),
    ("prefer-cached", "img:1", True, "cached"),
    ("default", "img:1", True, "pulled-then-cached"),
    ("always", "img:1", True, "error"),
])
def test_image_pull_behavior(host, tmp_path, monkeypatch, behavior, images, allow, outcome):
    monkeypatch.setenv("FAKE_DOCKER_IMAGES", images)
    mod = _load(ECS_INIT)
    if outcome == "error":
        with pytest.raises(RuntimeError, match="CannotPullContainerError"):
            mod.ensure_image("img:1", behavior, allow)
    else:
        mod.ensure_image("img:1", behavior, allow)
    calls = (tmp_path / "docker.log").read_text().splitlines()
    pulled = any(c.startswith("pull ") for c in calls)
    assert pulled == (allow and behavior in ("default", "always"))


def test_metadata_endpoint(host, emulator, monkeypatch):
    import socket
    import urllib.request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("EDGEOPS_ECS_INTROSPECTION_PORT", str(port))
    _registered_host(host, emulator, cluster="meta")
    mod = _load(ECS_INIT)
    agent = mod.Agent(mod.Config(mod.load_config()))
    agent.register()
    server = mod.start_introspection(agent)
    try:
        assert server.server_address[0] == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/metadata", timeout=5) as resp:
            meta = json.loads(resp.read())
    finally:
        server.shutdown()
        server.server_close()
    assert meta["Cluster"] == "meta" and meta["ContainerInstanceArn"] == agent.arn
    assert meta["Version"].startswith(f"Amazon ECS Agent - v{mod.VERSION}")
