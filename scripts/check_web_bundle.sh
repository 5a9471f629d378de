#!/usr/bin/env bash
# Rebuilds the web UI from web/ with the pinned npm packages (web/package-lock.json) and checks that
# the committed bundle web/dist/*.gz, which CMake embeds in airlock, is exactly that build. Compares
# unpacked contents, since gzip's bytes may differ between zlib versions. Exits 1 on a mismatch.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
npx --no-install vite build --logLevel error --outDir "$fresh" --emptyOutDir

status=0
committed=$(cd dist && find . -type f -name '*.gz' | sed 's/\.gz$//' | sort)
built=$(cd "$fresh" && find . -type f | sort)
if [[ "$committed" != "$built" ]]; then
  echo "check_web_bundle: web/dist holds other files than a fresh build:" >&2
  diff <(echo "$committed") <(echo "$built") >&2 || true
  status=1
fi
for f in $built; do
  if [[ -f "dist/$f.gz" ]] && ! cmp -s <(gzip -dc "dist/$f.gz") "$fresh/$f"; then
    echo "check_web_bundle: web/dist/$f.gz differs from a fresh build" >&2
    status=1
  fi
done
if ((status)); then
  echo "check_web_bundle: run 'npm run build' in web/ and commit web/dist" >&2
else
  echo "check_web_bundle: web/dist matches a fresh build ($(cat dist/*.gz dist/assets/*.gz | wc -c) bytes gzipped)"
fi
exit $status
