#!/usr/bin/env bash
# Boots a Linux guest under QEMU (>= 10.1, vfio-user client) with one ixgbe-sim port as its NIC
# (-device vfio-user-pci) and checks, stage by stage, what Linux's own ixgbe driver does with it:
#   fetch  QEMU from Debian unstable, kernel + busybox from Debian 12, into the cache
#   probe  ixgbe binds, no EEPROM/firmware errors, the netdev carries the model's MAC
#   link   (with --ping) link up at 10000 Mb/s
#   ping   (with --ping) guest 198.18.0.2 pings 198.18.0.1 on the model's tap wire, whose TAP
#          lives in a network namespace made (and removed) by this script
#   host-ping (with --ping) 198.18.0.1 in that namespace pings the guest back
#   iperf  (with --iperf, implies --ping) iperf3 TCP, guest to host and host to guest, with
#          Linux's default offloads (checksums, TSO); ethtool -S in the guest
# and lists the strict model's violations (ctl violations) as Linux drove it.
# Usage: tools/qemu-guest/run.sh [--ping | --iperf]   (as root)
# Env: DATAPLANE_QEMU_CACHE (default ~/.cache/dataplane-qemu), SID_MIRROR, QG_TIMEOUT (s, 180),
#      QG_ACCEL (tcg or kvm; default tcg).
# Not part of `bun run test`: it downloads ~120 MB once and boots a VM.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${DATAPLANE_QEMU_CACHE:-$HOME/.cache/dataplane-qemu}"
TIMEOUT="${QG_TIMEOUT:-180}"
# KVM where it boots the guest; on this nested-virtualisation machine a KVM guest hangs right
# after the kernel decompresses, so the default is TCG (the guest boots in ~5 s either way).
ACCEL="${QG_ACCEL:-tcg}"
CPU=""
[ "$ACCEL" = kvm ] && CPU="-cpu host"
PING=0
IPERF=0
for a in "$@"; do
  case "$a" in
  --ping) PING=1 ;;
  --iperf) PING=1 IPERF=1 ;;
  -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "run.sh: unknown argument '$a'; use --ping, --iperf or --help" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (KVM, network namespaces, TAP); run it as root" >&2; exit 2; }
[ "$ACCEL" != kvm ] || [ -c /dev/kvm ] || { echo "run.sh: /dev/kvm is missing; use QG_ACCEL=tcg" >&2; exit 2; }

mkdir -p "$CACHE"
# shellcheck source=fetch.sh
source "$HERE/fetch.sh"

pass() { echo "PASS $1${2:+: $2}"; }
fail() { echo "FAIL $1${2:+: $2}"; FAILED=1; }
FAILED=0

fetch_qemu
fetch_guest
[ "$IPERF" = 1 ] && fetch_iperf3
build_initramfs "$HERE"
QEMU_VERSION=$(qemu_cmd --version | head -1)
qemu_cmd -device help 2>/dev/null | grep -q '"vfio-user-pci"' ||
  { echo "run.sh: $QEMU_VERSION has no vfio-user-pci device" >&2; exit 1; }
pass fetch "$QEMU_VERSION; guest kernel $(cat "$CACHE/kernel/release")"

RUN=$(mktemp -d /tmp/dataplane-qemu.XXXXXX)
NS=dpqg$$
TAP=dpqgt0
MAC=02:00:00:82:59:90
SIM_PID=""
PEEK_PID=""
HOSTPING_PID=""
IPERF_PID=""
cleanup() {
  for p in $PEEK_PID $HOSTPING_PID $IPERF_PID; do kill "$p" 2>/dev/null || true; done
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT

# The model: one port, strict (the default). With --ping its wire is a TAP inside $NS.
SIM=(bun "$REPO/packages/ixgbe-sim/src/cli.ts" --ports 1 --socket-dir "$RUN/sock" --mac "$MAC")
if [ "$PING" = 1 ]; then
  ip netns add "$NS"
  ip netns exec "$NS" "${SIM[@]}" --wire "tap:$TAP" >"$RUN/sim.out" 2>"$RUN/sim.log" &
else
  "${SIM[@]}" --wire sink >"$RUN/sim.out" 2>"$RUN/sim.log" &
fi
SIM_PID=$!
for _ in $(seq 100); do grep -q '"ready":true' "$RUN/sim.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"ready":true' "$RUN/sim.out" || { cat "$RUN/sim.log" >&2; echo "run.sh: ixgbe-sim did not start" >&2; exit 1; }
if [ "$PING" = 1 ]; then
  ip -n "$NS" addr add 198.18.0.1/24 dev "$TAP"
  ip -n "$NS" link set "$TAP" up
  ip -n "$NS" link set lo up
fi
if [ "$IPERF" = 1 ]; then
  command -v iperf3 >/dev/null || { echo "run.sh: --iperf needs iperf3 on the host (apt-get install iperf3)" >&2; exit 2; }
  ip netns exec "$NS" iperf3 -s -B 198.18.0.1 >"$RUN/iperf-server.log" 2>&1 &
  IPERF_PID=$!
fi

# While the guest runs, sample the registers a stuck queue shows (CTRL, LINKS, DMATXCTL, GPIE,
# EICR, EIMS, TX/RX queue 0 and 1) every 2 s into last-peek.log: after the guest powers off the
# port is reset and they are gone.
PEEK=(bun "$REPO/packages/ixgbe-sim/src/cli.ts" ctl --socket-dir "$RUN/sock" --json 0 peek
  0x00000 0x042a4 0x04a80 0x00898 0x00800 0x00880 0x03000
  0x06000 0x06008 0x06010 0x06018 0x06028 0x06040 0x06048 0x06050 0x06058 0x06068
  0x01000 0x01008 0x01010 0x01018 0x01028 0x01040 0x01048 0x01050 0x01058 0x01068)
(
  while kill -0 "$SIM_PID" 2>/dev/null; do
    if [ "$PING" = 1 ]; then ip netns exec "$NS" "${PEEK[@]}"; else "${PEEK[@]}"; fi >"$RUN/peek.new" 2>&1 &&
      { echo "# $(date +%T)"; cat "$RUN/peek.new"; } >>"$RUN/peek.log"
    sleep 2
  done
) &
PEEK_PID=$!

# Host -> guest ping: once the guest says it waits for it, ping it from the namespace.
if [ "$PING" = 1 ]; then
  (
    for _ in $(seq "$((TIMEOUT * 10))"); do
      grep -q 'QG: waiting for host ping' "$RUN/console.log" 2>/dev/null && break
      sleep 0.1
    done
    ip netns exec "$NS" ping -c 3 -W 2 198.18.0.2 >"$RUN/hostping.log" 2>&1
    echo "rc=$?" >>"$RUN/hostping.log"
  ) &
  HOSTPING_PID=$!
fi

APPEND="console=ttyS0 panic=-1 loglevel=4"
[ "$PING" = 1 ] && APPEND="$APPEND qg.ip=198.18.0.2/24 qg.peer=198.18.0.1"
[ "$IPERF" = 1 ] && APPEND="$APPEND qg.iperf=1"
# Guest RAM is a sealed memfd shared with the device process (vfio-user DMA_MAP passes its fd).
timeout "$TIMEOUT" bash -c "$(declare -f qemu_cmd); CACHE='$CACHE'; qemu_cmd \
  -machine q35,accel=$ACCEL,memory-backend=mem $CPU -smp 2 -m 512M \
  -object memory-backend-memfd,id=mem,size=512M,share=on \
  -nodefaults -nographic -no-reboot -serial stdio \
  -kernel '$CACHE/kernel/vmlinuz' -initrd '$CACHE/initramfs.cpio.gz' -append '$APPEND' \
  -device '{\"driver\":\"vfio-user-pci\",\"socket\":{\"type\":\"unix\",\"path\":\"$RUN/sock/p0.sock\"}}'" \
  >"$RUN/console.log" 2>&1 || echo "run.sh: qemu exited $? (see console below)" >&2
kill "$PEEK_PID" 2>/dev/null || true
cp "$RUN/peek.log" "$CACHE/last-peek.log" 2>/dev/null || true
LOG="$CACHE/last-console.log"
cp "$RUN/console.log" "$LOG"
grep '^QG:' "$LOG" || { tail -n 40 "$LOG"; }

if grep -q 'QG: RESULT probe=ok' "$LOG"; then
  if grep -qi -e 'EEPROM checksum' -e 'failed to load' -e 'probe of .* failed' "$LOG"; then
    fail probe "ixgbe bound but logged an EEPROM/load error"
  elif grep -q "QG: RESULT probe=ok .* mac=$MAC" "$LOG"; then
    pass probe "$(grep -o 'dev=[^ ]* mac=[^ ]*' "$LOG" | head -1)"
  else
    fail probe "netdev MAC is not the model's $MAC"
  fi
else
  fail probe "no ixgbe netdev (see $LOG)"
fi
if [ "$PING" = 1 ]; then
  if grep -q 'QG: RESULT link=up speed=10000' "$LOG"; then pass link "up, 10000 Mb/s"; else fail link "$(grep -o 'RESULT link=.*' "$LOG" || echo 'no link line')"; fi
  if grep -q 'QG: RESULT ping=ok' "$LOG"; then pass ping "198.18.0.2 -> 198.18.0.1 over the tap wire, 3 of 3"; else fail ping; fi
  # The guest asked for the host's ping: let it finish; it never asked: stop waiting for that.
  grep -q 'QG: waiting for host ping' "$LOG" || kill "$HOSTPING_PID" 2>/dev/null || true
  wait "$HOSTPING_PID" 2>/dev/null || true
  sed 's/^/host ping: /' "$RUN/hostping.log" 2>/dev/null | grep -e 'packets' -e 'rc=' || true
  if grep -q '^rc=0$' "$RUN/hostping.log" 2>/dev/null && grep -q ' 3 received' "$RUN/hostping.log"; then
    pass host-ping "198.18.0.1 -> 198.18.0.2, 3 of 3"
  else
    fail host-ping "$(grep -o 'RESULT host-ping.*' "$LOG" || echo 'the guest never waited for it')"
  fi
fi

if [ "$IPERF" = 1 ]; then
  for dir in send receive; do
    line=$(grep -o "RESULT iperf-$dir=.*" "$LOG" || echo "no result")
    case "$line" in
    *"=ok"*) pass "iperf-$dir" "${line#*=ok }" ;;
    *) fail "iperf-$dir" "$line" ;;
    esac
  done
fi

echo "--- strict model violations (ctl violations)"
CTL=(bun "$REPO/packages/ixgbe-sim/src/cli.ts" ctl --socket-dir "$RUN/sock" violations)
if [ "$PING" = 1 ]; then ip netns exec "$NS" "${CTL[@]}" || true; else "${CTL[@]}" || true; fi
echo "--- model statistics (ctl stats) in $CACHE/last-stats.json"
STATS=(bun "$REPO/packages/ixgbe-sim/src/cli.ts" ctl --socket-dir "$RUN/sock" stats --json)
if [ "$PING" = 1 ]; then ip netns exec "$NS" "${STATS[@]}"; else "${STATS[@]}"; fi >"$CACHE/last-stats.json" 2>&1 || true
if [ "$IPERF" = 1 ]; then
  # The guest's hardware counters (ethtool -S, read last thing before power-off) against the
  # model's own count of frames sent and delivered.
  guest_tx=$(grep -o 'ethtool-S: tx_pkts_nic: [0-9]*' "$LOG" | grep -o '[0-9]*$' || echo none)
  guest_rx=$(grep -o 'ethtool-S: rx_pkts_nic: [0-9]*' "$LOG" | grep -o '[0-9]*$' || echo none)
  read -r model_tx model_rx < <(bun -e '
    const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).ports[0].model;
    console.log(p.tx.frames, p.rx.delivered);' "$CACHE/last-stats.json" 2>/dev/null || echo "none none")
  if [ "$guest_tx" = "$model_tx" ] && [ "$guest_rx" = "$model_rx" ]; then
    pass ethtool-S "tx_pkts_nic $guest_tx and rx_pkts_nic $guest_rx equal the model's frames sent and delivered"
  else
    fail ethtool-S "guest tx_pkts_nic $guest_tx rx_pkts_nic $guest_rx, model sent $model_tx delivered $model_rx"
  fi
fi
cp "$RUN/sim.log" "$CACHE/last-sim.log"
echo "console: $LOG  model log: $CACHE/last-sim.log"
exit "$FAILED"
