#include "model/pooling.h"

#include <cmath>

#include "airlock/error.h"

namespace airlock::model {

std::vector<float> pool(const float* hidden, int64_t n_tokens, int64_t n_embd, Pooling how) {
  if (n_tokens < 1) throw Error("embedding: no tokens to pool");
  std::vector<float> out(static_cast<size_t>(n_embd), 0.0f);
  switch (how) {
    case Pooling::Mean: {
      std::vector<double> sum(static_cast<size_t>(n_embd), 0.0);
      for (int64_t t = 0; t < n_tokens; ++t)
        for (int64_t i = 0; i < n_embd; ++i) sum[static_cast<size_t>(i)] += hidden[t * n_embd + i];
      for (int64_t i = 0; i < n_embd; ++i)
        out[static_cast<size_t>(i)] = static_cast<float>(sum[static_cast<size_t>(i)] / static_cast<double>(n_tokens));
      break;
    }
    case Pooling::Cls:
      out.assign(hidden, hidden + n_embd);
      break;
    case Pooling::Last:
      out.assign(hidden + (n_tokens - 1) * n_embd, hidden + n_tokens * n_embd);
      break;
    case Pooling::None:
      throw Error("embedding: the model declares no pooling (pooling_type 0)");
  }
  return out;
}

void l2_normalize(std::vector<float>& v) {
  double ss = 0;
  for (float x : v) ss += static_cast<double>(x) * x;
  if (ss == 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(ss));
  for (float& x : v) x *= inv;
}

}  // namespace airlock::model
