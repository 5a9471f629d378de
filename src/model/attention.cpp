#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/cpu_path.h"
#include "tensor/vec_ops.h"

namespace airlock::model {

const float* BlockAttention::block_as_float(const uint8_t* first_row, size_t row_bytes, int64_t row_width,
                                            int64_t slice_offset, int64_t slice_width, int64_t n_rows,
                                            std::vector<float>& out) {
  const TypeTraits& tr = type_traits(kv_type_);
  out.resize(static_cast<size_t>(kBlock * slice_width));
  // A slice that starts and ends on block boundaries converts alone; otherwise the whole row does.
  const bool slice_alone = slice_offset % tr.block_size == 0 && slice_width % tr.block_size == 0;
  if (!slice_alone) row_.resize(static_cast<size_t>(row_width));
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = first_row + static_cast<size_t>(r) * row_bytes;
    float* dst = out.data() + r * slice_width;
    if (slice_alone) {
      to_float_(row + static_cast<size_t>(slice_offset / tr.block_size) * tr.type_size, dst, slice_width);
    } else {
      to_float_(row, row_.data(), row_width);
      std::copy_n(row_.data() + slice_offset, slice_width, dst);
    }
  }
  return out.data();
}

void BlockAttention::run(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, const AttentionShape& shape,
                         std::span<const AttentionQuery> queries) {
  const int64_t dk = shape.head_dim_k, dv = shape.head_dim_v;
  kv_type_ = kv.type();
  const TypeTraits& tr = type_traits(kv_type_);
  const CpuPath path = active_cpu_path();
  to_float_ = to_float_kernel(tr, path);
  const ExpShiftedSumFn exp_shifted_sum = exp_shifted_sum_kernel(path);
  const WeightedRowsFn weighted_rows = weighted_rows_kernel(path);
  // Keys dot directly against float queries when the type's kernel takes float activations.
  const kernels::VecDotFn direct_dot =
      tr.vec_dot_type == TensorType::F32 && tr.block_size == 1 ? vec_dot_kernel(tr, path) : nullptr;
  const kernels::VecDotFn float_dot = vec_dot_kernel(type_traits(TensorType::F32), path);
  const size_t k_elem_bytes = tr.block_size == 1 ? tr.type_size : 0;

  const auto nq = queries.size();
  max_.assign(nq, -std::numeric_limits<float>::infinity());
  sum_.assign(nq, 0.0f);
  scores_.resize(static_cast<size_t>(kBlock));
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (const AttentionQuery& q : queries) {
    std::fill(q.out, q.out + dv, 0.0f);
    if (q.lo < q.hi) lo = std::min(lo, q.lo), hi = std::max(hi, q.hi);
  }

  for (int64_t b0 = lo; b0 < hi; b0 += kBlock) {
    const int64_t nb = std::min(kBlock, hi - b0);
    const float* keys = direct_dot ? nullptr
                                   : block_as_float(kv.k_row(layer, seq, b0), kv.k_row_bytes(), kv.n_embd_k(),
                                                    kv_head * dk, dk, nb, k_block_);
    // This head's slice of the block's first stored key row (direct dots only).
    const uint8_t* k_first = kv.k_row(layer, seq, b0) + static_cast<size_t>(kv_head * dk) * k_elem_bytes;
    const float* vals = block_as_float(kv.v_row(layer, seq, b0), kv.v_row_bytes(), kv.n_embd_v(), kv_head * dv, dv,
                                       nb, v_block_);
    for (size_t qi = 0; qi < nq; ++qi) {
      const AttentionQuery& q = queries[qi];
      const int64_t j0 = std::max(q.lo, b0) - b0, j1 = std::min(q.hi, b0 + nb) - b0;
      if (j0 >= j1) continue;
      float block_max = -std::numeric_limits<float>::infinity();
      for (int64_t j = j0; j < j1; ++j) {
        const float dot = direct_dot ? direct_dot(dk, k_first + static_cast<size_t>(j) * kv.k_row_bytes(), q.q)
                                     : float_dot(dk, keys + j * dk, q.q);
        float s = dot * shape.scale;
        if (shape.softcap > 0) s = shape.softcap * std::tanh(s / shape.softcap);
        scores_[static_cast<size_t>(j)] = s;
        block_max = std::max(block_max, s);
      }
      // Rescale what was accumulated under the old maximum, then add this block.
      const float new_max = std::max(max_[qi], block_max);
      const float rescale = std::exp(max_[qi] - new_max);
      if (rescale != 1.0f)
        for (int64_t d = 0; d < dv; ++d) q.out[d] *= rescale;
      float* p = scores_.data();
      const float sum = sum_[qi] * rescale + exp_shifted_sum(j1 - j0, p + j0, new_max);
      weighted_rows(dv, j1 - j0, p + j0, vals + j0 * dv, dv, q.out);
      max_[qi] = new_max;
      sum_[qi] = sum;
    }
  }
  for (size_t qi = 0; qi < nq; ++qi) {
    if (sum_[qi] <= 0) continue;
    const float inv = 1.0f / sum_[qi];
    for (int64_t d = 0; d < dv; ++d) queries[qi].out[d] *= inv;
  }
}

}  // namespace airlock::model
