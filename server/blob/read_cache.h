// ReadCache lets GET /blobs/<key> skip the databases for images a session
// has just read. Images never change (the key is the hash of the bytes), so
// their bytes are kept as long as room allows (least recently read first
// out); whether a session may read one is kept for `grantTtlMs` only, so a
// logout or a removal from a room stops a session's reads within that time.
// A hit is cheap enough for the io thread: two map lookups under a mutex
// held for no I/O.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/thread_annotations.h"

namespace roomchat::blob {

class ReadCache {
 public:
  struct Entry {
    std::shared_ptr<const std::string> bytes;
    std::string contentType;
  };

  ReadCache(size_t maxBytes, int64_t grantTtlMs) : maxBytes_(maxBytes), grantTtlMs_(grantTtlMs) {}

  // The image, when the session `tokenHash` was granted it less than the
  // TTL ago and its bytes are still held.
  std::optional<Entry> lookup(const std::string& tokenHash, const std::string& key, int64_t nowMs)
      EXCLUDES(mu_);
  // Records that `tokenHash` may read `key` (checked just now) and keeps the
  // bytes unless they alone exceed a quarter of the cache.
  void remember(const std::string& tokenHash, const std::string& key, Entry entry, int64_t nowMs)
      EXCLUDES(mu_);

 private:
  void evictTo(size_t bytes) REQUIRES(mu_);
  void pruneGrants(int64_t nowMs) REQUIRES(mu_);

  const size_t maxBytes_;
  const int64_t grantTtlMs_;
  Mutex mu_;
  std::unordered_map<std::string, int64_t> grants_ GUARDED_BY(mu_);  // tokenHash + key → expiry
  std::list<std::string> order_ GUARDED_BY(mu_);                      // keys, most recent first
  struct Held {
    Entry entry;
    std::list<std::string>::iterator position;
  };
  std::unordered_map<std::string, Held> held_ GUARDED_BY(mu_);
  size_t bytes_ GUARDED_BY(mu_) = 0;
};

}  // namespace roomchat::blob
