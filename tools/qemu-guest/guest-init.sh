#!/bin/busybox sh
# /init of the guest initramfs: loads Linux's ixgbe driver against the vfio-user device, reports
# what the kernel made of it on the serial console (lines starting "QG:" are read by run.sh),
# optionally brings the link up and pings the host side, then powers off.
# Kernel command line: qg.ip=ADDR/LEN (guest address) qg.peer=ADDR (to ping); both optional.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
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
    if ping -c 3 -W 2 "$PEER" | sed 's/^/QG: ping: /'; then :; fi
    ping -c 1 -W 2 "$PEER" >/dev/null && echo "QG: RESULT ping=ok" || echo "QG: RESULT ping=fail"
  fi
  grep -e CPU -e ixgbe -e "$dev" /proc/interrupts | sed 's/^/QG: irq: /'
  dmesg | grep -i ixgbe | tail -n 5 | sed 's/^/QG: dmesg-late: /'
fi
echo "QG: done"
poweroff -f
