// The built-in store's verification: every refusal stores nothing, and what
// it accepts is exactly the signed bytes.
#include "blob/blob_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "blob/sigv4.h"

namespace roomchat::blob {
namespace {

namespace fs = std::filesystem;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "rest of a png";
constexpr int64_t kNow = 1'800'000'000;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::remove_all(root_); }
  void TearDown() override { fs::remove_all(root_); }

  Upload uploadOf(const std::string& bytes, const std::string& type = "image/png") {
    return Upload{sigv4::hexSha256(bytes), static_cast<int64_t>(bytes.size()), type};
  }
  // Signs an upload and checks it back the way the server does for a PUT.
  Result<Upload> signedAndChecked(const Upload& u, int64_t checkedAt, std::string tamper = "") {
    auto put = store_.presignPut(u, kNow, 300);
    EXPECT_TRUE(put.ok());
    std::string url = put->url + tamper;
    return store_.checkSignature(url, std::to_string(u.size), u.contentType, checkedAt);
  }
  int filesUnderRoot() {
    int n = 0;
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(root_, ec)) n += e.is_regular_file();
    return n;
  }

  fs::path root_ = fs::temp_directory_path() / ("roomchat-blob-" + std::to_string(::getpid()));
  LocalBlobStore store_{root_, "test-secret"};
};

TEST_F(LocalStoreTest, StoresSignedBytesUnderTheirHash) {
  const Upload u = uploadOf(kPng);
  auto checked = signedAndChecked(u, kNow + 10);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->key, u.key);
  EXPECT_EQ(checked->size, u.size);
  ASSERT_TRUE(store_.put(*checked, kPng).ok());
  auto stat = store_.stat(u.key);
  ASSERT_TRUE(stat.ok() && *stat);
  EXPECT_EQ((*stat)->size, u.size);
  EXPECT_EQ((*stat)->contentType, "image/png");
  EXPECT_EQ(filesUnderRoot(), 1);
  auto listed = store_.list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().key, u.key);
}

TEST_F(LocalStoreTest, RefusesATamperedOrForeignUrl) {
  const Upload u = uploadOf(kPng);
  EXPECT_EQ(signedAndChecked(u, kNow, "&X-Amz-Expires=3000").error().code, "bad_signature");
  auto put = store_.presignPut(u, kNow, 300);
  std::string url = put->url;
  url[url.size() - 1] = url.back() == '0' ? '1' : '0';  // one signature digit
  EXPECT_EQ(store_.checkSignature(url, std::to_string(u.size), "image/png", kNow).error().code,
            "bad_signature");
  // Another size or type than signed.
  EXPECT_EQ(store_.checkSignature(put->url, "99", "image/png", kNow).error().code,
            "bad_signature");
  EXPECT_EQ(store_.checkSignature(put->url, std::to_string(u.size), "image/gif", kNow)
                .error().code, "bad_signature");
  // Another key in the path.
  std::string other = put->url;
  other.replace(7, 64, std::string(64, 'a'));
  EXPECT_EQ(store_.checkSignature(other, std::to_string(u.size), "image/png", kNow).error().code,
            "bad_signature");
  LocalBlobStore foreign(root_, "another-secret");
  EXPECT_EQ(foreign.checkSignature(put->url, std::to_string(u.size), "image/png", kNow)
                .error().code, "bad_signature");
  EXPECT_EQ(store_.checkSignature("/blobs/" + u.key, "1", "image/png", kNow).error().code,
            "bad_signature");
  EXPECT_EQ(filesUnderRoot(), 0);
}

TEST_F(LocalStoreTest, RefusesAnExpiredUrl) {
  const Upload u = uploadOf(kPng);
  EXPECT_TRUE(signedAndChecked(u, kNow + 300).ok());
  EXPECT_EQ(signedAndChecked(u, kNow + 301).error().code, "url_expired");
  EXPECT_EQ(signedAndChecked(u, kNow - 3600).error().code, "url_expired");  // from the future
}

TEST_F(LocalStoreTest, RefusesBytesThatAreNotTheSignedOnes) {
  const Upload u = uploadOf(kPng);
  std::string other = kPng;
  other.back() ^= 1;
  EXPECT_EQ(store_.put(u, other).error().code, "hash_mismatch");
  EXPECT_EQ(store_.put(u, kPng + "x").error().code, "too_large");
  const std::string text = "not an image at all";
  EXPECT_EQ(store_.put(uploadOf(text), text).error().code, "type_mismatch");
  // A real GIF declared as PNG.
  const std::string gif = "GIF89a and more";
  EXPECT_EQ(store_.put(uploadOf(gif, "image/png"), gif).error().code, "type_mismatch");
  EXPECT_EQ(filesUnderRoot(), 0);
  EXPECT_FALSE(store_.stat(u.key).value());
}

TEST_F(LocalStoreTest, ConcurrentUploadsOfOneKeyLeaveOneFile) {
  const Upload u = uploadOf(kPng);
  std::vector<std::thread> threads;
  std::atomic<int> stored{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] { stored += store_.put(u, kPng).ok(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(stored.load(), 8);
  EXPECT_EQ(filesUnderRoot(), 1);
  ASSERT_TRUE(store_.remove(u.key).ok());
  EXPECT_EQ(filesUnderRoot(), 0);
  EXPECT_TRUE(store_.remove(u.key).ok());  // removing twice is fine
}

TEST(ImageTypes, AreToldByTheirMagicBytes) {
  EXPECT_EQ(sniffImageType(kPng), "image/png");
  EXPECT_EQ(sniffImageType("GIF87a..."), "image/gif");
  EXPECT_EQ(sniffImageType("\xff\xd8\xff\xe0..."), "image/jpeg");
  EXPECT_EQ(sniffImageType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(sniffImageType(std::string("RIFF\x10\0\0\0WAVEfmt ", 16)), std::nullopt);
  EXPECT_EQ(sniffImageType(""), std::nullopt);
  EXPECT_TRUE(isBlobKey(std::string(64, 'f')));
  EXPECT_FALSE(isBlobKey(std::string(64, 'F')));
}

}  // namespace
}  // namespace roomchat::blob
