#!/bin/sh
# The sandbox's edge hosts (containers and the Vagrant VM) may talk only to this
# machine: loopback, the docker networks (172.16.0.0/12: the sandbox network,
# the emulator on its gateway, the host's own docker bridge for the ECS tasks),
# the ECS credential endpoint 169.254.170.2 (NATed to the ECS agent by ecs-init)
# and what EDGEOPS_SANDBOX_EGRESS_ALLOW adds (the VM: 10.0.2.2, the controller),
# and the host's own addresses (a VM's 10.0.2.15: the ECS agent's answers to
# dockerd's awslogs driver, whose request to 169.254.170.2 ecs-init redirects
# to 127.0.0.1:51679, go back to the host's own address).
# Everything else is rejected: AWS's agents probe the EC2 instance metadata
# (169.254.169.254) and fall back to *.amazonaws.com when an endpoint is not
# set, and no test may send anything off this machine. A sandbox fixture, not
# part of the collection. Run by edgeops-sandbox-egress.service before docker.
set -eu
CHAIN=EDGEOPS-SANDBOX-EGRESS
iptables -N "$CHAIN" 2>/dev/null || iptables -F "$CHAIN"
iptables -A "$CHAIN" -m addrtype --dst-type LOCAL -j RETURN
for net in 127.0.0.0/8 172.16.0.0/12 169.254.170.2/32 ${EDGEOPS_SANDBOX_EGRESS_ALLOW:-}; do
    iptables -A "$CHAIN" -d "$net" -j RETURN
done
iptables -A "$CHAIN" -j REJECT --reject-with icmp-net-prohibited
# local processes (the agents, dockerd, host-network containers) ...
iptables -C OUTPUT -j "$CHAIN" 2>/dev/null || iptables -I OUTPUT 1 -j "$CHAIN"
# ... and the ECS tasks behind the host's docker bridge: DOCKER-USER comes first
# in FORWARD, and dockerd keeps what it finds there.
iptables -N DOCKER-USER 2>/dev/null || true
iptables -C DOCKER-USER -j "$CHAIN" 2>/dev/null || iptables -I DOCKER-USER 1 -j "$CHAIN"
iptables -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -I FORWARD 1 -j DOCKER-USER
# no IPv6 off the host at all
ip6tables -C OUTPUT ! -o lo -j REJECT 2>/dev/null || ip6tables -A OUTPUT ! -o lo -j REJECT 2>/dev/null || true
ip6tables -C FORWARD -j REJECT 2>/dev/null || ip6tables -A FORWARD -j REJECT 2>/dev/null || true
