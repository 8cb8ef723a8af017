#!/usr/bin/env bash
# Regenerate the portal's OpenAPI document and the typed client's types from it.
#   bash scripts/gen-api.sh          regenerate
#   bash scripts/gen-api.sh --check  regenerate, then fail if anything changed (the drift gate)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(cd .. && pwd)"
uv_cmd="python3 -m uv"; python3 -m uv --version >/dev/null 2>&1 || uv_cmd=uv
(cd "$root" && $uv_cmd run --no-sync python portal_frontend/scripts/dump_openapi.py -o portal_frontend/openapi.json)
npx --no-install openapi-typescript openapi.json -o src/lib/api/schema.d.ts --alphabetize >/dev/null
echo "openapi-typescript: src/lib/api/schema.d.ts"
if [ "${1:-}" = "--check" ]; then
  if ! git -C "$root" diff --exit-code -- portal_frontend/openapi.json portal_frontend/src/lib/api/schema.d.ts; then
    echo "drift: the portal API changed; run 'bash portal_frontend/scripts/gen-api.sh' and commit the result" >&2
    exit 1
  fi
  untracked=$(git -C "$root" ls-files --others --exclude-standard -- portal_frontend/openapi.json portal_frontend/src/lib/api/schema.d.ts)
  if [ -n "$untracked" ]; then echo "drift: not committed: $untracked" >&2; exit 1; fi
  npx --no-install tsc --noEmit
  echo "drift gate: openapi.json and schema.d.ts up to date, tsc --noEmit clean"
fi
