#!/usr/bin/env bash
# The README's test command: installs what the tests need, builds, lints, type-checks and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --real-components
pnpm lint
pnpm typecheck
node scripts/run-tests.mjs
