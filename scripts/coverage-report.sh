#!/usr/bin/env bash
# Line coverage per package from the last `make test` (.coverage): one line per src folder,
# then the whole. Run after `coverage run -m pytest` (the Makefile's test target does both).
set -euo pipefail
cd "$(dirname "$0")/.."
# The test run and the servers it started in subprocesses each wrote a data file.
if compgen -G ".coverage.*" >/dev/null; then python -m coverage combine -q; fi
[ -f .coverage ] || { echo "no .coverage: run make test first" >&2; exit 1; }
dirs=()
for d in libs cli router_service ai_service collectors interactions core_services; do
  [ -d "$d" ] && dirs+=("$d")
done
printf '%-28s %s\n' "package" "line coverage"
for root in $(find "${dirs[@]}" -maxdepth 3 -type d -name src | sort); do
  pkg=${root%/src}
  total=$(python -m coverage report --include="$root/*" --format=total 2>/dev/null || true)
  [[ $total =~ ^[0-9] ]] && total="$total%" || total="not run"
  printf '%-28s %s\n' "$pkg" "$total"
done
printf '%-28s %s%%\n' "all" "$(python -m coverage report --format=total)"
