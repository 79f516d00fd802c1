#!/usr/bin/env bash
# Prepares the host for the tests (root): 2 MiB hugepages, one or two 1 GiB pages when the kernel
# can find the memory, a hugetlbfs mount at /mnt/huge, and /dev/net/tun. Idempotent.
set -uo pipefail
want_2m=${HUGEPAGES_2M:-1024}
want_1g=${HUGEPAGES_1G:-2}
pool() { echo "/sys/kernel/mm/hugepages/hugepages-$1kB/nr_hugepages"; }

if [ "$(id -u)" != 0 ]; then echo "setup-host.sh must run as root"; exit 1; fi
p2=$(pool 2048)
[ -w "$p2" ] || { echo "no 2 MiB hugepage pool ($p2): kernel without CONFIG_HUGETLBFS?"; exit 1; }
if [ "$(cat "$p2")" -lt "$want_2m" ]; then echo "$want_2m" >"$p2"; fi
echo "2 MiB pages: $(cat "$p2") (free $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages))"
p1=$(pool 1048576)
if [ -w "$p1" ]; then
  if [ "$(cat "$p1")" -lt "$want_1g" ]; then
    sync; echo 3 >/proc/sys/vm/drop_caches; echo 1 >/proc/sys/vm/compact_memory 2>/dev/null || true
    echo "$want_1g" >"$p1" 2>/dev/null || true
  fi
  echo "1 GiB pages: $(cat "$p1") (the kernel gave what it could find; tests report when it is 0)"
else
  echo "1 GiB pages: this kernel has no 1 GiB pool"
fi
mkdir -p /mnt/huge
mountpoint -q /mnt/huge || mount -t hugetlbfs -o pagesize=2M nodev /mnt/huge || { echo "mount hugetlbfs failed"; exit 1; }
if [ ! -c /dev/net/tun ]; then
  modprobe tun 2>/dev/null || true
  mkdir -p /dev/net && { [ -c /dev/net/tun ] || mknod /dev/net/tun c 10 200; }
fi
exit 0
