#include "net/static_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/ids.h"

namespace roomchat::net {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("roomchat-web-" + randomId());
    fs::create_directories(root_ / "web" / "assets");
    std::ofstream(root_ / "web" / "index.html") << "<html>app</html>";
    std::ofstream(root_ / "web" / "assets" / "app-1234.js") << "console.log(1)";
    std::ofstream(root_ / "secret.txt") << "secret";
    fs::create_symlink(root_ / "secret.txt", root_ / "web" / "link.txt");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::optional<std::string> get(const std::string& target) {
    Request req{http::verb::get, target, 11};
    auto reply = StaticFiles(root_ / "web").serve(req);
    if (!reply) return std::nullopt;
    std::string out;
    while (!reply->is_done()) {
      boost::beast::error_code ec;
      for (auto b : reply->prepare(ec)) out.append(static_cast<const char*>(b.data()), b.size());
      reply->consume(boost::asio::buffer_size(reply->prepare(ec)));
    }
    return out;
  }

  fs::path root_;
};

TEST_F(StaticFilesTest, ServesFilesAndIndexForClientRoutes) {
  EXPECT_NE(get("/assets/app-1234.js")->find("immutable"), std::string::npos);
  EXPECT_NE(get("/rooms/abc")->find("<html>app</html>"), std::string::npos);
  EXPECT_NE(get("/")->find("no-cache"), std::string::npos);
}

TEST_F(StaticFilesTest, RefusesEveryWayOutOfTheFolder) {
  for (const char* target : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                             "/..%2fsecret.txt", "/link.txt", "/assets%5c..%5c..%5csecret.txt",
                             "/%00index.html", "/missing.js", "/bad%zzescape.js"})
    EXPECT_FALSE(get(target).has_value()) << target;
}

TEST_F(StaticFilesTest, ResolvesToCanonicalFilesInsideTheRoot) {
  StaticFiles files(root_ / "web");
  const fs::path web = fs::canonical(root_ / "web");
  EXPECT_EQ(files.root(), web);
  EXPECT_EQ(files.resolve("/assets/app-1234.js?v=2"), web / "assets" / "app-1234.js");
  EXPECT_EQ(files.resolve("/assets/./x/../app-1234.js"), web / "assets" / "app-1234.js");
  EXPECT_EQ(files.resolve("/rooms/abc#x"), web / "index.html");
  // "//abs/path" names an absolute path once the leading '/' is dropped.
  EXPECT_FALSE(files.resolve("/" + (root_ / "secret.txt").string()).has_value());
  EXPECT_FALSE(files.resolve("/link.txt").has_value());
}

TEST(StaticFilesNoRoot, ResolvesNothingWithoutAUsableRoot) {
  // fs::absolute throws on an empty path; the constructor must not.
  StaticFiles files{fs::path()};
  EXPECT_TRUE(files.root().empty());
  EXPECT_FALSE(files.resolve("/index.html").has_value());
  EXPECT_FALSE(files.resolve("/etc/hostname.txt").has_value());
}

TEST(DecodePath, RejectsMalformedEscapes) {
  EXPECT_EQ(decodePath("/a%20b"), "/a b");
  EXPECT_FALSE(decodePath("/a%2"));
  EXPECT_FALSE(decodePath("/a%"));
  EXPECT_FALSE(decodePath("/a%00"));
}

}  // namespace
}  // namespace roomchat::net
