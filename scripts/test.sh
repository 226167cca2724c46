#!/usr/bin/env bash
# The README's test command: installs what the tests need, builds, lints, type-checks, builds the API
# docs (typedoc fails on an undocumented export), checks the packed packages (publint, attw, installed
# sizes), installs them into an empty project outside the repository (install-test.mjs) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --real-components
# The repository stands on its own: nothing may read the workspace folder beside it (a clone has none).
if git grep -nE '\.\./(\.\./)*shared' -- ':!*.md' ':!pnpm-lock.yaml' 2>/dev/null; then
  echo "test: the lines above read outside the repository; copy what they need into it" >&2
  exit 1
fi
pnpm lint
pnpm typecheck
pnpm run docs --logLevel Warn # typedoc.json: a warning fails the build
node scripts/check-packages.mjs
node scripts/install-test.mjs
node scripts/run-tests.mjs
