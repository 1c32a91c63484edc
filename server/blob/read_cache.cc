#include "blob/read_cache.h"

namespace roomchat::blob {

namespace {

constexpr size_t kMaxGrants = 100000;

}  // namespace

std::optional<ReadCache::Entry> ReadCache::lookup(const std::string& tokenHash,
                                                  const std::string& key, int64_t nowMs) {
  MutexLock lock(mu_);
  auto grant = grants_.find(tokenHash + key);
  if (grant == grants_.end() || grant->second <= nowMs) return std::nullopt;
  auto it = held_.find(key);
  if (it == held_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second.position);
  return it->second.entry;
}

void ReadCache::remember(const std::string& tokenHash, const std::string& key, Entry entry,
                         int64_t nowMs) {
  MutexLock lock(mu_);
  if (grants_.size() >= kMaxGrants) pruneGrants(nowMs);
  if (grants_.size() >= kMaxGrants) return;  // all live: caching more is not worth a sweep each time
  grants_[tokenHash + key] = nowMs + grantTtlMs_;
  if (held_.count(key) || !entry.bytes || entry.bytes->size() > maxBytes_ / 4) return;
  evictTo(maxBytes_ - entry.bytes->size());
  order_.push_front(key);
  bytes_ += entry.bytes->size();
  held_.emplace(key, Held{std::move(entry), order_.begin()});
}

void ReadCache::evictTo(size_t bytes) {
  while (bytes_ > bytes && !order_.empty()) {
    auto it = held_.find(order_.back());
    bytes_ -= it->second.entry.bytes->size();
    held_.erase(it);
    order_.pop_back();
  }
}

void ReadCache::pruneGrants(int64_t nowMs) {
  std::erase_if(grants_, [nowMs](const auto& g) { return g.second <= nowMs; });
}

}  // namespace roomchat::blob
