// /metrics says who is busy where and how big the server is: it is for the
// operator's scraper, not for anyone who can reach the public listener. With
// --metrics-token-file it answers only "Authorization: Bearer <token>";
// without one it is not served at all.
#include <fstream>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

class MetricsAccess : public ServerTest {};

TEST_F(MetricsAccess, OnlyTheBearerTokenReadsMetrics) {
  const std::string token = server().metricsToken();
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(metrics().status, 200);
  EXPECT_NE(metrics().body.find("roomchat_connections"), std::string::npos);

  auto none = anonymous().get("/metrics");
  EXPECT_EQ(none.status, 401) << none.describe();
  EXPECT_TRUE(none.isErrorShape()) << none.body;
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(none.body.find("roomchat_"), std::string::npos);
  TestUser u = newUser();  // a signed-in user is not the operator either
  EXPECT_EQ(u.http.get("/metrics").status, 401);
  const std::vector<std::string> wrong = {"Bearer " + token + "x", "Bearer " + token.substr(1),
                                          "Bearer", "Bearer ", "Basic " + token, token,
                                          "Bearer " + std::string(token.size(), 'a')};
  for (const std::string& bad : wrong) {
    auto res = anonymous().get("/metrics", {{"Authorization", bad}});
    EXPECT_EQ(res.status, 401) << "'" << bad << "': " << res.describe();
  }
  EXPECT_EQ(anonymous().get("/metrics", {{"Authorization", "bearer " + token}}).status, 200)
      << "the scheme is case-insensitive";
}

TEST(MetricsDefault, WithoutATokenFileMetricsAreNotServed) {
  ServerProcess bare(generousLimits(), /*metricsToken=*/false);
  ASSERT_TRUE(bare.start());
  HttpClient http(bare.port());
  auto res = http.get("/metrics");
  EXPECT_EQ(res.status, 404) << res.describe();
  EXPECT_EQ(res.body.find("roomchat_"), std::string::npos) << res.body;
  EXPECT_EQ(http.get("/healthz").status, 200);
}

TEST(MetricsDefault, AnUnusableTokenFileStopsTheStart) {
  for (const std::string content : {"", "short\n", "two tokens here-and-there\n"}) {
    ServerProcess server(generousLimits(), /*metricsToken=*/false);
    const std::string file = server.tempDir() + "/token";
    std::ofstream(file) << content;
    ServerProcess withFile({"--metrics-token-file", file}, /*metricsToken=*/false);
    EXPECT_FALSE(withFile.start(std::chrono::seconds(10))) << "started with '" << content << "'";
  }
  ServerProcess missing({"--metrics-token-file", "/nonexistent/roomchat-token"}, false);
  EXPECT_FALSE(missing.start(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace roomchat::test
