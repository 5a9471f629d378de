#!/usr/bin/env bash
# Installs playwright-core (pinned in package-lock.json) for the web UI tests; it drives the system's
# Chromium (Debian's chromium package, scripts/setup.sh) and downloads no browser of its own.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
