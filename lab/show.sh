#!/usr/bin/env bash
# Print the lab cluster's state and how to connect to it.
set -euo pipefail
cd "$(dirname "$0")/.."
vip=$(sed -n 's/^keepalived_vip: *//p' inventory/lab/group_vars/all.yml)
echo
echo "== Patroni (patronictl list on pg1) =="
docker exec pg1 patronictl -c /etc/patroni/config.yml list || true
echo
echo "== etcd =="
docker exec pg1 etcdctl --endpoints http://172.28.0.11:2379,http://172.28.0.12:2379,http://172.28.0.13:2379 endpoint health || true
echo
for h in ha1 ha2; do
  if docker exec "$h" ip -4 -o addr show | grep -q " $vip/"; then echo "VIP $vip is on $h"; fi
done
cat <<TXT

Connect (password: patroni_superuser_password in inventory/lab/group_vars/all.yml):
  writes: psql -h $vip -p 5000 -U postgres
  reads:  psql -h $vip -p 5001 -U postgres
  stats:  http://$vip:7000/
Tear down: make down
TXT
