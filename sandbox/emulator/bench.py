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
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        calls = {
            "ecs.DescribeClusters": lambda: ecs.describe_clusters(clusters=["default"]),
            "ecs.ListContainerInstances": lambda: ecs.list_container_instances(cluster="default", maxResults=10),
            "ecs.DescribeContainerInstances(10)": lambda: ecs.describe_container_instances(cluster="default", containerInstances=arns[:10]),
            "ecs.DescribeServices": lambda: ecs.describe_services(cluster="default", services=["web"]),
            "ssm.DescribeInstanceInformation(5)": lambda: ssm.describe_instance_information(MaxResults=5),
            "iam.GetRole (moto)": lambda: iam.get_role(RoleName="r"),
        }
        results = {}
        for name, fn in calls.items():
            fn()
            n, start = 0, time.monotonic()
            while time.monotonic() - start < args.seconds:
                fn()
                n += 1
            rate = n / (time.monotonic() - start)
            results[name] = rate
            print(f"{name:40s} {rate:8.0f} calls/s")
        print(f"{'minimum':40s} {min(results.values()):8.0f} calls/s (target >= 300)")
        return 0 if min(v for k, v in results.items() if k.startswith(("ecs", "ssm"))) >= 300 else 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
