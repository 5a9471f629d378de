// Attention over the KV cache without materialising a score matrix: keys are visited in blocks
// with an online softmax (running max and sum per query, flash-attention style), and each block of
// stored rows is read once for every query that shares it (the query heads of one KV head, the
// tokens of one sequence). Keys are dotted in their stored type where the type table has a kernel
// against float activations (F32, F16, BF16); other types (Q8_0) are converted block by block.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "model/kv_cache.h"

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

// Scratch for one thread; reused across calls.
class BlockAttention {
 public:
  static constexpr int64_t kBlock = 64;  // keys per block

  // Runs the queries against KV head `kv_head` of sequence `seq` in layer `layer`. Queries with an
  // empty range get zeros.
  void run(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, const AttentionShape& shape,
           std::span<const AttentionQuery> queries);

 private:
  // Float copies of the current block's key / value head slices (kBlock rows).
  const float* block_as_float(const uint8_t* first_row, size_t row_bytes, int64_t row_width,
                              int64_t slice_offset, int64_t slice_width, int64_t n_rows,
                              std::vector<float>& out);

  TensorType kv_type_ = TensorType::F32;
  ToFloatFn to_float_ = nullptr;  // the KV type's row conversion for the active CPU path
  std::vector<float> k_block_, v_block_, row_, scores_, max_, sum_;
};

}  // namespace airlock::model
