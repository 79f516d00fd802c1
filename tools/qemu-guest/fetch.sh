#!/usr/bin/env bash
# Fetches what the guest run needs into $CACHE (sourced by run.sh; every step is skipped when its
# result is already there):
#  - QEMU >= 10.1 with the vfio-user client: Debian 12 ships 7.2, so qemu-system-x86 and its
#    library closure come from Debian unstable through a private apt configuration (the system's
#    sources and package state are not touched) and are unpacked, not installed, into $CACHE/qemu.
#    They run with unstable's own ld.so (qemu_cmd below).
#  - the guest: Debian 12's linux-image-amd64 (ixgbe.ko and its module dependencies),
#    busybox-static and iperf3 with its libraries, built into an initramfs with guest-init.sh as
#    /init.
set -euo pipefail

: "${CACHE:?}"
SID_MIRROR="${SID_MIRROR:-http://deb.debian.org/debian}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

sid_apt() {
  local apt="$CACHE/sid-apt"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial"
  [ -f "$apt/sources.list" ] ||
    echo "deb [signed-by=$KEYRING] $SID_MIRROR sid main" >"$apt/sources.list"
  : >>"$apt/status"
  "$@" -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=/dev/null \
    -o Dir::State::Lists="$apt/lists" -o Dir::Cache::archives="$apt/archives" \
    -o Dir::Cache="$apt" -o Dir::State::status="$apt/status" -o Debug::NoLocking=1 \
    -o APT::Architecture=amd64 -o APT::Sandbox::User=root
}

fetch_qemu() {
  local root="$CACHE/qemu"
  if [ -x "$root/usr/bin/qemu-system-x86_64" ]; then return 0; fi
  echo "fetch: qemu-system-x86 from Debian unstable ($SID_MIRROR)" >&2
  sid_apt apt-get -qq update
  # An empty package state: apt resolves the whole closure, libc included, from unstable.
  sid_apt apt-get -qq -y --download-only --no-install-recommends install qemu-system-x86 >/dev/null
  rm -rf "$root.tmp" && mkdir -p "$root.tmp"
  local deb
  for deb in "$CACHE/sid-apt/archives/"*.deb; do dpkg-deb -x "$deb" "$root.tmp"; done
  mv "$root.tmp" "$root"
}

# The sid QEMU with its own loader and libraries, firmware from the unpacked seabios/qemu data.
qemu_cmd() {
  local root="$CACHE/qemu"
  QEMU_MODULE_DIR="$root/usr/lib/x86_64-linux-gnu/qemu" \
    "$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" \
    "$root/usr/bin/qemu-system-x86_64" -L "$root/usr/share/seabios" -L "$root/usr/share/qemu" "$@"
}

# Downloads a bookworm package by name into $CACHE/debs (the system apt, bookworm sources).
bookworm_deb() {
  mkdir -p "$CACHE/debs"
  local found
  found=$(ls "$CACHE/debs/$1"_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$found" ]; then
    (cd "$CACHE/debs" && apt-get -qq -o APT::Sandbox::User=root download "$1" >/dev/null)
    found=$(ls "$CACHE/debs/$1"_*.deb | head -1)
  fi
  echo "$found"
}

fetch_guest() {
  local kdir="$CACHE/kernel"
  if [ ! -f "$kdir/vmlinuz" ]; then
    echo "fetch: linux-image-amd64 and busybox-static (Debian 12)" >&2
    local meta image
    meta=$(bookworm_deb linux-image-amd64)
    # The metapackage names the versioned image package it depends on.
    image=$(dpkg-deb -f "$meta" Depends | grep -o 'linux-image-[0-9][^ ,]*' | head -1)
    rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
    dpkg-deb -x "$(bookworm_deb "$image")" "$kdir.tmp/root"
    cp "$kdir.tmp/root"/boot/vmlinuz-* "$kdir.tmp/vmlinuz"
    ls "$kdir.tmp/root/lib/modules" >"$kdir.tmp/release"
    local m f
    mkdir -p "$kdir.tmp/modules"
    # ixgbe's dependencies in load order (modinfo depends: dca, xfrm_algo, libphy, mdio_devres, mdio).
    for m in dca xfrm_algo libphy mdio_devres mdio ixgbe; do
      f=$(find "$kdir.tmp/root/lib/modules" -name "$m.ko" | head -1)
      [ -n "$f" ] || { echo "fetch: $m.ko is not in $image" >&2; exit 1; }
      cp "$f" "$kdir.tmp/modules/"
    done
    rm -rf "$kdir.tmp/root"
    mkdir -p "$CACHE/busybox"
    dpkg-deb -x "$(bookworm_deb busybox-static)" "$CACHE/busybox"
    rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
  fi
}

# iperf3 and ethtool for the guest (stage 3) with their libraries, unpacked from Debian 12 packages.
fetch_iperf3() {
  local root="$CACHE/iperf3"
  if [ -x "$root/usr/bin/iperf3" ] && [ -x "$root/sbin/ethtool" ]; then return 0; fi
  echo "fetch: iperf3 and its libraries (Debian 12)" >&2
  rm -rf "$root.tmp" && mkdir -p "$root.tmp"
  local p
  for p in iperf3 libiperf0 libsctp1 libssl3 libc6 ethtool libmnl0; do dpkg-deb -x "$(bookworm_deb "$p")" "$root.tmp"; done
  rm -rf "$root" && mv "$root.tmp" "$root"
}

# The initramfs: busybox, the modules, /init. Rebuilt every run (cheap) so guest-init.sh edits apply.
build_initramfs() {
  local here="$1" dir="$CACHE/initramfs"
  rm -rf "$dir" && mkdir -p "$dir"/{bin,sbin,proc,sys,dev,tmp,lib/modules,etc,usr/bin,usr/sbin}
  cp "$CACHE/busybox/bin/busybox" "$dir/bin/busybox"
  cp "$CACHE/kernel/modules/"*.ko "$dir/lib/modules/"
  if [ -x "$CACHE/iperf3/usr/bin/iperf3" ]; then
    mkdir -p "$dir/lib/x86_64-linux-gnu" "$dir/lib64"
    cp "$CACHE/iperf3/usr/bin/iperf3" "$dir/usr/bin/"
    cp "$CACHE/iperf3/sbin/ethtool" "$dir/usr/sbin/"
    cp -L "$CACHE/iperf3/usr/lib/x86_64-linux-gnu/"{libiperf.so.0,libcrypto.so.3,libsctp.so.1} \
      "$CACHE/iperf3/usr/lib/x86_64-linux-gnu/libmnl.so.0" \
      "$CACHE/iperf3/lib/x86_64-linux-gnu/"{libc.so.6,libm.so.6} "$dir/lib/x86_64-linux-gnu/"
    cp -L "$CACHE/iperf3/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$dir/lib64/"
  fi
  cp "$here/guest-init.sh" "$dir/init"
  chmod +x "$dir/init"
  (cd "$dir" && find . | "$CACHE/busybox/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) \
    >"$CACHE/initramfs.cpio.gz"
}
