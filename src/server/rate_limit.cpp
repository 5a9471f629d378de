#include "server/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace airlock::server {

RateLimiter::RateLimiter(int64_t requests_per_minute, int64_t tokens_per_minute)
    : rpm_(static_cast<double>(requests_per_minute)), tpm_(static_cast<double>(tokens_per_minute)) {}

RateLimiter::Bucket& RateLimiter::refill_locked(const std::string& key) {
  const auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  if (fresh) {
    b = {rpm_, tpm_, now};
    return b;
  }
  const double minutes = std::chrono::duration<double>(now - b.at).count() / 60;
  b.requests = std::min(rpm_, b.requests + minutes * rpm_);
  b.tokens = std::min(tpm_, b.tokens + minutes * tpm_);
  b.at = now;
  return b;
}

int64_t RateLimiter::admit(const std::string& key) {
  if (rpm_ <= 0 && tpm_ <= 0) return 0;
  std::lock_guard lk(mu_);
  Bucket& b = refill_locked(key);
  double wait_s = 0;
  if (tpm_ > 0 && b.tokens < 0) wait_s = std::max(wait_s, -b.tokens / tpm_ * 60);
  if (rpm_ > 0 && b.requests < 1) wait_s = std::max(wait_s, (1 - b.requests) / rpm_ * 60);
  if (wait_s > 0) return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s)));
  if (rpm_ > 0) b.requests -= 1;
  return 0;
}

void RateLimiter::spend_tokens(const std::string& key, int64_t tokens) {
  if (tpm_ <= 0 || tokens <= 0) return;
  std::lock_guard lk(mu_);
  refill_locked(key).tokens -= static_cast<double>(tokens);
}

}  // namespace airlock::server
