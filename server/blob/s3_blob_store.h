// S3BlobStore keeps images in a bucket of any S3-compatible store (AWS S3,
// Ceph radosgw, MinIO), path-style addressed. The browser uploads straight to
// the store with a presigned PUT that signs Content-Length, Content-Type and
// x-amz-content-sha256 (the key): the store itself refuses other bytes. The
// server's own calls (HEAD, DELETE, list) are signed with header auth over
// libcurl. Objects stay private; reads are short-lived presigned GETs.
//
// Thread safety: every method may be called from any thread (one curl easy
// handle per call). Calls block on the network: work pool only.
#pragma once

#include <string>

#include "blob/blob_store.h"

namespace roomchat::blob {

struct S3Config {
  std::string endpoint;  // "http://127.0.0.1:7480" or "https://s3.example.com"
  std::string region = "us-east-1";
  std::string bucket;
  std::string accessKey;
  std::string secretKey;
  int timeoutMs = 10000;
};

class S3BlobStore : public BlobStore {
 public:
  explicit S3BlobStore(S3Config config);

  Result<std::optional<Stat>> stat(const std::string& key) override;
  Result<SignedRequest> presignPut(const Upload& upload, int64_t now, int ttlSeconds) override;
  Status remove(const std::string& key) override;
  Result<std::vector<Listed>> list() override;
  std::string browserOrigin() const override;

  // A GET of the object valid `ttlSeconds` from `now` (seconds).
  std::string presignGet(const std::string& key, int64_t now, int ttlSeconds) const;

 private:
  struct Reply {
    long status = 0;
    std::string body;
    std::string contentType;
    int64_t contentLength = -1;
  };
  Result<Reply> call(const std::string& method, const std::string& path,
                     const std::string& query) const;
  std::string host() const;       // "127.0.0.1:7480"
  std::string objectPath(const std::string& key) const;

  S3Config config_;
};

}  // namespace roomchat::blob
