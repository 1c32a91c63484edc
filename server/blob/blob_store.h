// BlobStore holds images by content: the key is the lowercase hex SHA-256 of
// the bytes. It owns the bytes only; which keys exist for the application,
// and who may read them, is the blob catalog's (store::MetaStore) and
// BlobService's business.
//
// Two implementations: LocalBlobStore keeps files under data/blobs/ and
// verifies every upload itself; S3BlobStore (blob/s3_blob_store.h) hands out
// presigned URLs of any S3-compatible store, which verifies the signed
// length, type and checksum of what the browser sends.
//
// Thread safety: every method may be called from any thread. Calls may block
// (disk, network): callers run them on the work pool, never on a room strand.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/ids.h"  // isBlobKey
#include "base/result.h"

namespace roomchat::blob {

using Headers = std::vector<std::pair<std::string, std::string>>;

// What the browser must send to store one image.
struct Upload {
  std::string key;
  int64_t size = 0;
  std::string contentType;
};

// A presigned request: the browser sends `method url` with `headers` (and
// the Content-Length the bytes give). `url` may be relative (this server).
struct SignedRequest {
  std::string method;
  std::string url;
  Headers headers;
};

// What the store knows of stored bytes.
struct Stat {
  int64_t size = 0;
  std::string contentType;
};

struct Listed {
  std::string key;
  int64_t writtenAtMs = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // The stored bytes' size and type, nullopt when they are not stored; an
  // Error when the store cannot say.
  // REQUIRES: key is 64 lowercase hex characters (here and below).
  virtual Result<std::optional<Stat>> stat(const std::string& key) = 0;
  // A PUT of exactly these bytes, valid `ttlSeconds` from `now` (seconds).
  virtual Result<SignedRequest> presignPut(const Upload& upload, int64_t now, int ttlSeconds) = 0;
  // Removes the bytes; Ok also when they were not there.
  virtual Status remove(const std::string& key) = 0;
  // Everything stored, with when it was written (ms): the collector looks
  // for bytes the catalog never learnt of (an upload never sent, a crash).
  virtual Result<std::vector<Listed>> list() = 0;
  // The origin the browser talks to for uploads and reads ("" when it is
  // this server): the pages' Content-Security-Policy must allow it.
  virtual std::string browserOrigin() const = 0;
};

// Files under `root`/<first 2 hex>/<key>; uploads are written under
// `root`/tmp/ and renamed into place only once verified, so a failed or cut
// upload leaves nothing a reader could see.
class LocalBlobStore : public BlobStore {
 public:
  // `signingSecret` signs and checks this store's upload URLs.
  LocalBlobStore(std::filesystem::path root, std::string signingSecret);

  Result<std::optional<Stat>> stat(const std::string& key) override;
  Result<SignedRequest> presignPut(const Upload& upload, int64_t now, int ttlSeconds) override;
  Status remove(const std::string& key) override;
  Result<std::vector<Listed>> list() override;
  std::string browserOrigin() const override { return ""; }

  // Checks a presigned PUT before its body is read: the signature over the
  // path, query, Content-Length and Content-Type, and the expiry. Answers
  // what was signed, or "bad_signature" / "url_expired" (403).
  Result<Upload> checkSignature(std::string_view target, std::string_view contentLength,
                                std::string_view contentType, int64_t now) const;
  // Stores `bytes` for a checked upload: "hash_mismatch" (400) when they do
  // not hash to the key, "too_large" (413) when longer than signed,
  // "type_mismatch" (415) when their magic bytes are not the signed type.
  // Nothing is stored on a refusal. Storing the same key twice at once
  // leaves one file.
  Status put(const Upload& upload, std::string_view bytes);

  std::filesystem::path fileOf(const std::string& key) const;

 private:
  std::filesystem::path root_;
  std::string secret_;
};

// The image type the bytes start like (WebP, PNG, GIF, JPEG), or nullopt.
std::optional<std::string> sniffImageType(std::string_view bytes);
bool isImageType(std::string_view contentType);

}  // namespace roomchat::blob
