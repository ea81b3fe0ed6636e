#!/usr/bin/env bash
# Set-up on a fresh Debian 12 machine (root, Node >= 20.19): system packages, pnpm, install, build.
set -euo pipefail
cd "$(dirname "$0")/.."

# wireguard-go: the userspace backend; wireguard-tools: `wg` for interop tests;
# iproute2 / iputils-ping: links, namespaces and the ping fallback.
packages=(wireguard-go wireguard-tools iproute2 iputils-ping)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export TURBO_TELEMETRY_DISABLED=1
PNPM=(npx --yes pnpm@10.34.9)
"${PNPM[@]}" install --frozen-lockfile --reporter=append-only
"${PNPM[@]}" run build
chmod +x packages/cli/dist/bin.js
