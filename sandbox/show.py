"""Print what the sandbox's AWS side looks like after site.yml: the cluster,
its container instances with their mi- ids, and the nginx service's counts.
Usage: python sandbox/show.py CLUSTER  (AWS_ENDPOINT_URL etc. from the sandbox env)."""

import sys

import boto3


def main(cluster):
    ecs = boto3.client("ecs")
    ssm = boto3.client("ssm")
    c = ecs.describe_clusters(clusters=[cluster])["clusters"]
    if not c:
        print("cluster %s: not found" % cluster)
        return 1
    c = c[0]
    print("cluster   %s  %s  instances=%d services=%d" % (
        c["clusterName"], c["status"], c["registeredContainerInstancesCount"], c["activeServicesCount"]))
    arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
    infos = {}
    if arns:
        for i in ssm.describe_instance_information()["InstanceInformationList"]:
            infos[i["InstanceId"]] = i
        for ci in ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]:
            mi = ci["ec2InstanceId"]
            info = infos.get(mi, {})
            print("instance  %s  %s  host=%s  %s  agentConnected=%s  running=%d" % (
                ci["containerInstanceArn"].rsplit("/", 1)[-1], mi, info.get("ComputerName", "?"),
                ci["status"], ci["agentConnected"], ci["runningTasksCount"]))
    for name in ecs.list_services(cluster=cluster)["serviceArns"]:
        s = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
        print("service   %s  %s  launchType=%s  desired=%d running=%d pending=%d" % (
            s["serviceName"], s["status"], s.get("launchType"), s["desiredCount"],
            s["runningCount"], s["pendingCount"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "sandbox"))
