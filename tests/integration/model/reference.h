// Reads the reference outputs in ../shared/fixtures/models (NAME.ref.json and the raw last-position
// logits) and the comparison measures the acceptance bar is stated in.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace airlock::testing {

struct TopEntry {
  int32_t id;
  float logit;
};

struct RefCase {
  std::string prompt;
  std::vector<int32_t> tokens;
  std::vector<std::vector<TopEntry>> prompt_top;  // per prompt position, best first
  std::vector<float> last_logits;
  std::vector<int32_t> greedy;
  std::vector<std::vector<TopEntry>> greedy_top;
  std::string greedy_text;
  std::vector<float> embedding;  // embedding models
};

struct Reference {
  std::string model_file;
  int64_t n_vocab = 0;
  std::vector<RefCase> cases;
};

// name: e.g. "stories260K" (reads NAME.ref.json and its logits files from fixtures/models).
Reference load_reference(const std::string& name);

// RMS of x about its mean.
double rms_about_mean(const std::vector<float>& x);
double rms_diff(const float* a, const float* b, size_t n);
double cosine(const float* a, const float* b, size_t n);
// Index of the largest value.
int32_t argmax(const float* x, size_t n);

}  // namespace airlock::testing
