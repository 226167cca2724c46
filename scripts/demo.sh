#!/usr/bin/env bash
# The README's main-job command: installs and builds the toolkit, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm demo "$@"
