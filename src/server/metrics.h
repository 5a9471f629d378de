// Counters for GET /metrics in the Prometheus text format: requests by status, tokens in and out,
// generation speed, queue depth, loaded models and a per-model request latency histogram.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace airlock::server {

class Metrics {
 public:
  void request(int status, double seconds, const std::string& model);
  void generation(int64_t prompt_tokens, int64_t output_tokens, int64_t eval_ns);
  std::string render(size_t queue_depth, size_t loaded_models) const;

 private:
  static constexpr std::array<double, 10> kBuckets{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<int, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  int64_t tokens_in_ = 0, tokens_out_ = 0, eval_ns_ = 0;
};

}  // namespace airlock::server
