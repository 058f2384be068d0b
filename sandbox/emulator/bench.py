"""Measure the emulator: start-up time and single-threaded describe/list calls per second.

    .venv/bin/python -m sandbox.emulator.bench [--seconds 3] [--instances 100]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _post(url: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(f"{url}/_emulator/{path}", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measured loop")
    parser.add_argument("--instances", type=int, default=100, help="virtual instances in the cluster")
    args = parser.parse_args(argv)

    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.emulator", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        startup = time.monotonic() - t0
        m = re.match(r"ready on (\S+)", line)
        if not m:
            print(f"emulator did not start: {line!r}", file=sys.stderr)
            return 1
        url = m.group(1)
        print(f"start-up (process spawn to 'ready on'): {startup:.2f} s")
        cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10)
        kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                  aws_secret_access_key="testing", config=cfg)
        ecs = boto3.client("ecs", **kw)
        ssm = boto3.client("ssm", **kw)
        iam = boto3.client("iam", **kw)
        ecs.create_cluster(clusterName="default")
        t1 = time.monotonic()
        vi = _post(url, "virtual-instances", {"cluster": "default", "count": args.instances})
        print(f"{args.instances} virtual instances created in {time.monotonic() - t1:.2f} s")
        ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                     containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128,
                                                            "portMappings": [{"containerPort": 80, "hostPort": 8080}]}])
        t1 = time.monotonic()
        ecs.create_service(cluster="default", serviceName="web", taskDefinition="web",
                           desiredCount=args.instances, launchType="EXTERNAL")
        print(f"service with {args.instances} tasks placed and RUNNING in {time.monotonic() - t1:.2f} s")
        arns = vi["container_instance_arns"][:100]
        trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
        ssm.create_activation(IamRole="r")
        calls = {
            "ecs.DescribeClusters": lambda: ecs.describe_clusters(clusters=["default"]),
            "ecs.ListContainerInstances(10)": lambda: ecs.list_container_instances(cluster="default", maxResults=10),
            "ecs.DescribeContainerInstances(1)": lambda: ecs.describe_container_instances(cluster="default", containerInstances=arns[:1]),
            "ecs.DescribeContainerInstances(10)": lambda: ecs.describe_container_instances(cluster="default", containerInstances=arns[:10]),
            "ecs.DescribeServices": lambda: ecs.describe_services(cluster="default", services=["web"]),
            "ecs.ListTasks(containerInstance)": lambda: ecs.list_tasks(cluster="default", containerInstance=arns[0]),
            "ssm.DescribeInstanceInformation(5)": lambda: ssm.describe_instance_information(MaxResults=5),
            "ssm.DescribeActivations": lambda: ssm.describe_activations(),
            "iam.GetRole (served by moto)": lambda: iam.get_role(RoleName="r"),
        }
        tick = os.sysconf("SC_CLK_TCK")

        def server_cpu() -> float:
            with open(f"/proc/{proc.pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick

        results = {}
        print(f"{'call':40s} {'wall calls/s':>12s} {'cpu-bound calls/s':>18s}")
        for name, fn in calls.items():
            fn()
            n, start, c0, s0 = 0, time.monotonic(), time.process_time(), server_cpu()
            while time.monotonic() - start < args.seconds:
                fn()
                n += 1
            wall = n / (time.monotonic() - start)
            cpu = (time.process_time() - c0) + (server_cpu() - s0)
            bound = n / cpu if cpu > 0 else float("inf")
            results[name] = (wall, bound)
            print(f"{name:40s} {wall:12.0f} {bound:18.0f}")
        load = os.getloadavg()[0]
        print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores "
              "(cpu-bound = calls / (client + server CPU seconds): the rate on an idle machine)")
        w10, b10 = results["ecs.DescribeContainerInstances(10)"]
        print(f"batch: DescribeContainerInstances(10) describes {10 * w10:.0f} instances/s wall, "
              f"{10 * b10:.0f}/s cpu-bound (20 KB answers; botocore's parsing dominates)")
        single = {k: v for k, v in results.items() if not k.startswith("iam") and "(10)" not in k}
        worst = min(b for w, b in single.values())
        print(f"slowest single-object describe/list call, cpu-bound: {worst:.0f} calls/s (target >= 300)")
        return 0 if worst >= 300 else 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
