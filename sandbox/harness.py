"""One sandbox (emulator + N edge containers) as the tests and the benchmark
drive it: its environment, an inventory naming its hosts, ansible-playbook
runs (one, or several started at the same moment as AWX starts the slices of
a sliced job), the emulator's operator API and commands on an edge host.

Used by tests/e2e, tests/faults and tests/bench; each picks its own name,
port and subnet so that they can run at the same time."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SANDBOX_SH = os.path.join(ROOT, "sandbox", "sandbox.sh")


class Run:
    """The outcome of one ansible-playbook run."""

    def __init__(self, cmd, rc, out):
        self.cmd, self.rc, self.out = cmd, rc, out

    def recap(self):
        """{host: {ok:, changed:, failed:, ...}} from the PLAY RECAP."""
        result = {}
        for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", self.out, re.M):
            result[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        return result

    def check(self):
        if self.rc != 0:
            raise AssertionError("%s failed (rc=%d):\n%s" % (" ".join(self.cmd), self.rc, self.out[-6000:]))
        return self


class Sandbox:
    def __init__(self, name, port, subnet, edges, extra_env=None):
        self.name, self.port, self.subnet, self.edges = name, str(port), subnet, int(edges)
        self.gateway = subnet.rsplit(".", 1)[0] + ".1"
        self.url = "http://127.0.0.1:%s" % self.port
        self.hosts = ["%s-edge-%d" % (name, i) for i in range(1, self.edges + 1)]
        self.extra_env = dict(extra_env or {})
        self.inventory = None

    def env(self):
        env = dict(os.environ)
        env.update({
            "SANDBOX": self.name, "PORT": self.port, "SUBNET": self.subnet, "EDGES": str(self.edges),
            "SANDBOX_PORT": self.port, "SANDBOX_GATEWAY": self.gateway,
            "AWS_ENDPOINT_URL": self.url, "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "sandbox-access-key", "AWS_SECRET_ACCESS_KEY": "sandbox-secret-key",
            "PATH": os.path.join(ROOT, ".venv", "bin") + os.pathsep + os.environ["PATH"],
            "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1",
        })
        env.update(self.extra_env)
        return env

    # -- life cycle -------------------------------------------------------
    def up(self):
        self.down()
        subprocess.check_call([SANDBOX_SH, "up"], env=self.env(), cwd=ROOT)
        self.inventory = self.write_inventory(tempfile.mkdtemp(prefix="%s-inventory-" % self.name))
        return self

    def down(self):
        subprocess.run([SANDBOX_SH, "down"], env=self.env(), cwd=ROOT, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.inventory:
            shutil.rmtree(self.inventory, ignore_errors=True)
            self.inventory = None

    def write_inventory(self, d):
        """inventories/sandbox with this sandbox's host names, in directory d."""
        src = os.path.join(ROOT, "inventories", "sandbox")
        shutil.copytree(os.path.join(src, "group_vars"), os.path.join(d, "group_vars"), dirs_exist_ok=True)
        with open(os.path.join(d, "hosts.yml"), "w") as f:
            f.write("all:\n  children:\n    ecs_anywhere_edge:\n      hosts:\n")
            for h in self.hosts:
                f.write("        %s:\n" % h)
        # the sandbox mirror lives in the checkout, not beside this temp inventory
        path = os.path.join(d, "group_vars", "ecs_anywhere_edge.yml")
        with open(path) as f:
            text = f.read().replace("{{ inventory_dir }}/../..", ROOT)
        with open(path, "w") as f:
            f.write(text)
        return d

    # -- runs -------------------------------------------------------------
    def command(self, *args):
        return ["ansible-playbook", "-i", self.inventory] + list(args)

    def playbook(self, *args, check_rc=True, env=None):
        cmd = self.command(*args)
        proc = subprocess.run(cmd, cwd=ROOT, env=dict(self.env(), **(env or {})), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL, check=False)
        print(proc.stdout[-4000:])
        run = Run(cmd, proc.returncode, proc.stdout)
        return run.check() if check_rc else run

    def start(self, *args, env=None):
        """Start ansible-playbook in the background (its own process group)."""
        cmd = self.command(*args)
        # pylint: disable-next=consider-using-with
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(self.env(), **(env or {})), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        return cmd, proc

    def playbooks_at_once(self, *arg_lists, check_rc=True):
        """Several runs started at the same moment; their Runs once all ended."""
        started = [self.start(*args) for args in arg_lists]
        runs = []
        for cmd, proc in started:
            out = proc.communicate()[0]
            print(out[-4000:])
            runs.append(Run(cmd, proc.returncode, out))
        return [r.check() for r in runs] if check_rc else runs

    # -- the emulator and the edge hosts -------------------------------------
    def emulator(self, path, method="GET", body=None):
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "DELETE") else None)
        req = urllib.request.Request(self.url + "/_emulator/" + path, method=method, data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")

    def clients(self, *names):
        import boto3  # pylint: disable=import-outside-toplevel
        from botocore.config import Config  # pylint: disable=import-outside-toplevel
        cfg = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30)
        kw = dict(endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="sandbox-access-key",
                  aws_secret_access_key="sandbox-secret-key", config=cfg)
        return {name: boto3.client(name, **kw) for name in names}


def edge(host, *cmd):
    """A command on an edge container: its CompletedProcess (stdout + stderr)."""
    return subprocess.run(["docker", "exec", host] + list(cmd), stdout=subprocess.PIPE, check=False,
                          stderr=subprocess.STDOUT, text=True)
