#!/usr/bin/env bash
# Installs what building and testing airlock needs from Debian 12's packages. Idempotent: installs
# only what is missing. Works as root, or through sudo where it exists.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev            # libFuzzer and sanitizer runtimes
  nlohmann-json3-dev libssl-dev libpcre2-dev libsqlite3-dev libarchive-dev
  libseccomp-dev                      # airlock serve --lockdown (seccomp egress filter)
  libsodium-dev                       # encrypted bundles (secretstream, sealed boxes)
  libcpp-httplib-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libxml2-dev libpoppler-cpp-dev      # document parsing for src/rag
  libhnswlib-dev                      # header-only HNSW graph for large collections (src/rag)
  nodejs npm curl                     # end-to-end tests with the official npm SDKs
  chromium                            # web UI end-to-end tests (driven by playwright-core)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian (e.g. a newer NodeSource build): accept any working one.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
