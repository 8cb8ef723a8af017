#!/usr/bin/env bash
# mypy (strict) over libs/ and every service's src/: each src folder is a package root.
set -euo pipefail
cd "$(dirname "$0")/.."
roots=$(find libs cli router_service ai_service collectors interactions core_services \
          -maxdepth 3 -type d -name src 2>/dev/null | sort)
MYPYPATH=$(echo "$roots" | paste -sd:)
export MYPYPATH
packages=()
for root in $roots; do
  for pkg in "$root"/*/; do
    [ -f "$pkg/__init__.py" ] && packages+=(-p "$(basename "$pkg")")
  done
done
exec mypy "${packages[@]}"
