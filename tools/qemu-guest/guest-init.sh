#!/bin/busybox sh
# /init of the guest initramfs: loads Linux's ixgbe driver against the vfio-user device, reports
# what the kernel made of it on the serial console (lines starting "QG:" are read by run.sh),
# optionally brings the link up, pings the host side and answers the host's pings, then powers
# off.
# Kernel command line: qg.ip=ADDR/LEN (guest address) qg.peer=ADDR (to ping); both optional;
# qg.iperf=1 also runs iperf3 against an iperf3 server at qg.peer, both directions.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
# Echo replies this kernel has sent (the OutEchoReps column of the Icmp lines of /proc/net/snmp).
icmp_out_echo_reps() {
  awk '/^Icmp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "OutEchoReps") c = i; n = 1 } else print $c }' /proc/net/snmp
}
IP=$(arg qg.ip)
PEER=$(arg qg.peer)

echo "QG: guest up, kernel $(uname -r)"
for m in dca xfrm_algo libphy mdio_devres mdio ixgbe; do
  insmod "/lib/modules/$m.ko" || echo "QG: insmod $m failed"
done

# The driver registers the netdev at the end of probe; give it up to 10 s.
dev=""
i=0
while [ $i -lt 100 ]; do
  for d in /sys/class/net/*; do
    [ "$(readlink "$d/device/driver" 2>/dev/null | sed 's#.*/##')" = ixgbe ] && dev=${d##*/}
  done
  [ -n "$dev" ] && break
  sleep 0.1
  i=$((i + 1))
done
dmesg | grep -i -e ixgbe -e vfio -e 'DMAR' -e 'EEPROM' | sed 's/^/QG: dmesg: /'
if [ -z "$dev" ]; then
  echo "QG: RESULT probe=fail"
  poweroff -f
fi
echo "QG: RESULT probe=ok dev=$dev mac=$(cat /sys/class/net/$dev/address)"
ip link show "$dev" | sed 's/^/QG: ip: /'
echo "QG: msi_irqs $(ls /sys/class/net/$dev/device/msi_irqs 2>/dev/null | wc -l)"

if [ -n "$IP" ]; then
  ip addr add "$IP" dev "$dev"
  ip link set "$dev" up
  i=0
  while [ $i -lt 100 ] && [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" != 1 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  echo "QG: RESULT link=$(cat /sys/class/net/$dev/operstate) speed=$(cat /sys/class/net/$dev/speed 2>/dev/null)"
  if [ -n "$PEER" ]; then
    # Guest -> host: all three echo requests must be answered.
    ping -c 3 -W 2 "$PEER" >/tmp/ping.out 2>&1
    sed 's/^/QG: ping: /' /tmp/ping.out
    grep -q ' 3 packets received' /tmp/ping.out && echo "QG: RESULT ping=ok" || echo "QG: RESULT ping=fail"
    # Host -> guest: run.sh pings this address once it reads the next line; wait (up to 30 s)
    # until the kernel has answered three echo requests.
    echo "QG: waiting for host ping"
    i=0
    while [ $i -lt 300 ] && [ "$(icmp_out_echo_reps)" -lt 3 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    echo "QG: RESULT host-ping answered=$(icmp_out_echo_reps)"
  fi
  if [ "$(arg qg.iperf)" = 1 ] && [ -n "$PEER" ]; then
    # Stage 3: TCP with the driver's default offloads, guest -> host, then host -> guest.
    command -v ethtool >/dev/null && ethtool -k "$dev" |
      grep -e '^tx-checksumming' -e '^tcp-segmentation-offload' -e '^rx-vlan-offload' \
        -e '^ntuple' -e '^receive-hashing' | sed 's/^/QG: offload: /'
    for dir in send receive; do
      flag=""
      [ "$dir" = receive ] && flag=-R
      timeout 60 iperf3 -c "$PEER" -t 3 $flag >/tmp/iperf.out 2>&1
      rc=$?
      sed 's/^/QG: iperf3: /' /tmp/iperf.out | grep -e 'sender' -e 'receiver' -e 'error' || true
      rate=$(grep 'receiver' /tmp/iperf.out | grep -o '[0-9.]* [KMG]bits/sec' | tail -1)
      if [ $rc = 0 ] && [ -n "$rate" ]; then
        echo "QG: RESULT iperf-$dir=ok rate=$rate"
      else
        echo "QG: RESULT iperf-$dir=fail rc=$rc"
      fi
    done
    command -v ethtool >/dev/null && ethtool -S "$dev" |
      grep -e 'tx_pkts_nic' -e 'rx_pkts_nic' -e 'tx_packets:' -e 'rx_packets:' -e 'rx_csum_offload_errors' |
      sed 's/^ */QG: ethtool-S: /'
  fi
  grep -e CPU -e ixgbe -e "$dev" /proc/interrupts | sed 's/^/QG: irq: /'
  dmesg | grep -i ixgbe | tail -n 5 | sed 's/^/QG: dmesg-late: /'
fi
echo "QG: done"
poweroff -f
