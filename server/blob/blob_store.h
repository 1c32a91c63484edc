// BlobStore holds images by content: the key is the lowercase hex SHA-256 of
// the bytes. LocalBlobStore keeps them under data/blobs/<first 2>/<key>; an
// S3-compatible store can implement the same interface. Today the server
// only needs to know whether a key exists (messages may reference only
// stored images); uploads through presigned URLs come with the images work.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <filesystem>
#include <string>

namespace roomchat::blob {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // REQUIRES: key is 64 lowercase hex characters.
  virtual bool exists(const std::string& key) const = 0;
};

class LocalBlobStore : public BlobStore {
 public:
  explicit LocalBlobStore(std::filesystem::path root);
  bool exists(const std::string& key) const override;
  std::filesystem::path fileOf(const std::string& key) const;

 private:
  std::filesystem::path root_;
};

}  // namespace roomchat::blob
