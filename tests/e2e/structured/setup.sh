#!/usr/bin/env bash
# Installs the pinned ajv packages (package-lock.json) into this folder's node_modules for the
# structured-output e2e test; does nothing when they are already there.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
