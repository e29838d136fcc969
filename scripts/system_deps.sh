#!/usr/bin/env bash
# System packages the tests use: Debian's chromium, the headless browser of the report tests
# (tests/browser drive it over the DevTools protocol; tests/e2e render the KPI report with it).
# Installed with apt when missing and we are root; otherwise say what to install. Under CI
# (CI=true) a browser that cannot be installed fails the run, as the browser tests would.
set -euo pipefail
if command -v chromium > /dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get > /dev/null 2>&1; then
  echo "==> installing chromium (headless browser for the report tests, about a minute)"
  if apt-get update -qq > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; then
    echo "    $(chromium --version 2> /dev/null || echo chromium) installed"
    exit 0
  fi
  echo "ERROR: apt-get could not install chromium" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
echo "NOTICE: chromium is not installed; the browser and report rendering tests will be skipped." \
     "Install Debian's 'chromium' package to run them." >&2
if [ "${CI:-}" = "true" ]; then exit 1; fi
