#!/usr/bin/env bash
# Install and start what Vagrant needs on this machine (Debian 12, root, no
# systemd as PID 1): vagrant + vagrant-libvirt, libvirt, QEMU (software
# emulation: KVM is present but unusable here), dnsmasq/ebtables for libvirt.
# Idempotent: installs only what is missing and starts only daemons not running.
#   sandbox/vagrant/install-host.sh
set -euo pipefail

PACKAGES=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients
          dnsmasq-base ebtables qemu-system-x86 qemu-utils
          debootstrap fdisk e2fsprogs)

log() { printf '==> install-host: %s\n' "$*"; }

if [[ $EUID -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "packages present"
fi

# Daemons: PID 1 is not systemd here, so start them by hand (and only once).
# libvirtd without -l: it listens on its local UNIX sockets only.
if pidof systemd >/dev/null 2>&1 && [[ "$(ps -o comm= 1)" == systemd ]]; then
  $SUDO systemctl start virtlogd libvirtd
else
  pgrep -x virtlogd >/dev/null || { log "starting virtlogd"; $SUDO virtlogd -d; }
  pgrep -x libvirtd >/dev/null || { log "starting libvirtd"; $SUDO libvirtd -d; }
fi

for _ in $(seq 1 30); do
  if $SUDO virsh -c qemu:///system version >/dev/null 2>&1; then
    # vagrant-libvirt uploads boxes into the storage pool "default"
    if ! $SUDO virsh -c qemu:///system pool-info default >/dev/null 2>&1; then
      log "defining libvirt storage pool default (/var/lib/libvirt/images)"
      $SUDO mkdir -p /var/lib/libvirt/images
      $SUDO virsh -c qemu:///system pool-define-as default dir --target /var/lib/libvirt/images >/dev/null
      $SUDO virsh -c qemu:///system pool-autostart default >/dev/null
    fi
    [[ "$($SUDO virsh -c qemu:///system pool-info default)" == *running* ]] \
      || $SUDO virsh -c qemu:///system pool-start default >/dev/null
    log "libvirt ready ($(virsh -c qemu:///system version 2>/dev/null | awk '/Running hypervisor/ {print $3, $4}'))"
    log "$(vagrant --version), vagrant-libvirt $(dpkg-query -W -f='${Version}' vagrant-libvirt)"
    exit 0
  fi
  sleep 1
done
log "libvirtd did not answer on qemu:///system" >&2
exit 1
