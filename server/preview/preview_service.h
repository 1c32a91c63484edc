// PreviewService answers GET /api/preview: per-user rate limit, URL check,
// then a cached preview or a fresh one (link_preview.h). Called from the
// work pool threads; every method is thread-safe.
//
// Owns: an LRU cache of previews keyed by normalized URL (at most
// cacheEntries; a preview is kept okTtl, a fallback or a refusal failedTtl, so
// a page that was down is tried again soon), a token bucket per user, and the
// fetches in flight.
//
// Promises:
//   - every request costs its user a token, cache hits included (a client
//     caches previews itself; one asking again and again is misbehaving);
//   - concurrent requests for the same URL make one fetch, which the others
//     wait for (single flight);
//   - at most maxConcurrentFetches fetches run at once: a fetch holds a work
//     pool thread for up to the time budget, and the pool also serves every
//     database request. Past the limit the answer is rate_limited (retry in 1 s);
//   - errors: bad_url, forbidden_target, rate_limited (retryAfterSeconds set),
//     internal (the fetch threw; not cached, its waiters get it too).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/rate_limiter.h"
#include "base/thread_annotations.h"
#include "preview/link_preview.h"

namespace roomchat::preview {

struct PreviewOptions {
  FetchOptions fetch;
  size_t cacheEntries = 1000;
  std::chrono::milliseconds okTtl = std::chrono::hours(1);
  std::chrono::milliseconds failedTtl = std::chrono::minutes(5);
  double perMinute = 30;  // per user
  double burst = 10;
  int maxConcurrentFetches = 2;
};

struct PreviewReply {
  Result<LinkPreview> result;
  int retryAfterSeconds = 0;  // with Error{"rate_limited"}
};

class PreviewService {
 public:
  using FetchFn = std::function<Result<LinkPreview>(const CheckedUrl&)>;
  using Clock = std::function<int64_t()>;  // milliseconds

  // Fetches with a Fetcher built from options.fetch, on the wall clock.
  explicit PreviewService(PreviewOptions options);
  // For tests: another fetch and clock.
  PreviewService(PreviewOptions options, FetchFn fetch, Clock clock);

  PreviewReply get(const std::string& userId, std::string_view url) EXCLUDES(mu_);

 private:
  struct Entry {
    Result<LinkPreview> preview;
    int64_t expiresAtMs;
    std::list<std::string>::iterator lru;
  };
  using Flight = std::shared_future<Result<LinkPreview>>;

  std::optional<Result<LinkPreview>> cached(const std::string& key, int64_t nowMs) REQUIRES(mu_);
  void store(const std::string& key, const Result<LinkPreview>& preview, int64_t nowMs)
      REQUIRES(mu_);
  Result<LinkPreview> fetchAsLeader(const CheckedUrl& url, std::promise<Result<LinkPreview>> done)
      EXCLUDES(mu_);

  const PreviewOptions options_;
  const FetchFn fetch_;
  const Clock clock_;
  auth::KeyedRateLimiter perUser_;
  Mutex mu_;
  std::list<std::string> lru_ GUARDED_BY(mu_);  // most recently used first
  std::unordered_map<std::string, Entry> cache_ GUARDED_BY(mu_);
  std::unordered_map<std::string, Flight> flights_ GUARDED_BY(mu_);
  int fetching_ GUARDED_BY(mu_) = 0;
};

}  // namespace roomchat::preview
