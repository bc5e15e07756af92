#!/usr/bin/env bash
# The reference's MANUAL build (/work/shared/REFERENCE.md), scripted as a fast
# operator would type it: plain shell over `docker exec`, every host worked on
# in parallel where the manual allows it. It is the baseline the Ansible
# deploy's first run is compared with (issue 9, convergence speed).
#
#   lab/lab.sh up && time bash lab/manual-build.sh
#
# It expects the five freshly created lab containers (`lab/lab.sh up`); it does
# not create them, so container creation stays out of the measurement, as it
# does for the Ansible deploy. Debian 13's own PostgreSQL 17 is used (PGDG is
# unreachable from the lab), as inventory/lab/group_vars/all/main.yml asks.
# Addresses and secrets come from inventory/lab; no secret is ever printed or
# put on a command line (configuration files go through docker exec's stdin).
#
# Prints the wall-clock seconds of each phase and the total; exits non-zero
# when any step fails. Per-host output: $MANUAL_BUILD_LOGS (default: a new
# directory under /tmp, printed at the start).
set -euo pipefail
cd "$(dirname "$0")/.."

INVENTORY=inventory/lab
HOSTS_FILE=$INVENTORY/hosts.yml
# The committed lab values and the secrets lab/secrets.sh generated.
VARS_FILES=("$INVENTORY/group_vars/all/main.yml" "$INVENTORY/group_vars/all/secrets.yml")
LOGS="${MANUAL_BUILD_LOGS:-$(mktemp -d /tmp/manual-build.XXXXXX)}"
mkdir -p "$LOGS"

# The reference's values (the roles' defaults are the same).
SCOPE=pg-cluster
NAMESPACE=/service/
PG_PORT=5432
REST_PORT=8008
ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380
ETCD_TOKEN=pgha-etcd-cluster
WRITE_PORT=5000
READ_PORT=5001
STATS_PORT=7000
VRRP_ROUTER_ID=51
PATRONI_CONFIG=/etc/patroni/config.yml
WAIT_SECONDS=180

log() { printf 'manual-build: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- inventory ---------------------------------------------------------------
# A value of group_vars/all/{main,secrets}.yml, surrounding quotes removed.
lab_var() {
  local value
  value="$(cat "${VARS_FILES[@]}" 2>/dev/null | sed -n "s/^$1: *//p" | sed -e "s/^'\(.*\)'$/\1/" -e 's/^"\(.*\)"$/\1/')"
  [ -n "$value" ] || die "$1 is not set in ${VARS_FILES[*]} (run lab/secrets.sh)"
  printf '%s' "$value"
}

# "group host address" for every host of hosts.yml that carries common_address.
inventory_hosts() {
  awk '
    /^    [A-Za-z0-9_-]+:[ \t]*$/ { group = $1; sub(/:$/, "", group); next }
    /^[ \t]+[A-Za-z0-9_-]+:[ \t]*\{[ \t]*common_address:/ {
      host = $1; sub(/:$/, "", host)
      address = $0; sub(/.*common_address:[ \t]*/, "", address); sub(/[ \t}].*/, "", address)
      print group, host, address
    }' "$HOSTS_FILE"
}

declare -A ADDRESS=()
DB_HOSTS=()
PROXY_HOSTS=()
while read -r group host address; do
  ADDRESS[$host]=$address
  case "$group" in
    etcd) DB_HOSTS+=("$host") ;;
    haproxy) PROXY_HOSTS+=("$host") ;;
  esac
done < <(inventory_hosts)
if [ "${#DB_HOSTS[@]}" -lt 3 ] || [ $(( ${#DB_HOSTS[@]} % 2 )) -ne 1 ]; then
  die "expected an odd number (3 or more) of etcd hosts in $HOSTS_FILE, found ${#DB_HOSTS[@]}"
fi
[ "${#PROXY_HOSTS[@]}" -eq 2 ] || die "expected 2 haproxy hosts in $HOSTS_FILE, found ${#PROXY_HOSTS[@]}"

VIP="$(lab_var keepalived_vip)"
VIP_PREFIX="$(lab_var keepalived_vip_prefix)"
PG_VERSION="$(lab_var patroni_postgresql_version)"
# Secrets: read once here, only ever written into files through put.
SUPERUSER_PASSWORD="$(lab_var patroni_superuser_password)"
REPLICATION_PASSWORD="$(lab_var patroni_replication_password)"
REWIND_PASSWORD="$(lab_var patroni_rewind_password)"
VRRP_PASSWORD="$(lab_var keepalived_auth_pass)"
SUBNET="$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_interface(sys.argv[1]).network)' \
  "${ADDRESS[${DB_HOSTS[0]}]}/$VIP_PREFIX")"
DATA_DIR=/var/lib/postgresql/$PG_VERSION/main
BIN_DIR=/usr/lib/postgresql/$PG_VERSION/bin

ETCD_INITIAL_CLUSTER=""
ETCD_ENDPOINTS=""
for host in "${DB_HOSTS[@]}"; do
  ETCD_INITIAL_CLUSTER+="${ETCD_INITIAL_CLUSTER:+,}$host=http://${ADDRESS[$host]}:$ETCD_PEER_PORT"
  ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}http://${ADDRESS[$host]}:$ETCD_CLIENT_PORT"
done

# --- helpers -----------------------------------------------------------------
on() { docker exec "$@"; }

# put HOST PATH OWNER MODE: write stdin to PATH in HOST (replaced whole, never
# world-readable while it is written).
put() {
  docker exec -i "$1" sh -c '
    mkdir -p "$(dirname "$1")"
    umask 077
    cat >"$1.new" && chown "$2" "$1.new" && chmod "$3" "$1.new" && mv "$1.new" "$1"' \
    put "$2" "$3" "$4"
}

# apt_install HOST PACKAGE...: refresh the lists and install, no prompts.
apt_install() {
  local host=$1
  shift
  on -e DEBIAN_FRONTEND=noninteractive "$host" apt-get -q -o Dpkg::Use-Pty=0 update
  on -e DEBIAN_FRONTEND=noninteractive "$host" apt-get -q -y -o Dpkg::Use-Pty=0 \
    --no-install-recommends install "$@"
}

# in_parallel FUNCTION HOST...: FUNCTION HOST on every host at once, each
# logging to $LOGS/FUNCTION.HOST.log; fails when any of them failed.
in_parallel() {
  local func=$1 i failed=0
  shift
  local hosts=("$@") pids=()
  for i in "${!hosts[@]}"; do
    "$func" "${hosts[$i]}" >"$LOGS/$func.${hosts[$i]}.log" 2>&1 &
    pids[i]=$!
  done
  for i in "${!hosts[@]}"; do
    if ! wait "${pids[$i]}"; then
      log "$func failed on ${hosts[$i]}; the end of $LOGS/$func.${hosts[$i]}.log:"
      tail -n 15 "$LOGS/$func.${hosts[$i]}.log" >&2
      failed=1
    fi
  done
  return "$failed"
}

# until_true WHAT COMMAND...: retry COMMAND every second for WAIT_SECONDS.
until_true() {
  local what=$1 deadline
  shift
  deadline=$(( $(date +%s) + WAIT_SECONDS ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "gave up after ${WAIT_SECONDS}s waiting for $what"
    sleep 1
  done
}

# --- database nodes: packages, etcd, Patroni ---------------------------------
install_db() {
  # Patroni initialises the data directory: the packages must not create a
  # `main` cluster. postgresql-common reads this directory (include_dir in its
  # createcluster.conf), so the drop-in can precede the packages and one apt
  # transaction installs everything.
  printf 'create_main_cluster = false\n' \
    | put "$1" /etc/postgresql-common/createcluster.d/pgha.conf root:root 0644
  apt_install "$1" postgresql-common "postgresql-$PG_VERSION" patroni python3-etcd \
    python3-psycopg2 etcd-server etcd-client
  if [ -n "$(on "$1" pg_lsclusters -h)" ]; then
    echo "the packages created a PostgreSQL cluster on $1 although create_main_cluster is false" >&2
    return 1
  fi
}

etcd_env() {
  local address=${ADDRESS[$1]}
  cat <<EOF
ETCD_NAME="$1"
ETCD_DATA_DIR="/var/lib/etcd"
ETCD_LISTEN_PEER_URLS="http://$address:$ETCD_PEER_PORT"
ETCD_LISTEN_CLIENT_URLS="http://$address:$ETCD_CLIENT_PORT,http://127.0.0.1:$ETCD_CLIENT_PORT"
ETCD_INITIAL_ADVERTISE_PEER_URLS="http://$address:$ETCD_PEER_PORT"
ETCD_ADVERTISE_CLIENT_URLS="http://$address:$ETCD_CLIENT_PORT"
ETCD_INITIAL_CLUSTER="$ETCD_INITIAL_CLUSTER"
ETCD_INITIAL_CLUSTER_STATE="new"
ETCD_INITIAL_CLUSTER_TOKEN="$ETCD_TOKEN"
EOF
}

# Retire the package's single-member etcd and start this member of the static
# cluster. Run on every member at once: a new member's start returns only when
# a quorum exists.
start_etcd() {
  on "$1" systemctl stop etcd
  on "$1" rm -rf /var/lib/etcd/default
  on "$1" chmod 0700 /var/lib/etcd
  etcd_env "$1" | put "$1" /etc/default/etcd root:root 0644
  on "$1" systemctl enable etcd
  on "$1" systemctl restart etcd
}

# A YAML single-quoted scalar.
yaml_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# Prints the passwords: only ever piped into put.
patroni_yml() {
  local address=${ADDRESS[$1]} host
  cat <<EOF
scope: $SCOPE
namespace: $NAMESPACE
name: $1
restapi:
  listen: 0.0.0.0:$REST_PORT
  connect_address: $address:$REST_PORT
etcd3:
  hosts:
EOF
  for host in "${DB_HOSTS[@]}"; do
    printf '  - %s:%s\n' "${ADDRESS[$host]}" "$ETCD_CLIENT_PORT"
  done
  cat <<EOF
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 10
    retry_timeout: 10
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        wal_log_hints: 'on'
  initdb:
  - encoding: UTF8
  - data-checksums
  pg_hba:
  - host all all 127.0.0.1/32 scram-sha-256
  - host all all $SUBNET scram-sha-256
  - host replication replicator $SUBNET scram-sha-256
postgresql:
  listen: 0.0.0.0:$PG_PORT
  connect_address: $address:$PG_PORT
  data_dir: $DATA_DIR
  bin_dir: $BIN_DIR
  authentication:
    superuser:
      username: postgres
      password: $(yaml_quote "$SUPERUSER_PASSWORD")
    replication:
      username: replicator
      password: $(yaml_quote "$REPLICATION_PASSWORD")
    rewind:
      username: rewind_user
      password: $(yaml_quote "$REWIND_PASSWORD")
  parameters:
    password_encryption: scram-sha-256
watchdog:
  mode: automatic
  device: /dev/watchdog
  safety_margin: 5
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
}

# The plain PostgreSQL service off, the watchdog drop-in, Patroni's config.
configure_patroni() {
  on "$1" systemctl disable --now postgresql
  printf 'softdog\n' | put "$1" /etc/modules-load.d/softdog.conf root:root 0644
  printf '%s\n' '[Service]' \
    'ExecStartPre=-+/sbin/modprobe softdog' \
    'ExecStartPre=-+/bin/chown postgres /dev/watchdog' \
    | put "$1" /etc/systemd/system/patroni.service.d/watchdog.conf root:root 0644
  on "$1" systemctl daemon-reload
  on "$1" install -d -o postgres -g postgres -m 0755 "$(dirname "$DATA_DIR")"
  patroni_yml "$1" | put "$1" "$PATRONI_CONFIG" postgres:postgres 0600
}

start_patroni() { on "$1" systemctl enable --now patroni; }

is_primary() {
  [ "$(on "$1" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REST_PORT/primary")" = 200 ]
}

etcd_healthy() { on -e ETCDCTL_API=3 "${DB_HOSTS[0]}" etcdctl --endpoints "$ETCD_ENDPOINTS" endpoint health; }

# One Leader (running), one Sync Standby, every other member a streaming
# Replica, all on one timeline.
cluster_healthy() {
  on "${DB_HOSTS[0]}" patronictl -c "$PATRONI_CONFIG" list -f json | python3 -c '
import json, sys
members = json.load(sys.stdin)
roles = sorted(m["Role"] for m in members)
want = ["Leader"] + ["Replica"] * (int(sys.argv[1]) - 2) + ["Sync Standby"]
ok = (roles == want
      and all(m["State"] == ("running" if m["Role"] == "Leader" else "streaming") for m in members)
      and len({m.get("TL") for m in members}) == 1)
sys.exit(0 if ok else 1)' "${#DB_HOSTS[@]}"
}

# --- proxies -----------------------------------------------------------------
install_proxy() { apt_install "$1" haproxy keepalived; }

haproxy_cfg() {
  local spec pool port uri balance host
  cat <<EOF
global
    maxconn 2000
    log /dev/log local0

defaults
    mode tcp
    log global
    retries 2
    timeout client 30m
    timeout connect 4s
    timeout server 30m
    timeout check 5s

listen stats
    mode http
    bind *:$STATS_PORT
    stats enable
    stats uri /
EOF
  for spec in "postgres_primary $WRITE_PORT /primary -" "postgres_replicas $READ_PORT /replica roundrobin"; do
    read -r pool port uri balance <<<"$spec"
    printf '\nlisten %s\n    bind *:%s\n' "$pool" "$port"
    [ "$balance" = - ] || printf '    balance %s\n' "$balance"
    printf '%s\n' '    option httpchk' \
      "    http-check send meth OPTIONS uri $uri" \
      '    http-check expect status 200' \
      '    default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions'
    for host in "${DB_HOSTS[@]}"; do
      printf '    server %s %s:%s maxconn 200 check port %s\n' "$host" "${ADDRESS[$host]}" "$PG_PORT" "$REST_PORT"
    done
  done
}

# Prints the VRRP password: only ever piped into put.
keepalived_conf() {
  local state=BACKUP priority=100
  if [ "$1" = "${PROXY_HOSTS[0]}" ]; then state=MASTER priority=101; fi
  cat <<EOF
global_defs {
    enable_script_security
    script_user root
}

vrrp_script chk_haproxy {
    script "/usr/bin/pidof haproxy"
    interval 2
    weight 2
    fall 2
    rise 2
}

vrrp_instance VI_1 {
    state $state
    interface $2
    virtual_router_id $VRRP_ROUTER_ID
    priority $priority
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass $VRRP_PASSWORD
    }
    virtual_ipaddress {
        $VIP/$VIP_PREFIX
    }
    track_script {
        chk_haproxy
    }
}
EOF
}

configure_proxy() {
  local interface
  interface="$(on "$1" ip -4 -o addr show | awk -v a="${ADDRESS[$1]}/" 'index($4, a) == 1 { print $2; exit }')"
  [ -n "$interface" ] || { echo "no interface of $1 holds ${ADDRESS[$1]}" >&2; return 1; }
  haproxy_cfg | put "$1" /etc/haproxy/haproxy.cfg root:root 0644
  keepalived_conf "$1" "$interface" | put "$1" /etc/keepalived/keepalived.conf root:root 0640
  on "$1" haproxy -c -f /etc/haproxy/haproxy.cfg
  on "$1" keepalived -t -f /etc/keepalived/keepalived.conf
  on "$1" systemctl enable haproxy keepalived
  on "$1" systemctl restart haproxy keepalived
}

# The proxies' whole build, run beside the database nodes'; phase times go to
# $LOGS/proxies.times.
build_proxies() {
  local t0 t1 t2
  t0=$(now)
  in_parallel install_proxy "${PROXY_HOSTS[@]}"
  t1=$(now)
  in_parallel configure_proxy "${PROXY_HOSTS[@]}"
  t2=$(now)
  printf '%s %s %s\n' "$t0" "$t1" "$t2" >"$LOGS/proxies.times"
}

# --- the build ---------------------------------------------------------------
PROXIES_PID=""
stop_proxies() { if [ -n "$PROXIES_PID" ]; then kill "$PROXIES_PID" 2>/dev/null || true; fi; }
trap stop_proxies EXIT

log "logs in $LOGS"
T_START=$(now)
build_proxies >"$LOGS/proxies.log" 2>&1 &
PROXIES_PID=$!

in_parallel install_db "${DB_HOSTS[@]}"
T_PACKAGES=$(now)
log "database packages: $(seconds "$T_START" "$T_PACKAGES") s"

in_parallel start_etcd "${DB_HOSTS[@]}"
until_true "etcd endpoint health on $ETCD_ENDPOINTS" etcd_healthy
T_ETCD=$(now)
log "etcd cluster healthy: $(seconds "$T_PACKAGES" "$T_ETCD") s"

in_parallel configure_patroni "${DB_HOSTS[@]}"
start_patroni "${DB_HOSTS[0]}" >"$LOGS/start_patroni.${DB_HOSTS[0]}.log" 2>&1
until_true "${DB_HOSTS[0]} to lead (its /primary answering 200)" is_primary "${DB_HOSTS[0]}"
T_LEADER=$(now)
log "patroni leader ${DB_HOSTS[0]}: $(seconds "$T_ETCD" "$T_LEADER") s"

in_parallel start_patroni "${DB_HOSTS[@]:1}"
until_true "one Leader, one Sync Standby, the rest streaming Replicas" cluster_healthy
T_CLUSTER=$(now)
log "patroni replicas streaming: $(seconds "$T_LEADER" "$T_CLUSTER") s"

if ! wait "$PROXIES_PID"; then
  PROXIES_PID=""
  log "the proxies' build failed; the end of $LOGS/proxies.log:"
  tail -n 20 "$LOGS/proxies.log" >&2
  exit 1
fi
PROXIES_PID=""
T_END=$(now)
read -r P0 P1 P2 <"$LOGS/proxies.times"

printf '\n%-48s %8s\n' phase seconds
printf '%-48s %8s\n' "database packages (${#DB_HOSTS[@]} hosts in parallel)" "$(seconds "$T_START" "$T_PACKAGES")"
printf '%-48s %8s\n' "etcd: configure, start together, all healthy" "$(seconds "$T_PACKAGES" "$T_ETCD")"
printf '%-48s %8s\n' "patroni: configure, first node leads" "$(seconds "$T_ETCD" "$T_LEADER")"
printf '%-48s %8s\n' "patroni: others cloned, sync + streaming" "$(seconds "$T_LEADER" "$T_CLUSTER")"
printf '%-48s %8s\n' "proxies: packages (beside the above)" "$(seconds "$P0" "$P1")"
printf '%-48s %8s\n' "proxies: configure, check, restart" "$(seconds "$P1" "$P2")"
printf '%-48s %8s\n' "total" "$(seconds "$T_START" "$T_END")"
