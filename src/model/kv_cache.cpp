#include "model/kv_cache.h"

#include <cstring>
#include <limits>
#include <string>

#include "airlock/error.h"

namespace airlock::model {
namespace {

size_t checked_row_bytes(TensorType t, int64_t width) {
  const TypeTraits& tr = type_traits(t);
  if (t != TensorType::F32 && (!tr.to_float || !tr.from_float))
    throw Error(std::string("KV cache: type ") + tr.name + " cannot be stored");
  auto b = row_bytes(t, width);
  if (!b) throw Error("KV cache: row of " + std::to_string(width) + " is not a whole number of " + tr.name + " blocks");
  return *b;
}

size_t checked_total(size_t row_bytes, int64_t n_layer, int64_t n_seq, int64_t n_ctx) {
  const double total = static_cast<double>(row_bytes) * static_cast<double>(n_layer) *
                       static_cast<double>(n_seq) * static_cast<double>(n_ctx);
  if (total > static_cast<double>(std::numeric_limits<size_t>::max() / 4))
    throw Error("KV cache: size overflows (n_ctx " + std::to_string(n_ctx) + ")");
  return row_bytes * static_cast<size_t>(n_layer * n_seq * n_ctx);
}

}  // namespace

KvCache::KvCache(const Hparams& hp, int64_t n_ctx, int n_seq, TensorType type)
    : type_(type), n_layer_(hp.n_layer), n_ctx_(n_ctx), n_seq_(n_seq),
      n_embd_k_(hp.n_embd_k()), n_embd_v_(hp.n_embd_v()) {
  if (n_ctx < 1) throw Error("KV cache: n_ctx must be at least 1");
  if (n_seq < 1) throw Error("KV cache: at least one sequence needed");
  k_row_bytes_ = checked_row_bytes(type, n_embd_k_);
  v_row_bytes_ = checked_row_bytes(type, n_embd_v_);
  const size_t kb = checked_total(k_row_bytes_, n_layer_, n_seq, n_ctx);
  const size_t vb = checked_total(v_row_bytes_, n_layer_, n_seq, n_ctx);
  k_ = PageBuffer(kb);
  v_ = PageBuffer(vb);
}

size_t KvCache::offset(size_t row_bytes, int64_t layer, int seq, int64_t pos) const {
  return static_cast<size_t>((layer * n_seq_ + seq) * n_ctx_ + pos) * row_bytes;
}

void KvCache::store(int64_t layer, int seq, int64_t pos, const float* k, const float* v) {
  if (type_ == TensorType::F32) {
    std::memcpy(k_.data() + offset(k_row_bytes_, layer, seq, pos), k, k_row_bytes_);
    std::memcpy(v_.data() + offset(v_row_bytes_, layer, seq, pos), v, v_row_bytes_);
    return;
  }
  const FromFloatFn from = type_traits(type_).from_float;
  from(k, k_.data() + offset(k_row_bytes_, layer, seq, pos), n_embd_k_);
  from(v, v_.data() + offset(v_row_bytes_, layer, seq, pos), n_embd_v_);
}

void KvCache::load_k(int64_t layer, int seq, int64_t pos, float* k) const {
  type_traits(type_).to_float(k_row(layer, seq, pos), k, n_embd_k_);
}

void KvCache::store_k(int64_t layer, int seq, int64_t pos, const float* k) {
  type_traits(type_).from_float(k, k_.data() + offset(k_row_bytes_, layer, seq, pos), n_embd_k_);
}

void KvCache::move_rows(int64_t layer, int seq, int64_t from, int64_t to, int64_t n) {
  std::memmove(k_.data() + offset(k_row_bytes_, layer, seq, to), k_row(layer, seq, from),
               static_cast<size_t>(n) * k_row_bytes_);
  std::memmove(v_.data() + offset(v_row_bytes_, layer, seq, to), v_row(layer, seq, from),
               static_cast<size_t>(n) * v_row_bytes_);
}

void KvCache::copy_rows(int64_t layer, int src, int dst, int64_t from, int64_t n) {
  std::memcpy(k_.data() + offset(k_row_bytes_, layer, dst, from), k_row(layer, src, from),
              static_cast<size_t>(n) * k_row_bytes_);
  std::memcpy(v_.data() + offset(v_row_bytes_, layer, dst, from), v_row(layer, src, from),
              static_cast<size_t>(n) * v_row_bytes_);
}

}  // namespace airlock::model
