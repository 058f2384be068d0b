#!/usr/bin/env bash
# Build the Debian 12 (bookworm) Vagrant box for the libvirt provider locally
# (no box can be downloaded here) and add it as local/debian12.
#
#   sandbox/vagrant/build-box.sh            # build if the inputs changed, then add
#   BOX_FORCE=1 sandbox/vagrant/build-box.sh
#
# Cached on its inputs: .cache/vagrant/rootfs-<hash>.tar (debootstrap + packages,
# keyed on suite, mirror and package set) and .cache/vagrant/debian12-<hash>.box
# (keyed on this script, the Vagrant insecure key and the mirror). The box is
# re-added only when its hash differs from .cache/vagrant/local-debian12.added.
#
# Recipe (measured, see ENVIRONMENT.md "Virtual machines"): debootstrap, kernel +
# grub-pc, user vagrant with passwordless sudo and Vagrant's insecure key,
# systemd-networkd DHCP on every NIC (wait-online satisfied by ANY link), ssh
# host keys made at first boot, serial console; an ext4 partition populated
# from the root directory (mkfs.ext4 -d: loop discard does not punch holes
# here, so files deleted inside a mounted image would bloat the box) on a raw
# MBR disk, grub installed through a loop device, raw -> qcow2; box = box.img +
# metadata.json + Vagrantfile. Baked in, like the docker scenario's edge image:
# python3, docker.io (an apt
# install of docker.io inside a VM takes ~1m45s under TCG) and the nginx task
# image (.cache/images/nginx.tar, loaded natively into the box's Docker).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ROOT}/.cache/vagrant"
BOX_NAME="${BOX_NAME:-local/debian12}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
DISK_GB=10
VAGRANT_PUB="$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -1 || true)"
INCLUDE=linux-image-cloud-amd64,grub-pc,openssh-server,sudo,python3,python3-apt,systemd-sysv,qemu-guest-agent,ca-certificates,curl,gnupg,iproute2,less,procps
# installed with apt in the chroot (systemd-resolved's postinst fails under debootstrap);
# apparmor: the Debian kernel enables AppArmor and dockerd then needs apparmor_parser
EXTRA_PACKAGES=(docker.io systemd-resolved apparmor)

log() { printf '==> build-box: %s\n' "$*"; }
die() { printf '==> build-box: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (debootstrap, loop devices, chroot)"
[[ -n "${VAGRANT_PUB}" && -r "${VAGRANT_PUB}" ]] || die "Vagrant's insecure public key not found: run sandbox/vagrant/install-host.sh"
for tool in debootstrap qemu-img sfdisk losetup partx mkfs.ext4 vagrant; do
  command -v "$tool" >/dev/null || die "$tool missing: run sandbox/vagrant/install-host.sh"
done

# Preloaded into the box's Docker when present (sandbox/images/build.sh makes it):
# `docker load` of it inside a TCG VM takes minutes, natively seconds.
NGINX_TAR="${NGINX_TAR:-${ROOT}/.cache/images/nginx.tar}"
NGINX_ID="$(cat "${NGINX_TAR}.id" 2>/dev/null || { [[ -f "${NGINX_TAR}" ]] && sha256sum <"${NGINX_TAR}" | cut -c1-64; } || echo none)"
GUARD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../images" && pwd)"
HASH="$( { cat "${BASH_SOURCE[0]}" "${VAGRANT_PUB}" "${GUARD_DIR}/egress-guard.sh" "${GUARD_DIR}/edgeops-sandbox-egress.service"; echo "${DEBIAN_MIRROR} ${DISK_GB} ${NGINX_ID}"; } | sha256sum | cut -c1-16)"
ROOTFS_HASH="$(echo "${SUITE} ${DEBIAN_MIRROR} ${INCLUDE} ${EXTRA_PACKAGES[*]}" | sha256sum | cut -c1-16)"
BOX="${CACHE}/debian12-${HASH}.box"
ROOTFS_TAR="${CACHE}/rootfs-${ROOTFS_HASH}.tar"
STAMP="${CACHE}/local-debian12.added"
mkdir -p "${CACHE}"
START=$(date +%s)

box_added() {
  [[ -f "${STAMP}" && "$(cat "${STAMP}")" == "${HASH}" ]] \
    && [[ "$(vagrant box list --machine-readable 2>/dev/null)" == *",box-name,${BOX_NAME}"* ]]
}

WORK=""
MNT=""
LOOP=""
mount_chroot() {
  local m
  for m in dev dev/pts proc sys run; do mkdir -p "${MNT}/$m"; done
  mount --bind /dev "${MNT}/dev"
  mount --bind /dev/pts "${MNT}/dev/pts"
  mount -t proc proc "${MNT}/proc"
  mount -t sysfs sys "${MNT}/sys"
  mount -t tmpfs tmpfs "${MNT}/run"
}
umount_chroot() {
  local m
  for m in var/lib/docker run sys proc dev/pts dev; do
    if mountpoint -q "${MNT}/$m"; then umount -R "${MNT}/$m" || umount -R -l "${MNT}/$m"; fi
  done
}
in_chroot() { LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "${MNT}" "$@"; }
cleanup() {
  set +e
  if [[ -n "${MNT}" ]]; then
    umount_chroot
    mountpoint -q "${MNT}" && umount -l "${MNT}"
  fi
  if [[ -n "${LOOP}" ]]; then
    partx -d "${LOOP}" >/dev/null 2>&1
    losetup -d "${LOOP}"
  fi
  [[ -n "${WORK}" ]] && rm -rf "${WORK}"
}
trap cleanup EXIT

build_rootfs() {
  log "debootstrap ${SUITE} from ${DEBIAN_MIRROR}"
  debootstrap --variant=minbase --include="${INCLUDE}" "${SUITE}" "${MNT}" "${DEBIAN_MIRROR}" >"${WORK}/debootstrap.log" 2>&1 \
    || { tail -20 "${WORK}/debootstrap.log"; die "debootstrap failed"; }
  mount_chroot
  log "apt-get install ${EXTRA_PACKAGES[*]}"
  printf '#!/bin/sh\nexit 101\n' >"${MNT}/usr/sbin/policy-rc.d"
  chmod 0755 "${MNT}/usr/sbin/policy-rc.d"
  rm -f "${MNT}/etc/resolv.conf"
  cp /etc/resolv.conf "${MNT}/etc/resolv.conf"
  cat >"${MNT}/etc/apt/sources.list" <<EOF
deb ${DEBIAN_MIRROR} ${SUITE} main
deb ${DEBIAN_MIRROR} ${SUITE}-updates main
deb http://deb.debian.org/debian-security ${SUITE}-security main
EOF
  in_chroot apt-get update -qq
  in_chroot apt-get install -y -qq --no-install-recommends "${EXTRA_PACKAGES[@]}" >"${WORK}/apt.log" 2>&1 \
    || { tail -20 "${WORK}/apt.log"; die "apt-get install failed"; }
  rm -f "${MNT}/usr/sbin/policy-rc.d"
  in_chroot apt-get clean
  umount_chroot
  rm -f "${CACHE}"/rootfs-*.tar
  tar -C "${MNT}" --xattrs --xattrs-include='*' --numeric-owner -cf "${ROOTFS_TAR}.tmp" .
  mv "${ROOTFS_TAR}.tmp" "${ROOTFS_TAR}"
}

configure_rootfs() {
  mount_chroot
  echo debian12 >"${MNT}/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian12\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"${MNT}/etc/hosts"
  printf 'UUID=%s\t/\text4\terrors=remount-ro\t0\t1\n' "${UUID}" >"${MNT}/etc/fstab"
  : >"${MNT}/etc/machine-id"   # a new one on every first boot
  rm -f "${MNT}/var/lib/dbus/machine-id"

  # network: DHCP on every ethernet NIC; online as soon as ANY link is
  cat >"${MNT}/etc/systemd/network/20-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
  mkdir -p "${MNT}/etc/systemd/system/systemd-networkd-wait-online.service.d"
  cat >"${MNT}/etc/systemd/system/systemd-networkd-wait-online.service.d/any.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=30
EOF
  in_chroot systemctl enable systemd-networkd systemd-resolved ssh docker >/dev/null 2>&1
  # nothing leaves this machine (sandbox/images/egress-guard.sh): the VM may
  # reach only the controller (10.0.2.2, QEMU user networking), not QEMU's DNS
  # forwarder or anything behind it
  install -m 0755 "${GUARD_DIR}/egress-guard.sh" "${MNT}/usr/local/sbin/edgeops-sandbox-egress"
  install -m 0644 "${GUARD_DIR}/edgeops-sandbox-egress.service" "${MNT}/etc/systemd/system/edgeops-sandbox-egress.service"
  echo "EDGEOPS_SANDBOX_EGRESS_ALLOW=10.0.2.2/32" >"${MNT}/etc/default/edgeops-sandbox-egress"
  in_chroot systemctl enable edgeops-sandbox-egress.service >/dev/null 2>&1
  ln -sf /run/systemd/resolve/stub-resolv.conf "${MNT}/etc/resolv.conf"

  # ssh: host keys made at first boot (never shared between VMs), no DNS lookups
  rm -f "${MNT}"/etc/ssh/ssh_host_*
  cat >"${MNT}/etc/systemd/system/ssh-host-keys.service" <<'EOF'
[Unit]
Description=Generate SSH host keys on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
EOF
  in_chroot systemctl enable ssh-host-keys.service >/dev/null 2>&1
  printf 'UseDNS no\n' >"${MNT}/etc/ssh/sshd_config.d/vagrant.conf"

  # vagrant user: passwordless sudo, Vagrant's insecure key (replaced at first up)
  in_chroot useradd -m -s /bin/bash -G sudo vagrant
  echo 'vagrant:vagrant' | in_chroot chpasswd
  echo 'vagrant ALL=(ALL) NOPASSWD:ALL' >"${MNT}/etc/sudoers.d/vagrant"
  chmod 0440 "${MNT}/etc/sudoers.d/vagrant"
  install -d -m 0700 "${MNT}/home/vagrant/.ssh"
  install -m 0600 "${VAGRANT_PUB}" "${MNT}/home/vagrant/.ssh/authorized_keys"
  in_chroot chown -R vagrant:vagrant /home/vagrant/.ssh

  # boot: serial console, short menu
  cat >"${MNT}/etc/default/grub" <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --speed=115200 --unit=0 --word=8 --parity=no --stop=1"
GRUB_DISABLE_OS_PROBER=true
EOF
  rm -rf "${MNT}"/tmp/* "${MNT}"/var/log/*.log "${MNT}"/var/cache/apt/*.bin
  umount_chroot
}

preload_images() {
  # The box's own dockerd, run natively in the chroot (its / must be a mount
  # point for docker's untar), loads the image into the box's /var/lib/docker.
  [[ -f "${NGINX_TAR}" ]] || { log "no ${NGINX_TAR#"${ROOT}/"}: the VM will load the nginx image at prepare (slow)"; return 0; }
  log "preloading $(basename "${NGINX_TAR}") into the box's Docker"
  mount --bind "${MNT}" "${MNT}"
  for m in dev dev/pts proc run; do mkdir -p "${MNT}/$m"; done
  mount --bind /dev "${MNT}/dev"
  mount --bind /dev/pts "${MNT}/dev/pts"
  mount -t proc proc "${MNT}/proc"
  mount --rbind /sys "${MNT}/sys"
  mount -t tmpfs tmpfs "${MNT}/run"
  cp "${NGINX_TAR}" "${MNT}/tmp/preload.tar"
  chroot "${MNT}" /usr/sbin/dockerd --data-root /var/lib/docker -H unix:///run/preload.sock \
    --pidfile /run/preload.pid --bridge=none --iptables=false --ip-masq=false --storage-driver=overlay2 \
    >"${WORK}/dockerd.log" 2>&1 &
  local pid=$! ok=""
  for _ in $(seq 1 60); do
    chroot "${MNT}" docker -H unix:///run/preload.sock version >/dev/null 2>&1 && { ok=1; break; }
    sleep 1
  done
  [[ -n "${ok}" ]] || { tail -20 "${WORK}/dockerd.log"; die "dockerd did not start in the chroot"; }
  chroot "${MNT}" docker -H unix:///run/preload.sock load -q -i /tmp/preload.tar
  kill "${pid}"
  wait "${pid}" 2>/dev/null || true
  rm -f "${MNT}/tmp/preload.tar"
  # the VM's dockerd creates its networks itself
  rm -rf "${MNT}/var/lib/docker/network" "${MNT}/var/lib/docker/tmp"
  umount_chroot
  umount "${MNT}"
}

make_disk() {
  log "disk: ${DISK_GB} GiB raw, MBR, ext4 populated from the root directory"
  truncate -s "${DISK_GB}G" "${WORK}/disk.raw"
  echo 'start=2048, type=83, bootable' | sfdisk -q "${WORK}/disk.raw"
  LOOP="$(losetup -fP --show "${WORK}/disk.raw")"
  PART="${LOOP}p1"
  # no udev here: make the partition node when the kernel did not
  [[ -b "${PART}" ]] || partx -a "${LOOP}" 2>/dev/null || true
  for _ in 1 2 3 4 5; do [[ -b "${PART}" ]] && break; sleep 1; done
  if [[ ! -b "${PART}" ]]; then
    read -r major minor < <(awk -v d="$(basename "${PART}")" '$4 == d {print $1, $2}' /proc/partitions)
    [[ -n "${major:-}" ]] || die "partition ${PART} not found"
    mknod "${PART}" b "${major}" "${minor}"
  fi
  mkfs.ext4 -q -L root -U "${UUID}" -d "${MNT}" "${PART}"
  rm -rf "${MNT}"
  mkdir -p "${MNT}"
  mount "${PART}" "${MNT}"
  mount_chroot
  # grub-mkconfig resolves / through /dev/disk/by-uuid, which udev would make
  mkdir -p /dev/disk/by-uuid
  ln -sf "${PART}" "/dev/disk/by-uuid/${UUID}"
  in_chroot grub-install --target=i386-pc --modules="part_msdos ext2" "${LOOP}" >"${WORK}/grub.log" 2>&1 \
    || { cat "${WORK}/grub.log"; die "grub-install failed"; }
  in_chroot update-grub >>"${WORK}/grub.log" 2>&1 || { cat "${WORK}/grub.log"; die "update-grub failed"; }
  rm -f "/dev/disk/by-uuid/${UUID}"
  grep -q "root=UUID=${UUID}" "${MNT}/boot/grub/grub.cfg" || die "grub.cfg does not boot root=UUID=${UUID}"
  umount_chroot
  umount "${MNT}"
  e2fsck -fy "${PART}" >/dev/null 2>&1 || true
  partx -d "${LOOP}" >/dev/null 2>&1 || true
  losetup -d "${LOOP}"
  LOOP=""
}

make_box() {
  log "qcow2 and box"
  qemu-img convert -O qcow2 "${WORK}/disk.raw" "${WORK}/box.img"
  rm -f "${WORK}/disk.raw"
  printf '{"provider":"libvirt","format":"qcow2","virtual_size":%d}\n' "${DISK_GB}" >"${WORK}/metadata.json"
  cat >"${WORK}/Vagrantfile" <<'EOF'
# Box defaults (local/debian12, built by sandbox/vagrant/build-box.sh).
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "qemu"
    libvirt.disk_bus = "virtio"
  end
end
EOF
  rm -f "${CACHE}"/debian12-*.box
  tar -C "${WORK}" -cf "${BOX}.tmp" metadata.json Vagrantfile box.img
  mv "${BOX}.tmp" "${BOX}"
}

if [[ -z "${BOX_FORCE:-}" && -f "${BOX}" ]]; then
  log "cached: ${BOX#"${ROOT}/"}"
else
  WORK="$(mktemp -d "${CACHE}/build.XXXXXX")"
  MNT="${WORK}/root"
  mkdir -p "${MNT}"
  if [[ -z "${BOX_FORCE:-}" && -f "${ROOTFS_TAR}" ]]; then
    log "rootfs cached: ${ROOTFS_TAR#"${ROOT}/"}"
    tar -C "${MNT}" --xattrs --xattrs-include='*' --numeric-owner -xpf "${ROOTFS_TAR}"
  else
    build_rootfs
  fi
  UUID="$(cat /proc/sys/kernel/random/uuid)"
  log "system configuration"
  configure_rootfs
  preload_images
  make_disk
  make_box
  rm -rf "${WORK}"
  WORK=""
  log "built ${BOX#"${ROOT}/"} ($(du -h "${BOX}" | cut -f1)) in $(( $(date +%s) - START )) s"
fi

if box_added; then
  log "${BOX_NAME} already holds ${HASH}"
else
  log "vagrant box add ${BOX_NAME}"
  vagrant box add --force --name "${BOX_NAME}" "${BOX}" >/dev/null
  # a changed box must reach libvirt's pool again: drop the volume uploaded from the old one
  if command -v virsh >/dev/null; then
    for vol in $(virsh -c qemu:///system vol-list default 2>/dev/null | awk '/local-VAGRANTSLASH-debian12/ {print $1}'); do
      virsh -c qemu:///system vol-delete --pool default "${vol}" >/dev/null 2>&1 || true
    done
  fi
  echo "${HASH}" >"${STAMP}"
fi
log "done in $(( $(date +%s) - START )) s"
