// Per-key rate limits (rate_limit_rpm requests and rate_limit_tpm tokens per minute): a token
// bucket per key name for each, refilled continuously, so a key may burst up to a minute's worth
// and then runs at the rate. Tokens are counted after a request (prompt + generated), so one
// request may overdraw the bucket; the next waits until it is back above zero.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace airlock::server {

class RateLimiter {
 public:
  RateLimiter(int64_t requests_per_minute, int64_t tokens_per_minute);  // 0: that limit is off
  // 0: admitted (the request is counted); else the whole seconds to wait (Retry-After).
  int64_t admit(const std::string& key);
  void spend_tokens(const std::string& key, int64_t tokens);

 private:
  struct Bucket {
    double requests = 0, tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  Bucket& refill_locked(const std::string& key);
  const double rpm_, tpm_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace airlock::server
