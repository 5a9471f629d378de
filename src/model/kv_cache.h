// Keys and values of every layer for a fixed number of sequences (slots), each with room for
// n_ctx positions, allocated once up front. Rows are stored in a type from the tensor type
// table (F32 now; any type with from_float/to_float can follow without touching the forward pass,
// which only sees float rows through keys()/values()).
#pragma once
#include <cstdint>
#include <vector>

#include "model/hparams.h"
#include "tensor/type_traits.h"

namespace airlock::model {

class KvCache {
 public:
  // Throws airlock::Error if the type cannot be stored or the size overflows.
  KvCache(const Hparams& hp, int64_t n_ctx, int n_seq, TensorType type = TensorType::F32);

  int64_t n_ctx() const { return n_ctx_; }
  int n_seq() const { return n_seq_; }
  size_t bytes() const { return k_.size() + v_.size(); }

  // Writes one position's K row (n_embd_k floats) and V row (n_embd_v floats).
  void store(int64_t layer, int seq, int64_t pos, const float* k, const float* v);
  // Rows [0, n) of a sequence's keys / values as floats, one row per position. For F32 storage
  // these point into the cache; otherwise they are converted into `scratch`.
  const float* keys(int64_t layer, int seq, int64_t n, std::vector<float>& scratch) const;
  const float* values(int64_t layer, int seq, int64_t n, std::vector<float>& scratch) const;

  int64_t n_embd_k() const { return n_embd_k_; }
  int64_t n_embd_v() const { return n_embd_v_; }

 private:
  size_t offset(size_t row_bytes, int64_t layer, int seq, int64_t pos) const;
  const float* rows_as_float(const std::vector<uint8_t>& buf, size_t row_bytes, int64_t width,
                             int64_t layer, int seq, int64_t n, std::vector<float>& scratch) const;

  TensorType type_;
  int64_t n_layer_, n_ctx_;
  int n_seq_;
  int64_t n_embd_k_, n_embd_v_;
  size_t k_row_bytes_, v_row_bytes_;
  std::vector<uint8_t> k_, v_;  // [layer][seq][pos] rows
};

}  // namespace airlock::model
