#include "server/metrics.h"

#include <sstream>

namespace airlock::server {

void Metrics::request(int status, double seconds, const std::string& model) {
  std::lock_guard lock(mu_);
  ++requests_[status];
  if (model.empty()) return;
  Histogram& h = latency_[model];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::generation(int64_t prompt_tokens, int64_t output_tokens, int64_t eval_ns) {
  std::lock_guard lock(mu_);
  tokens_in_ += prompt_tokens;
  tokens_out_ += output_tokens;
  eval_ns_ += eval_ns;
}

void Metrics::cancelled(int64_t output_tokens) {
  std::lock_guard lock(mu_);
  ++cancelled_;
  cancelled_tokens_ += output_tokens;
}

namespace {
// Prometheus label values escape backslash, quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

std::string Metrics::render(size_t queue_depth, size_t loaded_models) const {
  std::lock_guard lock(mu_);
  std::ostringstream o;
  o << "# HELP airlock_requests_total HTTP requests answered, by status.\n# TYPE airlock_requests_total counter\n";
  for (const auto& [status, n] : requests_) o << "airlock_requests_total{status=\"" << status << "\"} " << n << "\n";
  o << "# HELP airlock_prompt_tokens_total Prompt tokens evaluated.\n# TYPE airlock_prompt_tokens_total counter\n"
    << "airlock_prompt_tokens_total " << tokens_in_ << "\n";
  o << "# HELP airlock_generated_tokens_total Tokens generated.\n# TYPE airlock_generated_tokens_total counter\n"
    << "airlock_generated_tokens_total " << tokens_out_ << "\n";
  o << "# HELP airlock_cancelled_requests_total Generations stopped because the client went away.\n"
    << "# TYPE airlock_cancelled_requests_total counter\nairlock_cancelled_requests_total " << cancelled_ << "\n";
  o << "# HELP airlock_cancelled_tokens_total Tokens generated for clients that went away before the end.\n"
    << "# TYPE airlock_cancelled_tokens_total counter\nairlock_cancelled_tokens_total " << cancelled_tokens_ << "\n";
  const double tps = eval_ns_ > 0 ? static_cast<double>(tokens_out_) * 1e9 / static_cast<double>(eval_ns_) : 0;
  o << "# HELP airlock_tokens_per_second Generated tokens per second of generation time, per stream.\n"
    << "# TYPE airlock_tokens_per_second gauge\nairlock_tokens_per_second " << tps << "\n";
  o << "# HELP airlock_queue_depth Requests queued or running.\n# TYPE airlock_queue_depth gauge\n"
    << "airlock_queue_depth " << queue_depth << "\n";
  o << "# HELP airlock_loaded_models Models in memory.\n# TYPE airlock_loaded_models gauge\n"
    << "airlock_loaded_models " << loaded_models << "\n";
  o << "# HELP airlock_request_duration_seconds Model request latency.\n"
    << "# TYPE airlock_request_duration_seconds histogram\n";
  for (const auto& [model, h] : latency_) {
    const std::string m = label(model);
    // request() counts each observation in every bucket it fits, so counts are cumulative.
    for (size_t i = 0; i < kBuckets.size(); ++i)
      o << "airlock_request_duration_seconds_bucket{model=\"" << m << "\",le=\"" << kBuckets[i] << "\"} "
        << h.counts[i] << "\n";
    o << "airlock_request_duration_seconds_bucket{model=\"" << m << "\",le=\"+Inf\"} " << h.count << "\n"
      << "airlock_request_duration_seconds_sum{model=\"" << m << "\"} " << h.sum << "\n"
      << "airlock_request_duration_seconds_count{model=\"" << m << "\"} " << h.count << "\n";
  }
  return o.str();
}

}  // namespace airlock::server
