// BlobService is what the routes and the room sockets use for images: it
// joins the blob catalog (store::MetaStore: which keys exist, who holds
// them) with a BlobStore (the bytes), and owns their invariants:
//   - a key is in the catalog only once its bytes are stored and verified;
//   - a message, sticker or avatar references a key only while it is in the
//     catalog (checked in the same transaction as the reference);
//   - the collector removes a key only when nothing references it and it
//     was not used for `gcGraceMs`; its catalog row goes first (in a
//     transaction that re-checks), then the bytes, under the key's lock, so
//     an upload of the same key cannot be half undone by it.
//
// Thread safety: every method may be called from any thread; all of them
// block (meta store, disk, network), so they run on the work pool.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/thread_annotations.h"
#include "blob/blob_store.h"
#include "blob/read_cache.h"
#include "store/meta_store.h"

namespace roomchat::blob {

struct BlobLimits {
  int64_t maxBytes = 10 * 1024 * 1024;
  int maxFilesPerRequest = 10;
  int uploadTtlSeconds = 300;
  int64_t gcGraceMs = 24LL * 3600 * 1000;
  size_t readCacheBytes = 64 << 20;  // bytes of recently read images kept in memory
  int64_t readGrantMs = 10000;       // how long "this session may read that image" is trusted
};

// What a room socket needs: recording that a message references images.
class ImageReferences {
 public:
  virtual ~ImageReferences() = default;
  // Records the references of a message about to be sent in `roomId`: the
  // first key that is not stored (nothing is recorded then), or nullopt.
  virtual Result<std::optional<std::string>> reference(const std::string& roomId,
                                                       const std::vector<std::string>& keys) = 0;
};

struct GcReport {
  int refsDropped = 0;
  int blobsRemoved = 0;
  int strayFilesRemoved = 0;
  std::vector<std::string> removedKeys;  // also what a dry run would remove
};

class BlobService : public ImageReferences {
 public:
  // Whether a live message of the ref's room still holds its key.
  using RoomHoldsKey = std::function<Result<bool>(const store::BlobRef&)>;

  // `local` is `store` when the built-in store is used, else null.
  BlobService(store::MetaStore& meta, BlobStore& store, LocalBlobStore* local, BlobLimits limits);

  const BlobLimits& limits() const { return limits_; }
  BlobStore& store() { return store_; }
  LocalBlobStore* local() { return local_; }
  ReadCache& readCache() { return readCache_; }

  // POST /api/uploads: per file, in order, the signed PUT or nullopt when the
  // bytes are stored already. Errors: "invalid_files", "too_large".
  Result<std::vector<std::optional<SignedRequest>>> prepare(const std::vector<Upload>& files,
                                                            int64_t nowMs);
  // The body of a checked PUT to the built-in store: verified, stored, then
  // entered in the catalog. Errors as LocalBlobStore::put.
  Status accept(const Upload& upload, std::string_view bytes, int64_t nowMs);

  Result<std::optional<std::string>> reference(const std::string& roomId,
                                               const std::vector<std::string>& keys) override;

  // One collection pass: stale room references checked with `holds`, then
  // unused keys removed (catalog row, then bytes), then bytes the catalog
  // does not know that are older than the grace period (an upload that died
  // between its rename and its catalog row). A dry run changes nothing.
  Result<GcReport> collect(int64_t nowMs, bool dryRun, const RoomHoldsKey& holds);

 private:
  Result<bool> storedNow(const std::string& key, int64_t nowMs);
  Mutex& lockOf(const std::string& key);

  store::MetaStore& meta_;
  BlobStore& store_;
  LocalBlobStore* local_;
  BlobLimits limits_;
  std::array<Mutex, 64> keyLocks_;
  ReadCache readCache_{limits_.readCacheBytes, limits_.readGrantMs};
};

}  // namespace roomchat::blob
