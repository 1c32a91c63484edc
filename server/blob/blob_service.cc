#include "blob/blob_service.h"

#include <chrono>
#include <functional>

#include "base/metrics.h"

namespace roomchat::blob {

namespace {

constexpr int kGcPage = 500;

}  // namespace

BlobService::BlobService(store::MetaStore& meta, BlobStore& store, LocalBlobStore* local,
                         BlobLimits limits)
    : meta_(meta), store_(store), local_(local), limits_(limits) {}

Mutex& BlobService::lockOf(const std::string& key) {
  return keyLocks_[std::hash<std::string>{}(key) % keyLocks_.size()];
}

Result<std::vector<std::optional<SignedRequest>>> BlobService::prepare(
    const std::vector<Upload>& files, int64_t nowMs) {
  if (files.empty() || static_cast<int>(files.size()) > limits_.maxFilesPerRequest)
    return makeError("invalid_files",
                     "send 1.." + std::to_string(limits_.maxFilesPerRequest) + " files");
  for (const auto& f : files) {
    if (!isBlobKey(f.key)) return makeError("invalid_files", "sha256 must be 64 lowercase hex");
    if (!isImageType(f.contentType))
      return makeError("invalid_files", "contentType must be image/webp, png, gif or jpeg");
    if (f.size <= 0) return makeError("invalid_files", "size must be positive");
    if (f.size > limits_.maxBytes)
      return makeError("too_large", "an image may have at most " +
                                        std::to_string(limits_.maxBytes) + " bytes");
  }
  std::vector<std::optional<SignedRequest>> out;
  for (const auto& f : files) {
    auto stored = storedNow(f.key, nowMs);
    if (!stored.ok()) return stored.error();
    if (*stored) {
      out.emplace_back();
      continue;
    }
    auto put = store_.presignPut(f, nowMs / 1000, limits_.uploadTtlSeconds);
    if (!put.ok()) return put.error();
    out.emplace_back(std::move(*put));
  }
  return out;
}

// Whether the key is stored, marking it used: the grace period then covers
// the send that follows an upload found stored. A store the browser uploads
// to directly (S3) is asked, and what it holds enters the catalog.
Result<bool> BlobService::storedNow(const std::string& key, int64_t nowMs) {
  auto known = meta_.touchBlob(key, nowMs);
  if (!known.ok() || *known || local_) return known;
  MutexLock lock(lockOf(key));  // the collector removes strays under it
  auto stat = store_.stat(key);
  if (!stat.ok()) return stat.error();
  if (!*stat || !isImageType((*stat)->contentType)) return false;
  if (Status s = meta_.recordBlob({key, (*stat)->size, (*stat)->contentType, nowMs}, nowMs); !s)
    return s.error();
  return true;
}

Status BlobService::accept(const Upload& upload, std::string_view bytes, int64_t nowMs) {
  if (!local_) return makeError("not_found", "uploads go to the object store");
  MutexLock lock(lockOf(upload.key));
  if (Status s = local_->put(upload, bytes); !s.ok()) return s;
  return meta_.recordBlob({upload.key, upload.size, upload.contentType, nowMs}, nowMs);
}

Result<std::optional<std::string>> BlobService::reference(const std::string& roomId,
                                                          const std::vector<std::string>& keys) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto missing = meta_.referenceBlobs(roomId, keys, now);
  // An S3 upload enters the catalog when it is first used: ask the store
  // once for each key the catalog lacks, then try again.
  for (size_t tries = 0; missing.ok() && *missing && !local_ && tries < keys.size(); ++tries) {
    auto stored = storedNow(**missing, now);
    if (!stored.ok()) return stored.error();
    if (!*stored) return missing;
    missing = meta_.referenceBlobs(roomId, keys, now);
  }
  return missing;
}

Result<GcReport> BlobService::collect(int64_t nowMs, bool dryRun, const RoomHoldsKey& holds) {
  const int64_t cutoff = nowMs - limits_.gcGraceMs;
  GcReport report;
  for (bool more = true; more && !dryRun;) {  // a dry run drops no reference
    auto refs = meta_.staleBlobRefs(cutoff, kGcPage);
    if (!refs.ok()) return refs.error();
    more = static_cast<int>(refs->size()) == kGcPage;
    for (const auto& ref : *refs) {
      auto held = holds(ref);
      if (!held.ok()) return held.error();
      // A held reference is renewed, so the next page holds other ones.
      if (*held) {
        auto renewed = meta_.referenceBlobs(ref.roomId, {ref.key}, nowMs);
        if (!renewed.ok()) return renewed.error();
        continue;
      }
      if (Status s = meta_.dropBlobRef(ref, cutoff); !s) return s.error();
      ++report.refsDropped;
    }
  }
  for (bool more = true; more;) {
    auto keys = meta_.unusedBlobs(cutoff, kGcPage);
    if (!keys.ok()) return keys.error();
    more = !dryRun && static_cast<int>(keys->size()) == kGcPage;
    for (const auto& key : *keys) {
      if (dryRun) {
        report.removedKeys.push_back(key);
        continue;
      }
      MutexLock lock(lockOf(key));
      auto forgotten = meta_.forgetBlobIfUnused(key, cutoff);
      if (!forgotten.ok()) return forgotten.error();
      if (!*forgotten) continue;
      if (Status s = store_.remove(key); !s) return s.error();
      report.removedKeys.push_back(key);
      ++report.blobsRemoved;
    }
  }
  auto stored = store_.list();
  if (!stored.ok()) return stored.error();
  for (const auto& [key, writtenAt] : *stored) {
    if (writtenAt >= cutoff) continue;
    MutexLock lock(lockOf(key));
    auto row = meta_.blob(key);
    if (!row.ok()) return row.error();
    if (*row) continue;
    if (!dryRun)
      if (Status s = store_.remove(key); !s) return s.error();
    report.removedKeys.push_back(key);
    ++report.strayFilesRemoved;
  }
  if (!dryRun) metrics().blobsCollected.inc(report.blobsRemoved + report.strayFilesRemoved);
  return report;
}

}  // namespace roomchat::blob
