#!/usr/bin/env bash
# The README's test command: installs what the tests need, builds, lints, type-checks, builds the API
# docs (typedoc fails on an undocumented export), checks the packed packages (publint, attw, installed
# sizes), installs them into an empty project outside the repository (install-test.mjs) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --real-components
pnpm lint
pnpm typecheck
pnpm run docs --logLevel Error
node scripts/check-packages.mjs
node scripts/install-test.mjs
node scripts/run-tests.mjs
