#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/cpu_path.h"
#include "tensor/prefetch.h"
#include "tensor/vec_ops.h"

namespace airlock::model {

namespace {

constexpr float kNoKeys = -std::numeric_limits<float>::infinity();

// One head's slices of the K and V rows of positions [b0, b0 + n): rows are a whole KV row
// (every head) apart, so the hardware prefetcher, which stays within a page, falls behind.
void prefetch_block(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, const AttentionShape& shape,
                    int64_t b0, int64_t n) {
  const TypeTraits& tr = type_traits(kv.type());
  const auto bytes_of = [&](int64_t elems) { return static_cast<size_t>(elems / tr.block_size) * tr.type_size; };
  const uint8_t* k = kv.k_row(layer, seq, b0) + bytes_of(kv_head * shape.head_dim_k);
  const uint8_t* v = kv.v_row(layer, seq, b0) + bytes_of(kv_head * shape.head_dim_v);
  for (int64_t r = 0; r < n; ++r) {
    prefetch_lines<PrefetchTo::L1>(k + static_cast<size_t>(r) * kv.k_row_bytes(), bytes_of(shape.head_dim_k));
    prefetch_lines<PrefetchTo::L1>(v + static_cast<size_t>(r) * kv.v_row_bytes(), bytes_of(shape.head_dim_v));
  }
}

}  // namespace

void merge_parts(std::span<const float* const> part_outs, std::span<const SoftmaxState> states, int64_t dv,
                 float* out) {
  float m = kNoKeys;
  for (const SoftmaxState& s : states) m = std::max(m, s.max);
  std::fill(out, out + dv, 0.0f);
  if (m == kNoKeys) return;
  float sum = 0;
  for (size_t p = 0; p < states.size(); ++p) {
    if (states[p].sum <= 0) continue;
    const float w = std::exp(states[p].max - m);
    sum += w * states[p].sum;
    for (int64_t d = 0; d < dv; ++d) out[d] += w * part_outs[p][d];
  }
  const float inv = 1.0f / sum;
  for (int64_t d = 0; d < dv; ++d) out[d] *= inv;
}

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

void BlockAttention::transpose_keys(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, int64_t dk,
                                    int64_t b0, int64_t nb) {
  kt_.resize(static_cast<size_t>(dk * kBlock));
  const uint8_t* first = kv.k_row(layer, seq, b0);
  switch (kv.type()) {
    case TensorType::F16:
      transpose_f16_(nb, dk, reinterpret_cast<const uint16_t*>(first) + kv_head * dk,
                     static_cast<int64_t>(kv.k_row_bytes() / 2), kt_.data());
      break;
    case TensorType::F32:
      transpose_(nb, dk, reinterpret_cast<const float*>(first) + kv_head * dk,
                 static_cast<int64_t>(kv.k_row_bytes() / 4), kt_.data());
      break;
    default:
      transpose_(nb, dk, block_as_float(first, kv.k_row_bytes(), kv.n_embd_k(), kv_head * dk, dk, nb, k_block_), dk,
                 kt_.data());
  }
}

void BlockAttention::accumulate_values(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, int64_t dv,
                                       int64_t b0, int64_t nb) {
  const uint8_t* first = kv.v_row(layer, seq, b0);
  const auto na = static_cast<int64_t>(active_out_.size());
  switch (kv.type()) {
    case TensorType::F16:
      accumulate_f16_(na, dv, nb, scores_.data(), reinterpret_cast<const uint16_t*>(first) + kv_head * dv,
                      static_cast<int64_t>(kv.v_row_bytes() / 2), active_out_.data());
      break;
    case TensorType::F32:
      accumulate_(na, dv, nb, scores_.data(), reinterpret_cast<const float*>(first) + kv_head * dv,
                  static_cast<int64_t>(kv.v_row_bytes() / 4), active_out_.data());
      break;
    default:
      accumulate_(na, dv, nb, scores_.data(),
                  block_as_float(first, kv.v_row_bytes(), kv.n_embd_v(), kv_head * dv, dv, nb, v_block_), dv,
                  active_out_.data());
  }
}

void BlockAttention::run(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, const AttentionShape& shape,
                         std::span<const AttentionQuery> queries) {
  states_.resize(queries.size());
  run_part(kv, layer, seq, kv_head, shape, queries, 0, std::numeric_limits<int64_t>::max(), states_);
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    if (states_[qi].sum <= 0) continue;
    const float inv = 1.0f / states_[qi].sum;
    for (int64_t d = 0; d < shape.head_dim_v; ++d) queries[qi].out[d] *= inv;
  }
}

void BlockAttention::run_part(const KvCache& kv, int64_t layer, int seq, int64_t kv_head, const AttentionShape& shape,
                              std::span<const AttentionQuery> queries, int64_t from, int64_t to,
                              std::span<SoftmaxState> states) {
  const int64_t dk = shape.head_dim_k, dv = shape.head_dim_v;
  const CpuPath path = active_cpu_path();
  kv_type_ = kv.type();
  to_float_ = to_float_kernel(type_traits(kv.type()), path);
  transpose_ = transpose_keys_kernel(path);
  transpose_f16_ = transpose_keys_f16_kernel(path);
  const ScoreTileFn score_tile = score_tile_kernel(path);
  accumulate_ = accumulate_tile_kernel(path);
  accumulate_f16_ = accumulate_tile_f16_kernel(path);
  const ExpShiftedSumFn exp_shifted_sum = exp_shifted_sum_kernel(path);

  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    const AttentionQuery& q = queries[qi];
    std::fill(q.out, q.out + dv, 0.0f);
    states[qi] = {kNoKeys, 0.0f};
    const int64_t qlo = std::max(q.lo, from), qhi = std::min(q.hi, to);
    if (qlo < qhi) lo = std::min(lo, qlo), hi = std::max(hi, qhi);
  }
  scores_.resize(queries.size() * static_cast<size_t>(kBlock));

  for (int64_t b0 = lo; b0 < hi; b0 += kBlock) {
    const int64_t nb = std::min(kBlock, hi - b0);
    active_.clear();
    active_q_.clear();
    active_out_.clear();
    for (size_t qi = 0; qi < queries.size(); ++qi) {
      const AttentionQuery& q = queries[qi];
      if (std::max({q.lo, from, b0}) < std::min({q.hi, to, b0 + nb})) {
        active_.push_back(qi);
        active_q_.push_back(q.q);
        active_out_.push_back(q.out);
      }
    }
    if (active_.empty()) continue;
    if (b0 + kBlock < hi) prefetch_block(kv, layer, seq, kv_head, shape, b0 + kBlock, std::min(kBlock, hi - b0 - kBlock));
    transpose_keys(kv, layer, seq, kv_head, dk, b0, nb);
    const auto na = static_cast<int64_t>(active_.size());
    score_tile(na, dk, active_q_.data(), kt_.data(), shape.scale, scores_.data());

    for (int64_t a = 0; a < na; ++a) {
      const AttentionQuery& q = queries[active_[static_cast<size_t>(a)]];
      SoftmaxState& st = states[active_[static_cast<size_t>(a)]];
      const int64_t j0 = std::max({q.lo, from, b0}) - b0, j1 = std::min({q.hi, to, b0 + nb}) - b0;
      float* s = scores_.data() + a * kBlock;
      float block_max = kNoKeys;
      for (int64_t j = j0; j < j1; ++j) {
        if (shape.softcap > 0) s[j] = shape.softcap * std::tanh(s[j] / shape.softcap);
        block_max = std::max(block_max, s[j]);
      }
      // Rescale what was accumulated under the old maximum, then add this block; keys outside
      // the query's range (the causal mask, a window, another part) get probability 0.
      const float new_max = std::max(st.max, block_max);
      const float rescale = std::exp(st.max - new_max);
      if (rescale != 1.0f)
        for (int64_t d = 0; d < dv; ++d) q.out[d] *= rescale;
      st.sum = st.sum * rescale + exp_shifted_sum(j1 - j0, s + j0, new_max);
      st.max = new_max;
      std::fill(s, s + j0, 0.0f);
      std::fill(s + j1, s + kBlock, 0.0f);
    }
    accumulate_values(kv, layer, seq, kv_head, dv, b0, nb);
  }
}

}  // namespace airlock::model
