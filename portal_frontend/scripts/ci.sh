#!/usr/bin/env bash
# CI's front-end step (after `make test`): the drift gate (OpenAPI -> types, git diff, tsc),
# the feature-boundary check, Vitest, then the Playwright suite against a real `waddlebot run`.
# Prints each suite's totals as one plain line `N passed, N failed`. .ci/run bounds it with
# `timeout 300`; the e2e run has its own budget inside that.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== frontend: npm ci"
  npm ci --no-audit --no-fund --loglevel=error || exit 1
fi
echo "== frontend: drift gate (regenerate openapi.json and schema.d.ts, git diff --exit-code, tsc --noEmit)"
bash scripts/gen-api.sh --check || status=1
echo "== frontend: feature boundaries"
node scripts/check-feature-imports.mjs || status=1
echo "== frontend: vitest"
report=$(mktemp)
npx --no-install vitest run --reporter=dot --reporter=json --outputFile.json="$report" || status=1
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log("vitest totals:");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || { echo "0 passed, 1 failed"; status=1; }
rm -f "$report"
echo "== frontend: playwright (Debian Chromium) against waddlebot run"
[ -f dist/index.html ] || npx --no-install vite build --logLevel warn || status=1
E2E_DEADLINE_MS=${E2E_DEADLINE_MS:-170000} node e2e/run.mjs || status=1
exit $status
