#include "model/weights.h"

#include <cstring>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "airlock/error.h"
#include "tensor/repack.h"
#include "tensor/repack_weights.h"
#include "tensor/thread_pool.h"

namespace airlock::model {
namespace {

bool computable(TensorType t) { return t == TensorType::F32 || type_traits(t).to_float != nullptr; }

std::string shape_str(const gguf::TensorInfo& t) {
  std::string s = "[";
  for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
  return s + "]";
}

class Loader {
 public:
  explicit Loader(const gguf::File& f) : f_(f) {}

  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    throw Error(f_.path().string() + ": tensor " + name + ": " + what);
  }

  const gguf::TensorInfo* find(const std::string& name, bool required) const {
    const gguf::TensorInfo* t = f_.tensor(name);
    if (!t && required) fail(name, "missing");
    if (t && !computable(t->type))
      fail(name, std::string("type ") + type_name(t->type) + " is not supported");
    return t;
  }

  // A rows x cols matrix (GGUF ne = {cols, rows}).
  WeightView matrix(const std::string& name, int64_t cols, int64_t rows, bool required = true) const {
    const gguf::TensorInfo* t = find(name, required);
    if (!t) return {};
    if (t->n_dims != 2 || t->ne[0] != cols || t->ne[1] != rows)
      fail(name, "shape " + shape_str(*t) + ", expected [" + std::to_string(cols) + ", " +
                     std::to_string(rows) + "]");
    auto stride = row_bytes(t->type, cols);
    if (!stride) fail(name, "row of " + std::to_string(cols) + " is not a whole number of blocks");
    if (*stride * static_cast<uint64_t>(rows) > t->nbytes) fail(name, "data shorter than its shape");
    return WeightView{t->type, t->data, rows, cols, *stride};
  }

  Vec vec(const std::string& name, int64_t n, bool required = true) const {
    const gguf::TensorInfo* t = find(name, required);
    if (!t) return {};
    if (t->n_elements() != n)
      fail(name, "shape " + shape_str(*t) + ", expected " + std::to_string(n) + " elements");
    auto bytes = row_bytes(t->type, n);
    if (!bytes || *bytes > t->nbytes) fail(name, "data shorter than its shape");
    Vec out(static_cast<size_t>(n));
    row_to_float(WeightView{t->type, t->data, 1, n, *bytes}, 0, out.data());
    return out;
  }

 private:
  const gguf::File& f_;
};

// Rows [first, first + n) of a matrix as its own view.
WeightView slice_rows(const WeightView& w, int64_t first, int64_t n) {
  WeightView s = w;
  s.data = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(first) * w.row_stride;
  s.rows = n;
  return s;
}

Vec slice(const Vec& v, int64_t first, int64_t n) {
  if (v.empty()) return {};
  return Vec(v.begin() + first, v.begin() + first + n);
}

LayerWeights load_layer(const Loader& L, const Hparams& hp, int64_t il) {
  const ArchTraits& a = *hp.arch;
  const std::string p = "blk." + std::to_string(il) + ".";
  const int64_t E = hp.n_embd, Q = hp.n_embd_q(), K = hp.n_embd_k(), V = hp.n_embd_v();
  const int64_t attn_out = hp.head_dim_v * hp.n_head;
  LayerWeights lw;

  const bool layer_norm = a.norm == NormKind::Layer;
  if (a.placement == NormPlacement::Pre) {
    lw.attn_norm = L.vec(p + "attn_norm.weight", E);
    lw.ffn_norm = L.vec(p + "ffn_norm.weight", E);
    if (layer_norm) {
      lw.attn_norm_b = L.vec(p + "attn_norm.bias", E);
      lw.ffn_norm_b = L.vec(p + "ffn_norm.bias", E);
    }
  } else {
    lw.attn_norm = L.vec(p + "attn_output_norm.weight", E);
    lw.ffn_norm = L.vec(p + "layer_output_norm.weight", E);
    if (layer_norm) {
      lw.attn_norm_b = L.vec(p + "attn_output_norm.bias", E);
      lw.ffn_norm_b = L.vec(p + "layer_output_norm.bias", E);
    }
  }
  if (a.post_sublayer_norms) {
    lw.attn_post_norm = L.vec(p + "post_attention_norm.weight", E);
    lw.ffn_post_norm = L.vec(p + "post_ffw_norm.weight", E);
  }
  if (a.qk_norm) {
    lw.q_norm = L.vec(p + "attn_q_norm.weight", hp.head_dim_k);
    lw.k_norm = L.vec(p + "attn_k_norm.weight", hp.head_dim_k);
  }

  if (a.fused_qkv) {
    const WeightView qkv = L.matrix(p + "attn_qkv.weight", E, Q + K + V);
    lw.wq = slice_rows(qkv, 0, Q);
    lw.wk = slice_rows(qkv, Q, K);
    lw.wv = slice_rows(qkv, Q + K, V);
    const Vec b = L.vec(p + "attn_qkv.bias", Q + K + V, a.qkv_bias);
    lw.bq = slice(b, 0, Q);
    lw.bk = slice(b, Q, K);
    lw.bv = slice(b, Q + K, V);
  } else {
    lw.wq = L.matrix(p + "attn_q.weight", E, Q);
    lw.wk = L.matrix(p + "attn_k.weight", E, K);
    lw.wv = L.matrix(p + "attn_v.weight", E, V);
    // Optional everywhere (some Llama-family files carry them), required where the table says.
    lw.bq = L.vec(p + "attn_q.bias", Q, a.qkv_bias);
    lw.bk = L.vec(p + "attn_k.bias", K, a.qkv_bias);
    lw.bv = L.vec(p + "attn_v.bias", V, a.qkv_bias);
  }
  lw.wo = L.matrix(p + "attn_output.weight", attn_out, E);
  lw.bo = L.vec(p + "attn_output.bias", E, a.output_biases);

  const int64_t F = hp.n_ff;
  if (a.fused_gate_up) {
    const WeightView up = L.matrix(p + "ffn_up.weight", E, 2 * F);
    lw.ffn_gate = slice_rows(up, 0, F);
    lw.ffn_up = slice_rows(up, F, F);
  } else {
    if (a.act != Activation::Gelu) lw.ffn_gate = L.matrix(p + "ffn_gate.weight", E, F);
    lw.ffn_up = L.matrix(p + "ffn_up.weight", E, F);
  }
  lw.ffn_down = L.matrix(p + "ffn_down.weight", F, E);
  lw.ffn_up_b = L.vec(p + "ffn_up.bias", F, a.output_biases);
  lw.ffn_down_b = L.vec(p + "ffn_down.bias", E, a.output_biases);
  return lw;
}

// The matrices matmul multiplies with; token_embd is only looked up row by row.
std::vector<WeightView*> matmul_views(Weights& w) {
  std::vector<WeightView*> v;
  for (LayerWeights& L : w.layers)
    for (WeightView* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down}) v.push_back(m);
  v.push_back(&w.output);
  return v;
}

// Once a matrix is packed, its whole groups are only read from the packed copy: drop those file
// pages from this process so the model is not resident twice (the mapping is a read-only file
// mapping, so they stay in the page cache and fault back in if a lowered CPU path reads them).
// token_embd keeps its pages: rows are looked up from it even when the tied output is packed.
void release_packed_originals(Weights& w) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (const WeightView* v : matmul_views(w)) {
    if (!v->packed || v->data == w.token_embd.data) continue;
    const auto begin = reinterpret_cast<uintptr_t>(v->data);
    const uintptr_t end = begin + static_cast<uintptr_t>(v->rows / kRepackRows * kRepackRows) * v->row_stride;
    const uintptr_t b = (begin + page - 1) / page * page, e = end / page * page;
    if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
  }
}

void pack(Weights& w) {
  if (!repack_enabled()) return;
  // A pool of its own: loading happens before (and apart from) any context's pool.
  ThreadPool pool;
  w.packed = pack_weights(matmul_views(w), active_cpu_path(), &pool);
  release_packed_originals(w);
}

}  // namespace

void row_to_float(const WeightView& w, int64_t row, float* out) {
  const auto* src = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(row) * w.row_stride;
  const ToFloatFn fn = type_traits(w.type).to_float;
  if (fn)
    fn(src, out, w.cols);
  else if (w.type == TensorType::F32)
    std::memcpy(out, src, static_cast<size_t>(w.cols) * sizeof(float));
  else
    throw Error(std::string("no conversion to float for type ") + type_name(w.type));
}

Weights load_weights(const gguf::File& f, const Hparams& hp) {
  const ArchTraits& a = *hp.arch;
  const Loader L(f);
  const int64_t E = hp.n_embd;
  Weights w;
  w.token_embd = L.matrix("token_embd.weight", E, hp.n_vocab);
  if (a.position_embeddings)
    w.position_embd = L.matrix("position_embd.weight", E, hp.n_ctx_train);
  if (a.token_types) {
    const gguf::TensorInfo* tt = L.find("token_types.weight", true);
    if (tt->n_dims != 2 || tt->ne[0] != E || tt->ne[1] < 1)
      L.fail("token_types.weight", "shape " + shape_str(*tt) + ", expected [" + std::to_string(E) + ", n]");
    w.token_type0 = L.vec("token_types.weight", E * tt->ne[1]);
    w.token_type0.resize(static_cast<size_t>(E));
  }
  if (a.embd_norm) {
    w.embd_norm = L.vec("token_embd_norm.weight", E);
    w.embd_norm_b = L.vec("token_embd_norm.bias", E);
  }
  w.layers.reserve(static_cast<size_t>(hp.n_layer));
  for (int64_t il = 0; il < hp.n_layer; ++il) w.layers.push_back(load_layer(L, hp, il));

  if (a.causal) {
    w.output_norm = L.vec("output_norm.weight", E);
    if (a.norm == NormKind::Layer) w.output_norm_b = L.vec("output_norm.bias", E);
    w.output = L.matrix("output.weight", E, hp.n_vocab, false);
    if (!w.output.data) w.output = w.token_embd;  // tied embeddings
  }
  // Phi-3's long-context variants scale rope per frequency with two tables chosen by context
  // length; running them without would be silently wrong, so they are refused.
  if (f.tensor("rope_factors_long.weight") || f.tensor("rope_factors_short.weight"))
    L.fail("rope_factors_long.weight", "LongRoPE scaling is not supported yet");
  if (hp.n_rot > 0) w.rope_freq_factors = L.vec("rope_freqs.weight", hp.n_rot / 2, false);
  if (w.rope_freq_factors.empty() && hp.rope_scaling == RopeScaling::Llama3)
    w.rope_freq_factors = llama3_rope_factors(hp);
  pack(w);
  return w;
}

}  // namespace airlock::model
