// Keys and values of every layer for a fixed number of sequences (slots), each with room for
// n_ctx positions, allocated once up front. Rows are stored in any type of the tensor type table
// with from_float/to_float (F16 by default, as the reference engine does; Q8_0 halves that again);
// attention reads the stored rows directly (model/attention.h).
#pragma once
#include <cstdint>
#include <vector>

#include "model/hparams.h"
#include "tensor/page_buffer.h"
#include "tensor/type_traits.h"

namespace airlock::model {

class KvCache {
 public:
  // Throws airlock::Error if the type cannot be stored or the size overflows.
  KvCache(const Hparams& hp, int64_t n_ctx, int n_seq, TensorType type = TensorType::F16);

  int64_t n_ctx() const { return n_ctx_; }
  int n_seq() const { return n_seq_; }
  size_t bytes() const { return k_.size() + v_.size(); }

  // Writes one position's K row (n_embd_k floats) and V row (n_embd_v floats).
  void store(int64_t layer, int seq, int64_t pos, const float* k, const float* v);
  // One position's K row as floats (n_embd_k), and its replacement (for re-rotating keys).
  void load_k(int64_t layer, int seq, int64_t pos, float* k) const;
  void store_k(int64_t layer, int seq, int64_t pos, const float* k);
  // Moves the K and V rows of positions [from, from + n) to [to, to + n) (to < from).
  void move_rows(int64_t layer, int seq, int64_t from, int64_t to, int64_t n);
  // Copies the K and V rows of positions [from, from + n) of sequence src to the same positions of dst.
  void copy_rows(int64_t layer, int src, int dst, int64_t from, int64_t n);

  // The stored row of one position, in type(); rows of consecutive positions are k_row_bytes() /
  // v_row_bytes() apart.
  const uint8_t* k_row(int64_t layer, int seq, int64_t pos) const {
    return k_.data() + offset(k_row_bytes_, layer, seq, pos);
  }
  const uint8_t* v_row(int64_t layer, int seq, int64_t pos) const {
    return v_.data() + offset(v_row_bytes_, layer, seq, pos);
  }
  size_t k_row_bytes() const { return k_row_bytes_; }
  size_t v_row_bytes() const { return v_row_bytes_; }
  TensorType type() const { return type_; }

  int64_t n_embd_k() const { return n_embd_k_; }
  int64_t n_embd_v() const { return n_embd_v_; }

 private:
  size_t offset(size_t row_bytes, int64_t layer, int seq, int64_t pos) const;

  TensorType type_;
  int64_t n_layer_, n_ctx_;
  int n_seq_;
  int64_t n_embd_k_, n_embd_v_;
  size_t k_row_bytes_, v_row_bytes_;
  PageBuffer k_, v_;  // [layer][seq][pos] rows
};

}  // namespace airlock::model
