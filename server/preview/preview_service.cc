#include "preview/preview_service.h"

#include <exception>
#include <memory>

#include "base/ids.h"
#include "base/metrics.h"

namespace roomchat::preview {
namespace {

// A client told "busy" may come back this soon.
constexpr int kBusyRetrySeconds = 1;

PreviewReply answered(Result<LinkPreview> result, std::string_view askedUrl) {
  if (result.ok()) result->url = std::string(askedUrl);  // as asked, not as normalized
  return PreviewReply{std::move(result)};
}

PreviewReply limited(std::string message, int seconds) {
  return PreviewReply{makeError("rate_limited", std::move(message)), seconds};
}

bool refused(const Result<LinkPreview>& r) {
  return !r.ok() && r.error().code == "forbidden_target";
}

void countOutcome(const Result<LinkPreview>& r) {
  if (refused(r)) metrics().previewRefused.inc();
  else if (r.ok() && r->fallback) metrics().previewFallbacks.inc();
  else if (r.ok()) metrics().previewFetched.inc();
}

}  // namespace

PreviewService::PreviewService(PreviewOptions options)
    : PreviewService(options,
                     [fetcher = std::make_shared<Fetcher>(options.fetch)](const CheckedUrl& url) {
                       return makePreview(*fetcher, url);
                     },
                     [] { return nowMs(); }) {}

PreviewService::PreviewService(PreviewOptions options, FetchFn fetch, Clock clock)
    : options_(std::move(options)),
      fetch_(std::move(fetch)),
      clock_(std::move(clock)),
      perUser_(options_.perMinute / 60.0, options_.burst) {}

PreviewReply PreviewService::get(const std::string& userId, std::string_view url) {
  const int64_t now = clock_();
  if (int wait = perUser_.retryAfterSeconds(userId, now)) {
    metrics().previewRateLimited.inc();
    return limited("too many previews asked for; try again later", wait);
  }
  auto checked = checkUrl(url);
  if (!checked.ok()) return PreviewReply{checked.error()};

  MutexLock lock(mu_);
  if (auto hit = cached(checked->url, now)) {
    metrics().previewCacheHits.inc();
    return answered(std::move(*hit), url);
  }
  if (auto it = flights_.find(checked->url); it != flights_.end()) {
    Flight flight = it->second;
    lock.Unlock();
    return answered(flight.get(), url);
  }
  if (fetching_ >= options_.maxConcurrentFetches) {
    metrics().previewRateLimited.inc();
    return limited("too many previews being fetched; try again shortly", kBusyRetrySeconds);
  }
  std::promise<Result<LinkPreview>> done;
  flights_.emplace(checked->url, done.get_future().share());
  ++fetching_;
  lock.Unlock();
  return answered(fetchAsLeader(*checked, std::move(done)), url);
}

Result<LinkPreview> PreviewService::fetchAsLeader(const CheckedUrl& url,
                                                  std::promise<Result<LinkPreview>> done) {
  Result<LinkPreview> result = makeError("internal", "the preview could not be made");
  // The flight must end whatever happens (out of memory): waiters and the
  // count of running fetches depend on it.
  try {
    result = fetch_(url);
  } catch (const std::exception& e) {
    result = makeError("internal", e.what());
  }
  countOutcome(result);
  {
    MutexLock lock(mu_);
    --fetching_;
    store(url.url, result, clock_());
    flights_.erase(url.url);
  }
  done.set_value(result);  // wakes the requests that waited for this fetch
  return result;
}

std::optional<Result<LinkPreview>> PreviewService::cached(const std::string& key, int64_t nowMs) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  if (it->second.expiresAtMs <= nowMs) {
    lru_.erase(it->second.lru);
    cache_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.preview;
}

void PreviewService::store(const std::string& key, const Result<LinkPreview>& preview,
                           int64_t nowMs) {
  if (options_.cacheEntries == 0 || (!preview.ok() && !refused(preview))) return;
  const bool good = preview.ok() && !preview->fallback;
  const int64_t ttl = (good ? options_.okTtl : options_.failedTtl).count();
  if (auto it = cache_.find(key); it != cache_.end()) {
    lru_.erase(it->second.lru);
    cache_.erase(it);
  }
  while (cache_.size() >= options_.cacheEntries) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  cache_.emplace(key, Entry{preview, nowMs + ttl, lru_.begin()});
}

}  // namespace roomchat::preview
