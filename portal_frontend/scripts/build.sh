#!/usr/bin/env bash
# `make install`'s front-end step: npm ci (from package-lock.json) + vite build into dist/,
# served at / by `waddlebot run`. Without a suitable Node it says how to get one and exits 0,
# so the Python side installs and runs anyway (the portal is then not served).
set -euo pipefail
cd "$(dirname "$0")/.."
need_major=20; need_minor=19
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "==> portal: Node.js not found, so the web portal is not built (the API and bots work without it)."
  echo "    Get Node ${need_major}.${need_minor}+ with npm: Debian/Ubuntu 'apt-get install nodejs npm' (needs ${need_major}.${need_minor}+;"
  echo "    older archives ship 18), or https://nodejs.org/en/download, or 'nvm install 20'; then run 'make install' again."
  exit 0
fi
version=$(node -p 'process.versions.node')
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
if [ "$major" -lt "$need_major" ] || { [ "$major" -eq "$need_major" ] && [ "$minor" -lt "$need_minor" ]; }; then
  echo "==> portal: Node $version is too old for Vite 8 (needs ${need_major}.${need_minor}+); the web portal is not built."
  echo "    Install Node ${need_major}.${need_minor}+ (https://nodejs.org/en/download or 'nvm install 20'), then run 'make install' again."
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> portal: npm ci (Node $version, from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "==> portal: vite build -> portal_frontend/dist (served at / by 'waddlebot run')"
npx --no-install vite build --logLevel warn
