#!/usr/bin/env bash
# The installed package as a user gets it: installs BUILD_DIR (default build) to a temporary
# prefix, compiles each public header alone against it, builds examples/ against it with CMake
# (static libairlock) and chat.cpp with pkg-config (shared libairlock), and runs them on the
# stories260K fixture model. Called by scripts/test.sh after the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=${JOBS:-$(nproc)}
FIXTURES=${AIRLOCK_FIXTURES:-$PWD/../shared/fixtures}
MODEL=$FIXTURES/models/stories260K.gguf

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$BUILD" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name libairlock.a)")
readelf -d "$libdir/libairlock.so" | grep -q 'SONAME.*libairlock\.so\.' \
  || { echo "check_package: libairlock.so has no SONAME" >&2; exit 1; }

echo "-- public headers, each alone"
cmake -S tests/package -B "$tmp/headers" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/headers" -j "$JOBS" >/dev/null

echo "-- examples with find_package(airlock)"
cmake -S examples -B "$tmp/examples" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$tmp/examples" -j "$JOBS" >/dev/null

echo "-- chat.cpp with pkg-config, shared library"
# shellcheck disable=SC2046  # pkg-config prints several flags
c++ -std=c++20 -Wall -Wextra -Werror examples/chat/chat.cpp \
  $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs airlock) \
  -Wl,-rpath,"$libdir" -o "$tmp/chat_shared"

if [[ ! -f "$MODEL" ]]; then
  echo "check_package: $MODEL missing; examples built, not run"
  exit 0
fi
echo "-- running the examples on $(basename "$MODEL")"
for chat in "$tmp/examples/chat/chat" "$tmp/chat_shared"; do
  "$chat" "$MODEL" --once "Tell me a story." >"$tmp/chat.txt"
  if ! grep -q '[^[:space:]]' "$tmp/chat.txt"; then
    echo "check_package: $chat answered nothing" >&2
    exit 1
  fi
done
"$tmp/examples/extract_json/extract_json" "$MODEL" examples/extract_json/person.schema.json \
  "Lily is seven years old and likes the park." >"$tmp/person.json"
cat "$tmp/person.json"
# Well-formed JSON with the schema's required fields and types.
if command -v jq >/dev/null; then
  jq -e '(.name | type == "string") and (.age | type == "number")' "$tmp/person.json" >/dev/null
else
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
assert isinstance(d["name"], str) and isinstance(d["age"], int)' "$tmp/person.json"
fi
echo "-- installed package OK"
