#!/bin/bash
# Embedding throughput, airlock against the reference engines on the same GGUF files, in
# interleaved rounds (a shared machine's load drifts): bench_embed (ingestion's LocalEmbedder,
# 2 workers) and llama-bench -embd 1 -t 2 of llama.cpp and ik_llama.cpp, at 256 and 400 tokens.
#
#   bench/rag/embed_compare.sh FILE.gguf...      (from the repository root, after building bench_embed)
#
# CHUNKS (default 16): chunks per airlock run. ANCHORS (default /work/shared/anchors) holds llama.cpp-c392e50 and ik_llama.cpp-8337e4c. Prints
# one line per file, size and round: tokens/s, and CPU seconds per chunk (llama-bench: its process's
# CPU time over its warm-up run and 3 timed runs, so it includes loading).
set -u
ANCHORS=${ANCHORS:-/work/shared/anchors}
BENCH=${BENCH:-build/bench/rag/bench_embed}
reference() {  # engine-dir model tokens
  local out tps cpu
  out=$( { LD_LIBRARY_PATH=$1 /usr/bin/time -f "CPU %U %S" "$1/llama-bench" -m "$2" -embd 1 -p "$3" -n 0 -t 2 -r 3; } 2>&1 )
  tps=$(echo "$out" | grep "pp$3 " | awk -F'|' '{print $(NF-1)}' | xargs)
  cpu=$(echo "$out" | grep "^CPU" | awk '{printf "%.3f", ($2 + $3) / 4}')
  echo "$tps tok/s, $cpu cpu-s/chunk"
}
for model in "$@"; do
  for tokens in 256 400; do
    for round in 1 2; do
      ours=$("$BENCH" "$model" --tokens "$tokens" --chunks "${CHUNKS:-16}" --reps 3 --threads 2 | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%.0f tok/s (%.2f chunks/s), %.3f cpu-s/chunk" % (d["mean_chunks_per_second"] * d["tokens_per_chunk"],
      d["mean_chunks_per_second"], d["cpu_seconds_per_chunk"]))')
      echo "$(basename "$model") tokens=$tokens round=$round | airlock: $ours" \
           "| llama.cpp: $(reference "$ANCHORS/llama.cpp-c392e50" "$model" "$tokens")" \
           "| ik_llama.cpp: $(reference "$ANCHORS/ik_llama.cpp-8337e4c" "$model" "$tokens")" \
           "| load $(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
