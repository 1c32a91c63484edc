// Token buckets. TokenBucket is a single bucket for single-threaded owners (a
// connection's message rate, on its room's strand). KeyedRateLimiter holds one
// bucket per key (a username, an IP) behind a mutex, for the HTTP handlers on
// the work pool; full buckets are dropped so memory stays bounded by the
// number of recently active keys.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/thread_annotations.h"

namespace roomchat::auth {

class TokenBucket {
 public:
  TokenBucket(double ratePerSecond, double burst);
  // Takes one token at time nowMs if available.
  bool take(int64_t nowMs);
  // Milliseconds until one token is available (0 when one is).
  int64_t msUntilToken(int64_t nowMs) const;
  bool full(int64_t nowMs) const;
  // Tokens available at nowMs (fractional; at most burst).
  double tokens(int64_t nowMs) const;

 private:
  double level(int64_t nowMs) const;
  double rate_;
  double burst_;
  double tokens_;
  int64_t lastMs_ = 0;
};

class KeyedRateLimiter {
 public:
  KeyedRateLimiter(double ratePerSecond, double burst, size_t maxKeys = 100000);
  // 0 when allowed (a token was taken), otherwise seconds to wait (>= 1).
  int retryAfterSeconds(const std::string& key, int64_t nowMs);
  // Buckets currently held (for tests and metrics).
  size_t trackedKeys();

 private:
  void prune(int64_t nowMs) REQUIRES(mu_);
  Mutex mu_;
  const double rate_;
  const double burst_;
  const size_t maxKeys_;
  int64_t lastPruneMs_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, TokenBucket> buckets_ GUARDED_BY(mu_);
};

}  // namespace roomchat::auth
