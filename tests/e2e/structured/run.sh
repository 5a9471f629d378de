#!/usr/bin/env bash
# Generates 550 constrained outputs with the real engine (the C++ generation test) and has ajv
# validate every one. usage: run.sh PATH_TO_test_structured_generation
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
outputs="$(mktemp)"
trap 'rm -f "$outputs"' EXIT
AIRLOCK_STRUCTURED_OUTPUTS="$outputs" "$1" --gtest_filter='StructuredGeneration.*'
node "$here/validate.mjs" "$here/schemas.jsonl" "$outputs"
