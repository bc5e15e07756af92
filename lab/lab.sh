#!/usr/bin/env bash
# The local lab: a Debian 13 systemd image built here, and seven containers (pg1 pg2 pg3 ha1 ha2,
# the backup repository bk1, the monitoring host mon1) on a dedicated bridge network with fixed addresses.
#
#   lab/lab.sh deps     install docker.io + debootstrap, start dockerd
#   lab/lab.sh image    build the Debian 13 systemd image (reused when present)
#   lab/lab.sh up       (re)create the seven containers
#   lab/lab.sh down     remove containers and network
#   lab/lab.sh status   show them
#   lab/lab.sh promtool print the path of Debian 13's promtool (unpacked once into .cache/bin)
#   lab/lab.sh pgbench  install pgbench on this machine for make bench (postgresql-client)
#
# Everything stays on this machine: the network is a private docker bridge.
set -euo pipefail

LAB_IMAGE="${LAB_IMAGE:-pgha/debian13-systemd:latest}"
LAB_NETWORK="${LAB_NETWORK:-pgha-lab}"
LAB_SUBNET="${LAB_SUBNET:-172.28.0.0/24}"
LAB_MIRROR="${LAB_MIRROR:-http://deb.debian.org/debian}"
# name=address; the VIP (172.28.0.10) is deliberately left free.
LAB_HOSTS=(pg1=172.28.0.11 pg2=172.28.0.12 pg3=172.28.0.13 ha1=172.28.0.21 ha2=172.28.0.22 bk1=172.28.0.31 mon1=172.28.0.41)

# The flags verified to boot systemd as PID 1 here (--privileged is refused).
RUN_FLAGS=(--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add NET_RAW
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp
  --stop-signal SIGRTMIN+3)

log() { printf '\033[1mlab:\033[0m %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

cmd_deps() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      as_root systemctl start docker
    else
      log "starting dockerd"
      as_root sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
    fi
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { log "dockerd did not start: see /var/log/dockerd.log"; exit 1; }
  fi
}

# pgbench for make bench, on the controller (Debian's postgresql-client).
cmd_pgbench() {
  command -v pgbench >/dev/null && return
  log "installing postgresql-client (pgbench)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
}

cmd_image() {
  if docker image inspect "$LAB_IMAGE" >/dev/null 2>&1; then
    log "image $LAB_IMAGE present, reused"
    return
  fi
  local root
  root="$(mktemp -d /var/tmp/pgha-rootfs.XXXXXX)"
  log "debootstrap trixie into $root"
  as_root debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,iputils-ping,procps,ca-certificates,sudo,less,curl,gnupg,locales \
    trixie "$root" "$LAB_MIRROR" >/var/tmp/pgha-debootstrap.log 2>&1 \
    || { log "debootstrap failed: see /var/tmp/pgha-debootstrap.log"; exit 1; }
  # A container boots with no console, no udev and no clock control: mask what
  # cannot work there so systemd reaches multi-user quickly and quietly.
  as_root chroot "$root" systemctl mask \
    systemd-udevd.service systemd-udevd-kernel.socket systemd-udevd-control.socket \
    systemd-modules-load.service systemd-remount-fs.service getty.target \
    console-getty.service systemd-timesyncd.service systemd-firstboot.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount >/dev/null 2>&1 || true
  echo 'en_US.UTF-8 UTF-8' | as_root tee "$root/etc/locale.gen" >/dev/null
  as_root chroot "$root" locale-gen >/dev/null
  printf 'deb %s trixie main\ndeb %s trixie-updates main\n' "$LAB_MIRROR" "$LAB_MIRROR" \
    | as_root tee "$root/etc/apt/sources.list" >/dev/null
  as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # Empty package lists must look stale, or "cache_valid_time" skips the first update.
  as_root touch -d "1970-01-02" "$root/var/lib/apt/lists"
  log "importing $LAB_IMAGE"
  as_root tar -C "$root" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' - "$LAB_IMAGE" >/dev/null
  as_root rm -rf "$root"
}

cmd_down() {
  local h
  for h in "${LAB_HOSTS[@]}"; do
    docker rm -f "${h%%=*}" >/dev/null 2>&1 || true
  done
  docker network rm "$LAB_NETWORK" >/dev/null 2>&1 || true
}

cmd_up() {
  "$(dirname "$0")/secrets.sh"
  cmd_deps
  cmd_image
  cmd_down   # leftovers of an earlier lab (e.g. after the engine restarted)
  docker network create --driver bridge --subnet "$LAB_SUBNET" "$LAB_NETWORK" >/dev/null
  local h name addr
  for h in "${LAB_HOSTS[@]}"; do
    name="${h%%=*}"; addr="${h#*=}"
    docker run -d --name "${name}" --hostname "$name" \
      --network "$LAB_NETWORK" --ip "$addr" "${RUN_FLAGS[@]}" \
      "$LAB_IMAGE" /lib/systemd/systemd >/dev/null
  done
  for h in "${LAB_HOSTS[@]}"; do
    name="${h%%=*}"
    for _ in $(seq 1 60); do
      state="$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)"
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    log "$name: systemd ${state:-unknown}"
  done
}

cmd_status() {
  docker ps -a --filter "network=$LAB_NETWORK" --format 'table {{.Names}}\t{{.Status}}'
}

# promtool from Debian 13 (the package beside the prometheus the monitoring role
# installs), unpacked from its .deb inside the lab image: the rule tests need no
# Prometheus on this machine. Prints its path.
cmd_promtool() {
  local bin
  bin="$(cd "$(dirname "$0")/.." && pwd)/.cache/bin"
  if [ ! -x "$bin/promtool" ]; then
    cmd_deps
    cmd_image
    mkdir -p "$bin"
    log "unpacking Debian 13's promtool package into $bin"
    docker run --rm -v "$bin:/out" "$LAB_IMAGE" sh -ec '
      cd /tmp
      apt-get update -qq
      apt-get download -qq promtool 2>/dev/null
      dpkg-deb -x promtool_*.deb unpacked
      install -m 0755 unpacked/usr/bin/promtool /out/promtool' >&2
  fi
  echo "$bin/promtool"
}

case "${1:-}" in
  deps) cmd_deps ;;
  image) cmd_deps; cmd_image ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  pgbench) cmd_pgbench ;;
  promtool) cmd_promtool ;;
  *) echo "usage: $0 deps|image|up|down|status|promtool|pgbench" >&2; exit 2 ;;
esac
