#!/usr/bin/env bash
# mypy (strict) over libs/ and every service's src/: each src folder is a package root.
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=()
for d in libs cli router_service ai_service collectors interactions core_services; do
  [ -d "$d" ] && dirs+=("$d")
done
roots=$(find "${dirs[@]}" -maxdepth 3 -type d -name src | sort)
MYPYPATH=$(echo "$roots" | paste -sd:)
export MYPYPATH
packages=()
for root in $roots; do
  for pkg in "$root"/*/; do
    [ -f "$pkg/__init__.py" ] && packages+=(-p "$(basename "$pkg")")
  done
done
exec mypy "${packages[@]}"
