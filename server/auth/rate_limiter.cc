#include "auth/rate_limiter.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <utility>
#include <vector>

namespace roomchat::auth {
namespace {

// Refill is computed in doubles; a bucket refilled to 0.9999999999 must still
// count as holding a token, or msUntilToken could promise a token take() refuses.
constexpr double kEpsilon = 1e-9;
// Full buckets carry no information (a new bucket starts full), so they are
// dropped at least this often.
constexpr int64_t kPruneIntervalMs = 10'000;
// When the map is at its cap, evict down to this share of it, so a flood of
// new keys costs one O(n log n) sweep per tenth of the cap, not per request.
constexpr double kEvictToShare = 0.9;

int64_t clampMs(double ms) {
  return ms >= 9e18 ? INT64_MAX : static_cast<int64_t>(ms);
}

}  // namespace

TokenBucket::TokenBucket(double ratePerSecond, double burst)
    : rate_(std::max(0.0, ratePerSecond)), burst_(std::max(0.0, burst)), tokens_(burst_) {}

double TokenBucket::level(int64_t nowMs) const {
  // A clock that steps back refills nothing rather than draining the bucket.
  int64_t elapsedMs = std::max<int64_t>(0, nowMs - lastMs_);
  return std::min(burst_, tokens_ + static_cast<double>(elapsedMs) * rate_ / 1000.0);
}

double TokenBucket::tokens(int64_t nowMs) const { return level(nowMs); }

bool TokenBucket::take(int64_t nowMs) {
  tokens_ = level(nowMs);
  lastMs_ = std::max(lastMs_, nowMs);
  if (tokens_ + kEpsilon < 1.0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

int64_t TokenBucket::msUntilToken(int64_t nowMs) const {
  double missing = 1.0 - level(nowMs);
  if (missing <= kEpsilon) return 0;
  if (rate_ <= 0 || burst_ + kEpsilon < 1.0) return INT64_MAX;  // never refills to one
  int64_t ms = clampMs(std::ceil(missing * 1000.0 / rate_));
  // The division can land a hair above a whole millisecond (40000.0000001);
  // ask level(), the arithmetic take() uses, whether one millisecond less will do.
  if (ms > 1 && ms < INT64_MAX && level(nowMs + ms - 1) + kEpsilon >= 1.0) --ms;
  return ms;
}

bool TokenBucket::full(int64_t nowMs) const { return level(nowMs) + kEpsilon >= burst_; }

KeyedRateLimiter::KeyedRateLimiter(double ratePerSecond, double burst, size_t maxKeys)
    : rate_(ratePerSecond), burst_(burst), maxKeys_(std::max<size_t>(1, maxKeys)) {}

int KeyedRateLimiter::retryAfterSeconds(const std::string& key, int64_t nowMs) {
  MutexLock lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= maxKeys_ || nowMs - lastPruneMs_ >= kPruneIntervalMs) prune(nowMs);
    it = buckets_.emplace(key, TokenBucket(rate_, burst_)).first;
  }
  if (it->second.take(nowMs)) return 0;
  int64_t ms = it->second.msUntilToken(nowMs);
  int64_t seconds = ms == INT64_MAX ? INT_MAX : (ms + 999) / 1000;
  return static_cast<int>(std::clamp<int64_t>(seconds, 1, INT_MAX));
}

size_t KeyedRateLimiter::trackedKeys() {
  MutexLock lock(mu_);
  return buckets_.size();
}

void KeyedRateLimiter::prune(int64_t nowMs) {
  lastPruneMs_ = nowMs;
  std::erase_if(buckets_, [nowMs](const auto& entry) { return entry.second.full(nowMs); });
  if (buckets_.size() < maxKeys_) return;
  // Still at the cap: forget the fullest buckets, the keys that lose least by
  // starting over with a full bucket (the oldest activity refills most).
  std::vector<std::pair<double, std::string>> byLevel;
  byLevel.reserve(buckets_.size());
  for (const auto& [key, bucket] : buckets_) byLevel.emplace_back(bucket.tokens(nowMs), key);
  size_t keep = static_cast<size_t>(static_cast<double>(maxKeys_) * kEvictToShare);
  keep = std::min(keep, maxKeys_ - 1);  // room for the key being added
  size_t drop = byLevel.size() - keep;
  std::nth_element(byLevel.begin(), byLevel.begin() + drop, byLevel.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < drop; ++i) buckets_.erase(byLevel[i].second);
}

}  // namespace roomchat::auth
