#!/usr/bin/env bash
# Installs what the toolkit needs on a fresh Debian machine with Node 20 and npm:
# pnpm (via npm, if absent), the workspace dependencies, and - with --real-components, when root -
# the Debian packages that tests start for real. Then builds every package.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 10 with npm"
  npm install -g pnpm@10 >/dev/null
fi

if [ "${1:-}" = "--real-components" ]; then
  mapfile -t wanted < <(grep -v '^#' scripts/apt-packages.txt | sed '/^$/d')
  missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: apt-get install ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "setup: not root; tests that need these Debian packages will be skipped (failed in CI): ${missing[*]}"
    fi
  fi
fi

pnpm install --frozen-lockfile
pnpm build
