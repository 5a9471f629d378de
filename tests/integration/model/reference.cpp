#include "reference.h"

#include <cmath>
#include <cstring>

#include "support/fixtures.h"

namespace airlock::testing {
namespace {

std::vector<std::vector<TopEntry>> read_tops(const nlohmann::json& j) {
  std::vector<std::vector<TopEntry>> out;
  for (const auto& pos : j) {
    auto& row = out.emplace_back();
    for (const auto& e : pos) row.push_back({e[0].get<int32_t>(), e[1].get<float>()});
  }
  return out;
}

std::vector<float> read_f32(const std::string& bytes) {
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));  // fixtures are little-endian
  return v;
}

}  // namespace

Reference load_reference(const std::string& name) {
  const auto dir = fixtures::dir() / "models";
  const auto j = nlohmann::json::parse(fixtures::read_file(dir / (name + ".ref.json")));
  Reference ref;
  ref.model_file = (dir / (name + ".gguf")).string();
  ref.n_vocab = j.value("n_vocab", int64_t{0});
  for (const auto& c : j.at("cases")) {
    RefCase rc;
    rc.prompt = c.at("prompt").get<std::string>();
    rc.tokens = c.at("tokens").get<std::vector<int32_t>>();
    if (c.contains("prompt_top8")) rc.prompt_top = read_tops(c.at("prompt_top8"));
    if (c.contains("greedy")) rc.greedy = c.at("greedy").get<std::vector<int32_t>>();
    if (c.contains("greedy_top8")) rc.greedy_top = read_tops(c.at("greedy_top8"));
    if (c.contains("greedy_text")) rc.greedy_text = c.at("greedy_text").get<std::string>();
    if (c.contains("last_logits_file"))
      rc.last_logits = read_f32(fixtures::read_file(dir / c.at("last_logits_file").get<std::string>()));
    if (c.contains("embedding")) rc.embedding = c.at("embedding").get<std::vector<float>>();
    ref.cases.push_back(std::move(rc));
  }
  return ref;
}

double rms_about_mean(const std::vector<float>& x) {
  double mean = 0;
  for (float v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0;
  for (float v : x) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(x.size()));
}

double rms_diff(const float* a, const float* b, size_t n) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(ss / static_cast<double>(n));
}

double cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

int32_t argmax(const float* x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return static_cast<int32_t>(best);
}

}  // namespace airlock::testing
