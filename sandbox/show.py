"""Print what the sandbox's AWS side looks like after site.yml: the cluster,
its container instances with their SSM managed instances (mi- id, ping status,
agent version), the nginx service's counts, and the last log events of each
task's CloudWatch Logs stream.
Usage: python sandbox/show.py CLUSTER [LOG_GROUP]  (AWS_ENDPOINT_URL etc. from the sandbox env)."""

import sys

import boto3


def show_logs(logs, group, lines=3):
    try:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        print("logs      %s: no such log group" % group)
        return
    if not streams:
        print("logs      %s: no stream yet" % group)
    for stream in sorted(streams, key=lambda s: s["logStreamName"]):
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"],
                                     limit=lines, startFromHead=False)["events"]
        print("logs      %s/%s  (%d shown)" % (group, stream["logStreamName"], len(events)))
        for event in events:
            print("            %s" % event["message"].rstrip())


def main(cluster, group=None):
    ecs = boto3.client("ecs")
    ssm = boto3.client("ssm")
    c = ecs.describe_clusters(clusters=[cluster])["clusters"]
    if not c:
        print("cluster   %s: not found" % cluster)
        return 1
    c = c[0]
    print("cluster   %s  %s  instances=%d services=%d" % (
        c["clusterName"], c["status"], c["registeredContainerInstancesCount"], c["activeServicesCount"]))
    arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
    infos = {}
    if arns:
        for page in ssm.get_paginator("describe_instance_information").paginate():
            for i in page["InstanceInformationList"]:
                infos[i["InstanceId"]] = i
        for ci in ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]:
            mi = ci["ec2InstanceId"]
            info = infos.get(mi, {})
            print("instance  %s  %s  host=%s  %s  agentConnected=%s  running=%d  ecs-agent %s" % (
                ci["containerInstanceArn"].rsplit("/", 1)[-1], mi, info.get("ComputerName", "?"),
                ci["status"], ci["agentConnected"], ci["runningTasksCount"],
                ci.get("versionInfo", {}).get("agentVersion", "?")))
            print("ssm       %s  ping=%s  %s %s  %s" % (
                mi, info.get("PingStatus", "?"), info.get("AgentName", "amazon-ssm-agent"),
                info.get("AgentVersion", "?"), info.get("PlatformName", "")))
    for name in ecs.list_services(cluster=cluster)["serviceArns"]:
        s = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
        print("service   %s  %s  launchType=%s  %s  desired=%d running=%d pending=%d" % (
            s["serviceName"], s["status"], s.get("launchType"), s.get("schedulingStrategy", ""),
            s["desiredCount"], s["runningCount"], s["pendingCount"]))
    if group:
        show_logs(boto3.client("logs"), group)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "sandbox", sys.argv[2] if len(sys.argv) > 2 else None))
