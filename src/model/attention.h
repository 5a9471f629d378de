// Tiled attention over the KV cache without materialising a score matrix: keys are visited in
// blocks of kBlock with an online softmax (running max and sum per query, flash-attention style).
// Each block's keys are transposed once and scored against all queries that share them (the query
// heads of one KV head, the tokens of one sequence) as a small matrix product, and its value rows
// are summed into those queries' outputs the same way (tensor/attention_tile.h). F16 and F32 keys
// and values are read in place; other types (Q8_0) are converted block by block. Memory is O(block x queries).
//
// Split-K: run_part covers one slice of the keys and leaves its outputs unnormalised with their
// softmax state; merge_parts combines the slices, so one long decode can use every thread.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "model/kv_cache.h"
#include "tensor/attention_tile.h"

namespace airlock::model {

// One query head of one token: attends to keys [lo, hi) of its sequence.
struct AttentionQuery {
  const float* q;  // head_dim_k floats
  float* out;      // head_dim_v floats, overwritten
  int64_t lo, hi;
};

struct AttentionShape {
  int64_t head_dim_k, head_dim_v;
  float scale;    // applied to q.k
  float softcap;  // > 0: scores become softcap * tanh(score / softcap)
};

// Online-softmax state of one query over the keys a part has seen: its output then holds
// sum_j exp(s_j - max) v_j, and sum = sum_j exp(s_j - max). A part with none of the query's keys
// leaves max = -inf, sum = 0 and a zero output.
struct SoftmaxState {
  float max, sum;
};

// out = the softmax-weighted values of all parts: sum_p exp(max_p - M) out_p / sum_p exp(max_p - M) sum_p,
// M the largest max_p; zeros when no part saw a key.
void merge_parts(std::span<const float* const> part_outs, std::span<const SoftmaxState> states, int64_t dv,
                 float* out);

// Scratch for one thread; reused across calls.
class BlockAttention {
 public:
  static constexpr int64_t kBlock = kAttnBlock;

  // Runs the queries against KV head `kv_head` of sequence `seq` in layer `layer`. Queries with an
  // empty range get zeros.
  void run(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, const AttentionShape& shape,
           std::span<const AttentionQuery> queries);
  // The same over keys [from, to) of each query's range only, outputs unnormalised; states[i]
  // gets query i's softmax state.
  void run_part(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, const AttentionShape& shape,
                std::span<const AttentionQuery> queries, int64_t from, int64_t to, std::span<SoftmaxState> states);

 private:
  // Float copies of a block's key / value head slices (n_rows rows of slice_width).
  const float* block_as_float(const uint8_t* first_row, size_t row_bytes, int64_t row_width, int64_t slice_offset,
                              int64_t slice_width, int64_t n_rows, std::vector<float>& out);
  // The block's keys of this head, transposed into kt_.
  void transpose_keys(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, int64_t dk, int64_t b0,
                      int64_t nb);
  // Adds the block's value rows of this head, weighted by scores_, to the active queries' outputs.
  void accumulate_values(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, int64_t dv, int64_t b0,
                         int64_t nb);

  TensorType kv_type_ = TensorType::F32;
  ToFloatFn to_float_ = nullptr;  // the KV type's row conversion for the active CPU path
  TransposeKeysFn transpose_ = nullptr;
  TransposeKeysF16Fn transpose_f16_ = nullptr;
  AccumulateTileFn accumulate_ = nullptr;
  AccumulateTileF16Fn accumulate_f16_ = nullptr;
  std::vector<float> kt_, k_block_, v_block_, row_, scores_;
  std::vector<SoftmaxState> states_;
  std::vector<size_t> active_;                // queries with keys in the current block
  std::vector<const float*> active_q_;
  std::vector<float*> active_out_;
};

}  // namespace airlock::model
