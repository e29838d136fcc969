#!/usr/bin/env bash
# System packages the tests use: Debian's chromium (headless rendering of the HTML reports).
# Installed with apt when missing and we are root; otherwise say what to install.
set -euo pipefail
if command -v chromium > /dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get > /dev/null 2>&1; then
  echo "==> installing chromium (headless report tests)"
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
else
  echo "NOTICE: chromium is not installed; the report rendering tests will be skipped." \
       "Install Debian's 'chromium' package to run them." >&2
fi
