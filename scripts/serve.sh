#!/usr/bin/env bash
# Builds airlock (release) and runs the HTTP server: scripts/serve.sh [airlock serve flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target airlock
exec build/airlock serve "$@"
