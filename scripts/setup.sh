#!/usr/bin/env bash
# Set-up on a fresh Debian 12 machine (root, Node >= 20.19): system packages, pnpm, install, build.
set -euo pipefail
cd "$(dirname "$0")/.."

# wireguard-go: the userspace backend; wireguard-tools: `wg` for interop tests;
# iproute2 / iputils-ping: links, namespaces and the ping fallback; g++/cmake: the netlink
# addon; qemu/busybox/cpio/xz: the real-kernel VM suite; gtest/clang: C++ tests and fuzzing;
# the aarch64 toolchain and qemu-user: the linux-arm64 prebuild and its load test; zsh and
# fish: the completion scripts are driven in each shell; systemd: systemd-analyze verifies the unit.
packages=(wireguard-go wireguard-tools iproute2 iputils-ping g++ make cmake
  qemu-system-x86 busybox-static cpio xz-utils libgtest-dev clang-14 libfuzzer-14-dev libclang-rt-14-dev
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user-static zsh fish systemd)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export TURBO_TELEMETRY_DISABLED=1
# The VM suite boots an installed Debian kernel that has the WireGuard module.
if ! ls /lib/modules/*/kernel/drivers/net/wireguard/wireguard.ko* >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get install -y -qq --no-install-recommends linux-image-amd64 >/dev/null
fi

# promtool checks the output of `lanrage metrics`, and a real Prometheus scrapes `lanrage
# exporter` in the namespace tests: both taken out of Debian's prometheus package (extracted,
# not installed: no service is set up; the tests start their own server in a namespace).
if [ ! -x .tools/promtool ] || [ ! -x .tools/prometheus ]; then
  rm -rf .tools/deb && mkdir -p .tools/deb
  (cd .tools/deb && apt-get download prometheus >/dev/null) || { apt-get update -qq && (cd .tools/deb && apt-get download prometheus >/dev/null); }
  dpkg-deb -x .tools/deb/prometheus_*.deb .tools/deb/root
  cp .tools/deb/root/usr/bin/promtool .tools/deb/root/usr/bin/prometheus .tools/
  rm -rf .tools/deb
fi

PNPM=(npx --yes pnpm@10.34.9)
"${PNPM[@]}" install --frozen-lockfile --reporter=append-only
"${PNPM[@]}" run build
chmod +x packages/cli/dist/bin.js
