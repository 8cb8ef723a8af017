#!/usr/bin/env bash
# Debian's Chromium for the browser tests (overlays, portal e2e). Never a downloaded
# browser: Playwright drives /usr/bin/chromium through `executable_path`.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing: install Debian's package (apt-get install chromium); browser tests will skip" >&2
  exit 1
fi
echo "installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium: $(chromium --version 2>/dev/null | head -n 1)"
