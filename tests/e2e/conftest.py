"""The end-to-end sandbox: emulator + two edge containers, shared by the e2e
tests (one module-scoped sandbox, torn down at the end)."""

import os
import re
import subprocess

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANDBOX = os.environ.get("E2E_SANDBOX", "e2e")
PORT = os.environ.get("E2E_PORT", "4577")
SUBNET = os.environ.get("E2E_SUBNET", "172.30.251.0/24")
GATEWAY = SUBNET.rsplit(".", 1)[0] + ".1"
HOSTS = ["%s-edge-1" % SANDBOX, "%s-edge-2" % SANDBOX]
CLUSTER = "sandbox"


def sandbox_env():
    env = dict(os.environ)
    env.update({
        "SANDBOX": SANDBOX, "PORT": PORT, "SUBNET": SUBNET, "EDGES": "2",
        "SANDBOX_PORT": PORT, "SANDBOX_GATEWAY": GATEWAY,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:%s" % PORT, "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "sandbox-access-key", "AWS_SECRET_ACCESS_KEY": "sandbox-secret-key",
        "PATH": os.path.join(ROOT, ".venv", "bin") + os.pathsep + os.environ["PATH"],
        "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1",
    })
    return env


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout

    def recap(self):
        """{host: {ok:, changed:, failed:, ...}} from the PLAY RECAP."""
        result = {}
        for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", self.out, re.M):
            result[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        return result


@pytest.fixture(scope="session")
def inventory(tmp_path_factory):
    """inventories/sandbox with this sandbox's host names."""
    d = tmp_path_factory.mktemp("inventory")
    src = os.path.join(ROOT, "inventories", "sandbox")
    subprocess.check_call(["cp", "-r", os.path.join(src, "group_vars"), str(d)])
    with open(d / "hosts.yml", "w") as f:
        f.write("all:\n  children:\n    ecs_anywhere_edge:\n      hosts:\n")
        for h in HOSTS:
            f.write("        %s:\n" % h)
    # the sandbox mirror lives in the checkout, not beside this temp inventory
    path = d / "group_vars" / "ecs_anywhere_edge.yml"
    text = path.read_text().replace("{{ inventory_dir }}/../..", ROOT)
    path.write_text(text)
    return str(d)


@pytest.fixture(scope="session")
def sandbox():
    env = sandbox_env()
    subprocess.run([os.path.join(ROOT, "sandbox", "sandbox.sh"), "down"], env=env, cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.check_call([os.path.join(ROOT, "sandbox", "sandbox.sh"), "up"], env=env, cwd=ROOT)
    yield env
    subprocess.call([os.path.join(ROOT, "sandbox", "sandbox.sh"), "down"], env=env, cwd=ROOT)


@pytest.fixture(scope="session")
def playbook(sandbox, inventory):
    def run(*args, check_rc=True):
        cmd = ["ansible-playbook", "-i", inventory] + list(args)
        proc = subprocess.run(cmd, cwd=ROOT, env=sandbox, stdout=subprocess.PIPE, check=False,
                              stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        print(proc.stdout[-4000:])
        if check_rc and proc.returncode != 0:
            raise AssertionError("%s failed (rc=%d):\n%s" % (" ".join(cmd), proc.returncode, proc.stdout[-6000:]))
        return Run(proc)
    return run


@pytest.fixture(scope="session")
def aws(sandbox):
    cfg = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30)
    kw = dict(endpoint_url=sandbox["AWS_ENDPOINT_URL"], region_name="us-east-1",
              aws_access_key_id="sandbox-access-key", aws_secret_access_key="sandbox-secret-key", config=cfg)
    return {name: boto3.client(name, **kw) for name in ("ecs", "ssm", "iam", "logs")}


def edge(host, *cmd):
    return subprocess.run(["docker", "exec", host] + list(cmd), stdout=subprocess.PIPE, check=False,
                          stderr=subprocess.STDOUT, text=True)
