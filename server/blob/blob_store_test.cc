#include "blob/blob_store.h"

#include <gtest/gtest.h>

#include <fstream>

namespace roomchat::blob {
namespace {

TEST(LocalBlobStore, AKeyExistsOnlyWhenItsFileDoes) {
  auto root = std::filesystem::temp_directory_path() / "roomchat-blob-test";
  std::filesystem::remove_all(root);
  LocalBlobStore store(root);
  const std::string key(64, 'a');
  EXPECT_FALSE(store.exists(key));
  std::filesystem::create_directories(store.fileOf(key).parent_path());
  std::ofstream(store.fileOf(key)) << "bytes";
  EXPECT_TRUE(store.exists(key));
  EXPECT_EQ(store.fileOf(key), root / "aa" / key);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace roomchat::blob
