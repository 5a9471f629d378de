#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite:
#   0. the committed web UI bundle (web/dist) matches a fresh build of web/ (where npm exists);
#   1. release build, every ctest label (unit, integration, slow, e2e);
#   2. the installed package: public headers, examples/ built against it and run
#      (scripts/check_package.sh);
#   3. one clang build with AddressSanitizer + UndefinedBehaviorSanitizer: the unit tests, then
#   4. each libFuzzer target for a bounded time (FUZZ_SECONDS, default 20) over its seed corpus.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
# 20 s per target (about a dozen targets) keeps the whole run under 30 minutes on CI's 2 cores.
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# Each stage's heading says how long the run has taken so far, so a slow stage shows in CI's log.
stage() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

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
  stage "web UI bundle matches its sources"
  bash scripts/check_web_bundle.sh
fi

stage "release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
(cd build && ctest -j "$JOBS" --output-on-failure)

stage "installed package and examples"
bash scripts/check_package.sh build

# One clang build serves both sanitizer stages: every module carries AddressSanitizer, UBSan and
# libFuzzer's coverage hooks, the unit tests link with the sanitizers' runtime and the fuzzers with
# libFuzzer's, so the engine is compiled once for both.
stage "ASan/UBSan + fuzzing build"
cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DAIRLOCK_SANITIZE=ON -DAIRLOCK_FUZZ=ON >/dev/null
fuzz_target=airlock_fuzzers
[[ "$FUZZ_SECONDS" == 0 ]] && fuzz_target=
cmake --build build-san -j "$JOBS" --target airlock_unit_tests $fuzz_target

stage "ASan/UBSan unit tests"
(cd build-san && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest -j "$JOBS" -L unit -LE slow --output-on-failure)

if [[ -n "$fuzz_target" ]]; then
  stage "fuzzing, ${FUZZ_SECONDS}s per target"
  for fuzzer in build-san/tests/fuzz/fuzz_*; do
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
stage "all tests passed"
