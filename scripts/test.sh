#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite:
#   0. the committed web UI bundle (web/dist) matches a fresh build of web/ (where npm exists);
#   1. release build, every ctest label (unit, integration, slow, e2e);
#   2. the installed package: public headers, examples/ built against it and run
#      (scripts/check_package.sh);
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build, unit tests;
#   4. each libFuzzer target for a bounded time (FUZZ_SECONDS, default 40) over its seed corpus.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
# 40 s per target keeps the whole run under 30 minutes on CI's 2 cores as targets are added.
FUZZ_SECONDS=${FUZZ_SECONDS:-40}

# Without the fixtures about ninety tests skip and the run still looks green: in CI that is an
# error, not a pass.
FIXTURES=${AIRLOCK_FIXTURES:-$PWD/../shared/fixtures}
if [[ "${CI:-}" == true ]]; then
  for sub in models vocab templates; do
    if [[ ! -d "$FIXTURES/$sub" ]]; then
      echo "test.sh: CI=true but the fixtures are missing ($FIXTURES/$sub); set AIRLOCK_FIXTURES" >&2
      exit 1
    fi
  done
fi

bash scripts/setup.sh

if command -v npm >/dev/null; then
  echo "== web UI bundle matches its sources"
  bash scripts/check_web_bundle.sh
fi

echo "== release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
(cd build && ctest -j "$JOBS" --output-on-failure)

echo "== installed package and examples"
bash scripts/check_package.sh build

echo "== ASan/UBSan build, unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAIRLOCK_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest -j "$JOBS" -L unit -LE slow --output-on-failure)

if [[ -f tests/fuzz/CMakeLists.txt && "$FUZZ_SECONDS" != 0 ]]; then
  echo "== fuzzing, ${FUZZ_SECONDS}s per target"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
        -DCMAKE_CXX_COMPILER=clang++ -DAIRLOCK_FUZZ=ON -DAIRLOCK_TESTS=ON >/dev/null
  cmake --build build-fuzz -j "$JOBS" --target airlock_fuzzers
  for fuzzer in build-fuzz/tests/fuzz/fuzz_*; do
    [[ -x "$fuzzer" ]] || continue
    name=$(basename "$fuzzer")
    corpus=$(mktemp -d)
    cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
    echo "-- $name"
    "$fuzzer" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      "$corpus" 2>&1 | tail -n 12
    rm -rf "$corpus"
  done
fi
echo "== all tests passed"
