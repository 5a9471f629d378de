#!/usr/bin/env bash
# Installs the pinned ollama and openai client packages (package-lock.json) into tests/e2e/node_modules
# for the end-to-end tests; does nothing when they are already there.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
