#include "blob/blob_store.h"

namespace roomchat::blob {

LocalBlobStore::LocalBlobStore(std::filesystem::path root) : root_(std::move(root)) {}

std::filesystem::path LocalBlobStore::fileOf(const std::string& key) const {
  return root_ / key.substr(0, 2) / key;
}

bool LocalBlobStore::exists(const std::string& key) const {
  std::error_code ec;
  return std::filesystem::is_regular_file(fileOf(key), ec);
}

}  // namespace roomchat::blob
