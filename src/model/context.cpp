#include "model/context.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <cmath>
#include <string>

#include "airlock/error.h"
#include "model/attention.h"
#include "model/ops.h"
#include "tensor/matmul.h"
#include "tensor/cpu_path.h"
#include "tensor/thread_pool.h"
#include "tensor/vec_ops.h"

namespace airlock::model {
namespace {

constexpr int64_t kMinParallelWork = 1 << 16;
constexpr int64_t kTokensPerTask = 32;
// Split-K: a batch with fewer attention tasks than this per worker splits their keys, into parts
// of at least this many keys (below that, the merge and the partial block costs more than it saves).
constexpr int64_t kTasksPerWorker = 4;
constexpr int64_t kMinKeysPerPart = 128;
constexpr int64_t kBlockKeys = BlockAttention::kBlock;

void add_bias(float* y, const Vec& b, int64_t n_tokens) {
  if (b.empty()) return;
  const int64_t n = static_cast<int64_t>(b.size());
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t i = 0; i < n; ++i) y[t * n + i] += b[static_cast<size_t>(i)];
}

void norm_rows(const Hparams& hp, const float* x, const Vec& w, const Vec& b, float* out,
               int64_t n_tokens) {
  const int64_t n = hp.n_embd;
  for (int64_t t = 0; t < n_tokens; ++t) {
    if (hp.arch->norm == NormKind::Rms)
      rms_norm(x + t * n, w.data(), out + t * n, n, hp.norm_eps);
    else
      layer_norm(x + t * n, w.data(), b.empty() ? nullptr : b.data(), out + t * n, n, hp.norm_eps);
  }
}

void rms_norm_rows(float* x, const Vec& w, int64_t n_rows, int64_t width, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) rms_norm(x + r * width, w.data(), x + r * width, width, eps);
}

void parallel(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool)
    pool->parallel_for(n, fn);
  else if (n > 0)
    fn(0, n);
}

}  // namespace

Context::Context(const Model& model, const ContextParams& params, ThreadPool* pool)
    : model_(model),
      hp_(model.hparams()),
      pool_(pool),
      n_batch_(params.n_batch),
      kv_(model.hparams(), std::min(params.n_ctx, model.hparams().n_ctx_train), params.n_seq, params.kv_type) {
  if (n_batch_ < 1) throw Error("n_batch must be at least 1");
  seq_len_.assign(static_cast<size_t>(params.n_seq), 0);
  batch_seq_len_ = seq_len_;
  const auto B = static_cast<size_t>(n_batch_);
  const auto E = static_cast<size_t>(hp_.n_embd);
  const auto F = static_cast<size_t>(hp_.n_ff);
  x_.resize(B * E);
  cur_.resize(B * E);
  tmp_.resize(B * E);
  q_.resize(B * static_cast<size_t>(hp_.n_embd_q()));
  k_.resize(B * static_cast<size_t>(hp_.n_embd_k()));
  v_.resize(B * static_cast<size_t>(hp_.n_embd_v()));
  att_.resize(B * static_cast<size_t>(hp_.head_dim_v * hp_.n_head));
  gate_.resize(B * F);
  up_.resize(B * F);
  rope_.resize(B * static_cast<size_t>(std::max<int64_t>(hp_.n_rot, 2)));
  workers_.resize(static_cast<size_t>(pool_ ? std::max(pool_->size(), 1) : 1));
}

int64_t Context::output_width() const { return hp_.arch->causal ? hp_.n_vocab : hp_.n_embd; }

void Context::truncate(int seq, int64_t from) {
  auto& len = seq_len_.at(static_cast<size_t>(seq));
  len = std::min(len, std::max<int64_t>(from, 0));
}

void Context::copy_prefix(int src, int dst, int64_t from, int64_t to) {
  if (src < 0 || src >= kv_.n_seq() || dst < 0 || dst >= kv_.n_seq() || src == dst)
    throw Error("copy prefix: sequence ids " + std::to_string(src) + " -> " + std::to_string(dst) + " out of range");
  if (!hp_.arch->causal) throw Error("copy prefix: " + std::string(hp_.arch->name) + " is not causal");
  if (from < 0 || from > to || from != seq_len_[static_cast<size_t>(dst)] || to > seq_len_[static_cast<size_t>(src)])
    throw Error("copy prefix: cannot copy positions [" + std::to_string(from) + ", " + std::to_string(to) +
                ") of a sequence of " + std::to_string(seq_len_[static_cast<size_t>(src)]) + " to one of " +
                std::to_string(seq_len_[static_cast<size_t>(dst)]));
  for (int64_t il = 0; il < hp_.n_layer; ++il) kv_.copy_rows(il, src, dst, from, to - from);
  seq_len_[static_cast<size_t>(dst)] = to;
}

void Context::shift(int seq, int64_t n_keep, int64_t n_discard) {
  const ArchTraits& a = *hp_.arch;
  if (a.rope == RopeStyle::None || !a.causal || model_.weights().position_embd.data)
    throw Error("context shift: " + std::string(a.name) + " has no rope positions to move");
  if (seq < 0 || seq >= kv_.n_seq()) throw Error("context shift: sequence id " + std::to_string(seq) + " out of range");
  const int64_t len = seq_len_[static_cast<size_t>(seq)];
  if (n_keep < 0 || n_discard < 1 || n_keep + n_discard > len)
    throw Error("context shift: cannot drop " + std::to_string(n_discard) + " after " + std::to_string(n_keep) +
                " of " + std::to_string(len) + " positions");
  const int64_t n_move = len - n_keep - n_discard;
  const float* factors =
      model_.weights().rope_freq_factors.empty() ? nullptr : model_.weights().rope_freq_factors.data();
  std::vector<float> cs(static_cast<size_t>(std::max<int64_t>(hp_.n_rot, 2)));
  std::vector<float> k(static_cast<size_t>(kv_.n_embd_k()));
  for (int64_t il = 0; il < hp_.n_layer; ++il) {
    kv_.move_rows(il, seq, n_keep + n_discard, n_keep, n_move);
    // Rope angles are linear in the position, so rotating by -n_discard lands on the new one.
    rope_angles(-n_discard, hp_.n_rot, hp_.rope_base_of(il), hp_.rope_scale_of(il), factors, cs.data());
    for (int64_t p = n_keep; p < n_keep + n_move; ++p) {
      kv_.load_k(il, seq, p, k.data());
      rope_apply(k.data(), hp_.n_head_kv, hp_.head_dim_k, hp_.n_rot, cs.data(), a.rope);
      kv_.store_k(il, seq, p, k.data());
    }
  }
  seq_len_[static_cast<size_t>(seq)] = len - n_discard;
}

void Context::validate(const Batch& batch) {
  if (batch.empty()) throw Error("forward: empty batch");
  if (static_cast<int64_t>(batch.size()) > n_batch_)
    throw Error("forward: batch of " + std::to_string(batch.size()) + " exceeds n_batch " +
                std::to_string(n_batch_));
  batch_seq_len_ = seq_len_;
  const int64_t max_pos = model_.weights().position_embd.data
                              ? std::min(kv_.n_ctx(), model_.weights().position_embd.rows)
                              : kv_.n_ctx();
  for (const BatchEntry& e : batch) {
    if (e.token < 0 || e.token >= hp_.n_vocab)
      throw Error("forward: token id " + std::to_string(e.token) + " outside the vocabulary (" +
                  std::to_string(hp_.n_vocab) + ")");
    if (e.seq < 0 || e.seq >= kv_.n_seq())
      throw Error("forward: sequence id " + std::to_string(e.seq) + " outside [0, " +
                  std::to_string(kv_.n_seq()) + ")");
    if (e.pos >= max_pos)
      throw Error("forward: context full: position " + std::to_string(e.pos) + " needs n_ctx > " +
                  std::to_string(max_pos));
    auto& len = batch_seq_len_[static_cast<size_t>(e.seq)];
    if (e.pos < 0 || e.pos > len)
      throw Error("forward: position " + std::to_string(e.pos) + " of sequence " + std::to_string(e.seq) +
                  " leaves a gap (sequence has " + std::to_string(len) + ")");
    len = e.pos + 1;
  }
}

void Context::embed_inputs(const Batch& batch) {
  const Weights& w = model_.weights();
  const int64_t E = hp_.n_embd;
  const auto n = static_cast<int64_t>(batch.size());
  std::vector<float>& row = tmp_;
  for (int64_t t = 0; t < n; ++t) {
    float* x = x_.data() + t * E;
    row_to_float(w.token_embd, batch[static_cast<size_t>(t)].token, x);
    if (hp_.arch->scale_embeddings) {
      const float s = std::sqrt(static_cast<float>(E));
      for (int64_t i = 0; i < E; ++i) x[i] *= s;
    }
    if (w.position_embd.data) {
      row_to_float(w.position_embd, batch[static_cast<size_t>(t)].pos, row.data());
      for (int64_t i = 0; i < E; ++i) x[i] += row[static_cast<size_t>(i)];
    }
    for (size_t i = 0; i < w.token_type0.size(); ++i) x[i] += w.token_type0[i];
  }
  if (!w.embd_norm.empty()) norm_rows(hp_, x_.data(), w.embd_norm, w.embd_norm_b, x_.data(), n);
}

void Context::attend_all(const Batch& batch, int64_t il) {
  const int64_t n_tokens = static_cast<int64_t>(batch.size());
  const int64_t dk = hp_.head_dim_k, dv = hp_.head_dim_v;
  const AttentionShape shape{dk, dv, hp_.attn_scale, hp_.attn_softcap};
  const bool swa = hp_.is_swa_layer(il);
  const int64_t n_gqa = hp_.n_gqa();

  // Tasks: up to kTokensPerTask consecutive tokens of one sequence, times one KV head; the key
  // blocks a task reads are shared by all its queries.
  order_.resize(static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) order_[static_cast<size_t>(t)] = t;
  std::stable_sort(order_.begin(), order_.end(), [&](int64_t a, int64_t b) {
    return batch[static_cast<size_t>(a)].seq < batch[static_cast<size_t>(b)].seq;
  });
  chunks_.clear();
  for (int64_t i = 0; i < n_tokens;) {
    int64_t j = i + 1;
    while (j < n_tokens && j - i < kTokensPerTask &&
           batch[static_cast<size_t>(order_[static_cast<size_t>(j)])].seq ==
               batch[static_cast<size_t>(order_[static_cast<size_t>(i)])].seq)
      ++j;
    chunks_.push_back({i, j});
    i = j;
  }
  int64_t longest = 0;  // keys spanned by the widest task
  const auto key_range = [&](const BatchEntry& e) {
    const int64_t hi = hp_.arch->causal ? e.pos + 1 : batch_seq_len_[static_cast<size_t>(e.seq)];
    const int64_t lo = swa ? std::max<int64_t>(0, e.pos - hp_.sliding_window + 1) : 0;
    return std::pair{lo, hi};
  };
  for (const auto& [c0, c1] : chunks_) {
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
    for (int64_t c = c0; c < c1; ++c) {
      const auto [qlo, qhi] = key_range(batch[static_cast<size_t>(order_[static_cast<size_t>(c)])]);
      lo = std::min(lo, qlo), hi = std::max(hi, qhi);
    }
    longest = std::max(longest, hi - lo);
  }
  const int64_t tasks = static_cast<int64_t>(chunks_.size()) * hp_.n_head_kv;
  const int64_t n_workers = static_cast<int64_t>(workers_.size());
  // Waking threads costs more than a few thousand multiply-adds: small work stays inline.
  int64_t work = 0;
  for (const BatchEntry& e : batch) work += (e.pos + 1) * hp_.n_head * (dk + dv);
  ThreadPool* pool = work < kMinParallelWork ? nullptr : pool_;
  // Split-K: too few tasks to keep every worker busy (a decode with few KV heads) split their keys
  // into parts of at least kMinKeysPerPart, merged afterwards.
  const int64_t want = pool ? kTasksPerWorker * n_workers : 1;  // one thread: nothing to balance
  const int64_t parts = tasks >= want ? 1 : std::clamp<int64_t>(longest / kMinKeysPerPart, 1, (want + tasks - 1) / tasks);
  // Parts start on block boundaries, so that splitting adds no partial blocks.
  const int64_t part_keys = (longest + parts * kBlockKeys - 1) / (parts * kBlockKeys) * kBlockKeys;
  const int64_t queries_per_task = kTokensPerTask * n_gqa;
  if (parts > 1) {
    part_out_.resize(static_cast<size_t>(tasks * parts * queries_per_task * dv));
    part_state_.resize(static_cast<size_t>(tasks * parts * queries_per_task));
  }

  const auto run_unit = [&](Worker& wk, int64_t unit) {
    const int64_t task = unit / parts, part = unit % parts;
    const auto [c0, c1] = chunks_[static_cast<size_t>(task / hp_.n_head_kv)];
    const int64_t g = task % hp_.n_head_kv;
    wk.queries.clear();
    int seq = 0;
    int64_t chunk_lo = std::numeric_limits<int64_t>::max();
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t t = order_[static_cast<size_t>(c)];
      const BatchEntry& e = batch[static_cast<size_t>(t)];
      seq = e.seq;
      const auto [lo, hi] = key_range(e);
      chunk_lo = std::min(chunk_lo, lo);
      for (int64_t h = g * n_gqa; h < (g + 1) * n_gqa; ++h) {
        float* out = parts == 1 ? att_.data() + t * (dv * hp_.n_head) + h * dv
                                : part_out_.data() + ((unit * queries_per_task) + static_cast<int64_t>(wk.queries.size())) * dv;
        wk.queries.push_back({q_.data() + t * hp_.n_embd_q() + h * dk, out, lo, hi});
      }
    }
    if (parts == 1) {
      wk.attention.run(kv_, il, seq, g, shape, wk.queries);
      return;
    }
    const int64_t from = chunk_lo + part * part_keys;
    wk.attention.run_part(kv_, il, seq, g, shape, wk.queries, from, from + part_keys,
                          std::span(part_state_).subspan(static_cast<size_t>(unit * queries_per_task), wk.queries.size()));
  };
  // Units are claimed one at a time, the last chunks (a causal prompt's longest) first, so a worker
  // that a busy machine holds back leaves its share to the others.
  const int64_t units = tasks * parts;
  std::atomic<int64_t> next{0};
  parallel(pool, std::min(n_workers, units), [&](int64_t w0, int64_t w1) {
    for (int64_t wi = w0; wi < w1; ++wi)
      for (int64_t u = next++; u < units; u = next++) run_unit(workers_[static_cast<size_t>(wi)], units - 1 - u);
  });
  if (parts > 1) merge_split_parts(parts);
}

void Context::merge_split_parts(int64_t parts) {
  const int64_t dv = hp_.head_dim_v, n_gqa = hp_.n_gqa();
  const int64_t queries_per_task = kTokensPerTask * n_gqa;
  std::vector<const float*> outs(static_cast<size_t>(parts));
  std::vector<SoftmaxState> states(static_cast<size_t>(parts));
  for (size_t ci = 0; ci < chunks_.size(); ++ci) {
    const auto [c0, c1] = chunks_[ci];
    for (int64_t g = 0; g < hp_.n_head_kv; ++g) {
      const int64_t task = static_cast<int64_t>(ci) * hp_.n_head_kv + g;
      int64_t qi = 0;
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t t = order_[static_cast<size_t>(c)];
        for (int64_t h = g * n_gqa; h < (g + 1) * n_gqa; ++h, ++qi) {
          for (int64_t p = 0; p < parts; ++p) {
            const int64_t slot = (task * parts + p) * queries_per_task + qi;
            outs[static_cast<size_t>(p)] = part_out_.data() + slot * dv;
            states[static_cast<size_t>(p)] = part_state_[static_cast<size_t>(slot)];
          }
          merge_parts(outs, states, dv, att_.data() + t * (dv * hp_.n_head) + h * dv);
        }
      }
    }
  }
}

void Context::attention_layer(const Batch& batch, int64_t il) {
  const LayerWeights& L = model_.weights().layers[static_cast<size_t>(il)];
  const ArchTraits& a = *hp_.arch;
  const int64_t n = static_cast<int64_t>(batch.size());
  const int64_t E = hp_.n_embd;
  const bool pre = a.placement == NormPlacement::Pre;

  const float* in = x_.data();
  if (pre) {
    norm_rows(hp_, x_.data(), L.attn_norm, L.attn_norm_b, cur_.data(), n);
    in = cur_.data();
  }
  matmul(L.wq, in, n, q_.data(), pool_);
  matmul(L.wk, in, n, k_.data(), pool_);
  matmul(L.wv, in, n, v_.data(), pool_);
  add_bias(q_.data(), L.bq, n);
  add_bias(k_.data(), L.bk, n);
  add_bias(v_.data(), L.bv, n);
  if (a.qk_norm) {
    rms_norm_rows(q_.data(), L.q_norm, n * hp_.n_head, hp_.head_dim_k, hp_.norm_eps);
    rms_norm_rows(k_.data(), L.k_norm, n * hp_.n_head_kv, hp_.head_dim_k, hp_.norm_eps);
  }
  if (a.rope != RopeStyle::None) {
    const float base = hp_.rope_base_of(il);
    const float scale = hp_.rope_scale_of(il);
    const float* factors = model_.weights().rope_freq_factors.empty() ? nullptr
                                                                      : model_.weights().rope_freq_factors.data();
    for (int64_t t = 0; t < n; ++t) {
      float* cs = rope_.data() + t * hp_.n_rot;
      rope_angles(batch[static_cast<size_t>(t)].pos, hp_.n_rot, base, scale, factors, cs);
      rope_apply(q_.data() + t * hp_.n_embd_q(), hp_.n_head, hp_.head_dim_k, hp_.n_rot, cs, a.rope);
      rope_apply(k_.data() + t * hp_.n_embd_k(), hp_.n_head_kv, hp_.head_dim_k, hp_.n_rot, cs, a.rope);
    }
  }
  for (int64_t t = 0; t < n; ++t) {
    const BatchEntry& e = batch[static_cast<size_t>(t)];
    kv_.store(il, e.seq, e.pos, k_.data() + t * hp_.n_embd_k(), v_.data() + t * hp_.n_embd_v());
  }
  attend_all(batch, il);

  matmul(L.wo, att_.data(), n, tmp_.data(), pool_);
  add_bias(tmp_.data(), L.bo, n);
  if (!L.attn_post_norm.empty()) rms_norm_rows(tmp_.data(), L.attn_post_norm, n, E, hp_.norm_eps);
  for (int64_t i = 0; i < n * E; ++i) x_[static_cast<size_t>(i)] += tmp_[static_cast<size_t>(i)];
  if (!pre) norm_rows(hp_, x_.data(), L.attn_norm, L.attn_norm_b, x_.data(), n);
}

void Context::ffn_layer(int64_t il, int64_t n) {
  const LayerWeights& L = model_.weights().layers[static_cast<size_t>(il)];
  const ArchTraits& a = *hp_.arch;
  const int64_t E = hp_.n_embd, F = hp_.n_ff;
  const bool pre = a.placement == NormPlacement::Pre;

  const float* in = x_.data();
  if (pre) {
    norm_rows(hp_, x_.data(), L.ffn_norm, L.ffn_norm_b, cur_.data(), n);
    in = cur_.data();
  }
  matmul(L.ffn_up, in, n, up_.data(), pool_);
  add_bias(up_.data(), L.ffn_up_b, n);
  if (L.ffn_gate.data) {
    matmul(L.ffn_gate, in, n, gate_.data(), pool_);
    if (a.act == Activation::GeluGated) {
      for (int64_t i = 0; i < n * F; ++i) up_[static_cast<size_t>(i)] *= gelu(gate_[static_cast<size_t>(i)]);
    } else {
      // Vectorised, and a prompt's rows split between the threads: one thread with std::exp spent
      // ~8% of the time the matmuls of a pp128 pass take while the other waited (perf, 1B Q8_0).
      const SiluMulFn silu_mul = silu_mul_kernel(active_cpu_path());
      parallel(n > 1 ? pool_ : nullptr, n, [&](int64_t t0, int64_t t1) {
        silu_mul((t1 - t0) * F, gate_.data() + t0 * F, up_.data() + t0 * F);
      });
    }
  } else {
    for (int64_t i = 0; i < n * F; ++i) up_[static_cast<size_t>(i)] = gelu(up_[static_cast<size_t>(i)]);
  }
  matmul(L.ffn_down, up_.data(), n, tmp_.data(), pool_);
  add_bias(tmp_.data(), L.ffn_down_b, n);
  if (!L.ffn_post_norm.empty()) rms_norm_rows(tmp_.data(), L.ffn_post_norm, n, E, hp_.norm_eps);
  for (int64_t i = 0; i < n * E; ++i) x_[static_cast<size_t>(i)] += tmp_[static_cast<size_t>(i)];
  if (!pre) norm_rows(hp_, x_.data(), L.ffn_norm, L.ffn_norm_b, x_.data(), n);
}

void Context::produce_outputs(const Batch& batch) {
  const Weights& w = model_.weights();
  const int64_t E = hp_.n_embd;
  int64_t n_out = 0;
  for (const BatchEntry& e : batch) n_out += e.output ? 1 : 0;
  out_hidden_.resize(static_cast<size_t>(n_out * E));
  int64_t r = 0;
  for (size_t t = 0; t < batch.size(); ++t) {
    if (!batch[t].output) continue;
    std::copy_n(x_.data() + static_cast<int64_t>(t) * E, E, out_hidden_.data() + r * E);
    ++r;
  }
  if (!hp_.arch->causal) {
    out_.swap(out_hidden_);
    return;
  }
  norm_rows(hp_, out_hidden_.data(), w.output_norm, w.output_norm_b, out_hidden_.data(), n_out);
  out_.resize(static_cast<size_t>(n_out * hp_.n_vocab));
  if (n_out > 0) matmul(w.output, out_hidden_.data(), n_out, out_.data(), pool_);
  if (hp_.final_softcap > 0)
    for (float& l : out_) l = hp_.final_softcap * std::tanh(l / hp_.final_softcap);
}

std::span<const float> Context::forward(const Batch& batch) {
  validate(batch);
  embed_inputs(batch);
  const int64_t n = static_cast<int64_t>(batch.size());
  for (int64_t il = 0; il < hp_.n_layer; ++il) {
    attention_layer(batch, il);
    ffn_layer(il, n);
  }
  produce_outputs(batch);
  seq_len_ = batch_seq_len_;
  return {out_.data(), out_.size()};
}

}  // namespace airlock::model
