#include "model/hparams.h"

#include <cmath>
#include <string>

#include "airlock/error.h"

namespace airlock::model {
namespace {

// Generous bounds: far above any published model, low enough that products of them cannot
// overflow and that a hostile file cannot ask for absurd buffers.
constexpr int64_t kMaxDim = 1 << 20;
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxHeads = 4096;
constexpr int64_t kMaxVocab = 1 << 24;

class Reader {
 public:
  Reader(const gguf::File& f, std::string_view prefix) : f_(f), prefix_(prefix) {}

  std::string key(std::string_view k) const { return prefix_ + "." + std::string(k); }

  [[noreturn]] void fail(std::string_view k, const std::string& what) const {
    throw Error(f_.path().string() + ": " + key(k) + ": " + what);
  }

  std::optional<int64_t> opt_int(std::string_view k, int64_t lo, int64_t hi) const {
    const gguf::Value* v = f_.find(key(k));
    if (!v) return std::nullopt;
    int64_t x;
    // Some converters store per-layer arrays (all equal for the models we run); take the first.
    if (v->type == gguf::ValueType::ARRAY) {
      if (v->arr.empty()) fail(k, "empty array");
      x = value_int(k, v->arr[0]);
      for (const auto& e : v->arr)
        if (value_int(k, e) != x) fail(k, "per-layer values differ; not supported");
    } else {
      x = value_int(k, *v);
    }
    if (x < lo || x > hi)
      fail(k, "value " + std::to_string(x) + " outside [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]");
    return x;
  }
  int64_t req_int(std::string_view k, int64_t lo, int64_t hi) const {
    auto x = opt_int(k, lo, hi);
    if (!x) fail(k, "missing");
    return *x;
  }
  std::optional<float> opt_float(std::string_view k, double lo, double hi) const {
    const gguf::Value* v = f_.find(key(k));
    if (!v) return std::nullopt;
    double x;
    try {
      x = v->as_float();
    } catch (const Error&) {
      fail(k, std::string("expected a number, found ") + gguf::value_type_name(v->type));
    }
    if (!std::isfinite(x) || x < lo || x > hi)
      fail(k, "value " + std::to_string(x) + " outside [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]");
    return static_cast<float>(x);
  }
  float req_float(std::string_view k, double lo, double hi) const {
    auto x = opt_float(k, lo, hi);
    if (!x) fail(k, "missing");
    return *x;
  }
  std::optional<std::string> opt_string(std::string_view k) const { return f_.get_string(key(k)); }

 private:
  int64_t value_int(std::string_view k, const gguf::Value& v) const {
    if (!v.is_integer())
      fail(k, std::string("expected an integer, found ") + gguf::value_type_name(v.type));
    return v.as_int();
  }

  const gguf::File& f_;
  std::string prefix_;
};

int64_t vocab_size(const gguf::File& f, const Reader& r) {
  if (auto n = r.opt_int("vocab_size", 1, kMaxVocab)) return *n;
  if (const gguf::Value* toks = f.find("tokenizer.ggml.tokens"); toks && toks->type == gguf::ValueType::ARRAY)
    return static_cast<int64_t>(toks->arr.size());
  if (const gguf::TensorInfo* t = f.tensor("token_embd.weight")) return t->ne[1];
  throw Error(f.path().string() + ": cannot tell the vocabulary size (no " + r.key("vocab_size") +
              ", tokenizer.ggml.tokens or token_embd.weight)");
}

// Rope base and scaling. A missing rope.scaling.type means "linear" (as the reference loader
// reads it), so a bare rope.scaling.factor still scales; "none" turns every factor off.
void read_rope(const Reader& r, Hparams& h) {
  h.n_rot = r.opt_int("rope.dimension_count", 2, kMaxDim).value_or(h.head_dim_k);
  if (h.n_rot > h.head_dim_k || h.n_rot % 2 != 0)
    r.fail("rope.dimension_count", std::to_string(h.n_rot) + " must be even and at most the head size " +
                                       std::to_string(h.head_dim_k));
  if (h.arch->full_rope && h.n_rot != h.head_dim_k)
    r.fail("rope.dimension_count", std::to_string(h.n_rot) + " must equal the head size " +
                                       std::to_string(h.head_dim_k) + " for " + std::string(h.arch->name));
  h.rope_base = r.opt_float("rope.freq_base", 1e-3, 1e12).value_or(10000.0f);
  const std::string type = r.opt_string("rope.scaling.type").value_or("linear");
  auto factor = r.opt_float("rope.scaling.factor", 0, 1e6);
  if (type == "linear") {
    if (!factor) factor = r.opt_float("rope.scale_linear", 0, 1e6);  // the older key name
    if (factor && *factor > 0) {
      h.rope_scaling = RopeScaling::Linear;
      h.rope_scale = *factor;
    }
  } else if (type == "llama3") {
    h.rope_scaling = RopeScaling::Llama3;
    h.llama3.factor = factor.value_or(h.llama3.factor);
    h.llama3.low_freq_factor = r.opt_float("rope.scaling.low_freq_factor", 1e-6, 1e6).value_or(h.llama3.low_freq_factor);
    h.llama3.high_freq_factor = r.opt_float("rope.scaling.high_freq_factor", 1e-6, 1e6).value_or(h.llama3.high_freq_factor);
    h.llama3.original_context = r.opt_float("rope.scaling.original_context_length", 1, 1e9).value_or(h.llama3.original_context);
    if (h.llama3.factor <= 0 || h.llama3.high_freq_factor <= h.llama3.low_freq_factor)
      r.fail("rope.scaling.factor", "Llama 3 scaling needs factor > 0 and high_freq_factor > low_freq_factor");
  } else if (type == "yarn" || type == "longrope") {
    r.fail("rope.scaling.type", "'" + type + "' rope scaling is not supported yet");
  } else if (type != "none") {
    r.fail("rope.scaling.type", "unknown value '" + type + "'");
  }
  // Windowed layers share the global rope unless the architecture gives them their own.
  const bool own_swa_rope = h.arch->swa_rope_base > 0;
  h.rope_base_swa = r.opt_float("rope.freq_base_swa", 1e-3, 1e12).value_or(own_swa_rope ? h.arch->swa_rope_base : h.rope_base);
  h.rope_scale_swa = own_swa_rope ? 1.0f : h.rope_scale;
}

// The query scale: attention.scale when the file has it, else the architecture's size rule, else
// 1/sqrt(head_dim).
void read_attention_scale(const Reader& r, Hparams& h) {
  if (auto s = r.opt_float("attention.scale", 0, 1e6); s && *s > 0) {
    h.attn_scale = *s;
    h.attn_scale_rule = r.key("attention.scale");
  } else if (h.arch->embd_per_head_scale_layers > 0 && h.n_layer == h.arch->embd_per_head_scale_layers) {
    h.attn_scale = 1.0f / std::sqrt(static_cast<float>(h.n_embd / h.n_head));
    h.attn_scale_rule = "1/sqrt(embedding_length / head_count): " + std::string(h.arch->name) + " with " +
                        std::to_string(h.n_layer) + " layers (the 27B model)";
  } else {
    h.attn_scale = 1.0f / std::sqrt(static_cast<float>(h.head_dim_k));
    h.attn_scale_rule = "1/sqrt(head size)";
  }
}

// Soft-caps and the sliding window, each only where the architecture has it.
void read_attention_limits(const Reader& r, Hparams& h) {
  const ArchTraits& a = *h.arch;
  if (a.attn_softcap) h.attn_softcap = r.opt_float("attn_logit_softcapping", 0, 1e6).value_or(*a.attn_softcap);
  if (a.final_softcap) h.final_softcap = r.opt_float("final_logit_softcapping", 0, 1e6).value_or(*a.final_softcap);
  if (a.swa_period == 0) return;
  h.sliding_window = r.opt_int("attention.sliding_window", 0, int64_t{1} << 24).value_or(a.swa_default_window);
  // Newer converters may state the pattern; airlock knows only its table's, so a different one
  // is refused rather than run with the wrong layers windowed.
  if (auto period = r.opt_int("attention.sliding_window_pattern", 0, kMaxLayers); period && *period != a.swa_period)
    r.fail("attention.sliding_window_pattern", "value " + std::to_string(*period) + " differs from " +
                                                   std::string(a.name) + "'s " + std::to_string(a.swa_period) +
                                                   "; not supported");
}

}  // namespace

std::vector<float> llama3_rope_factors(const Hparams& hp) {
  const Llama3Scaling& s = hp.llama3;
  const double pi = 3.14159265358979323846;
  const double low_freq_wavelen = s.original_context / s.low_freq_factor;
  const double high_freq_wavelen = s.original_context / s.high_freq_factor;
  std::vector<float> out(static_cast<size_t>(hp.n_rot / 2));
  for (size_t i = 0; i < out.size(); ++i) {
    const double freq = std::pow(static_cast<double>(hp.rope_base), -2.0 * static_cast<double>(i) / static_cast<double>(hp.n_rot));
    const double wavelen = 2 * pi / freq;
    double divisor;
    if (wavelen < high_freq_wavelen) {
      divisor = 1;
    } else if (wavelen > low_freq_wavelen) {
      divisor = s.factor;
    } else {
      const double smooth = (s.original_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      divisor = 1 / ((1 - smooth) / s.factor + smooth);
    }
    out[i] = static_cast<float>(divisor);
  }
  return out;
}

bool Hparams::is_swa_layer(int64_t il) const {
  const int period = arch->swa_period;
  return sliding_window > 0 && (period == 1 || (period > 1 && il % period < period - 1));
}

Hparams read_hparams(const gguf::File& f) {
  const std::string arch_name = f.architecture();
  if (arch_name.empty()) throw Error(f.path().string() + ": general.architecture missing");
  Hparams h;
  h.arch = find_arch(arch_name);
  if (!h.arch)
    throw Error(f.path().string() + ": architecture '" + arch_name + "' is not supported (supported: " +
                std::string(supported_arch_names()) + ")");
  const Reader r(f, arch_name);

  h.n_embd = r.req_int("embedding_length", 1, kMaxDim);
  h.n_layer = r.req_int("block_count", 1, kMaxLayers);
  h.n_ff = r.req_int("feed_forward_length", 1, kMaxDim);
  h.n_head = r.req_int("attention.head_count", 1, kMaxHeads);
  h.n_head_kv = r.opt_int("attention.head_count_kv", 1, kMaxHeads).value_or(h.n_head);
  h.n_ctx_train = r.req_int("context_length", 1, int64_t{1} << 24);
  h.n_vocab = vocab_size(f, r);

  if (h.n_head % h.n_head_kv != 0)
    r.fail("attention.head_count_kv", std::to_string(h.n_head_kv) + " does not divide head_count " +
                                          std::to_string(h.n_head));
  const auto key_len = r.opt_int("attention.key_length", 1, kMaxDim);
  const auto val_len = r.opt_int("attention.value_length", 1, kMaxDim);
  if (!key_len && h.n_embd % h.n_head != 0)
    r.fail("attention.head_count", std::to_string(h.n_head) + " does not divide embedding_length " +
                                       std::to_string(h.n_embd));
  h.head_dim_k = key_len.value_or(h.n_embd / h.n_head);
  h.head_dim_v = val_len.value_or(h.head_dim_k);

  // No default: the epsilon differs between model families (1e-5, 1e-6, 1e-12), and the
  // reference loader requires the key too.
  const char* eps_key = h.arch->norm == NormKind::Rms ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon";
  h.norm_eps = r.req_float(eps_key, 0, 1);

  if (h.arch->rope != RopeStyle::None) read_rope(r, h);
  read_attention_scale(r, h);
  read_attention_limits(r, h);

  if (!h.arch->causal) {
    const int64_t p = r.opt_int("pooling_type", 0, 3).value_or(static_cast<int64_t>(Pooling::Mean));
    h.pooling = static_cast<Pooling>(p);
    if (auto causal = f.get_bool(r.key("attention.causal")); causal && *causal)
      r.fail("attention.causal", "causal encoders are not supported");
  }
  return h;
}

}  // namespace airlock::model
