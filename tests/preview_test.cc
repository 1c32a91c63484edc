// Link previews (API.md §6) through the real server: GET /api/preview drives
// the server's fetcher against pages served by a TestHttpServer
// (server/preview/test_http_server.h) on 127.0.0.1 in this process.
//
// The server refuses loopback like any other non-public address, so the
// fixtures that need those pages start it with the test-only
// --preview-allow-loopback, which lets 127/8 and ::1 through and nothing else;
// PreviewsStrict starts it without, as in production. DNS names that resolve
// to private addresses, the body cap and the time budget are tested on the
// fetcher itself (server/preview/fetcher_test.cc): they need hooks (a
// resolver override, a short budget) that the server does not expose.
#include "preview/test_http_server.h"
#include "support/fixture.h"

namespace roomchat::test {
namespace {

using preview::testing::TestHttpServer;
using preview::testing::TestReply;

class Previews : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.push_back("--preview-allow-loopback");
    return args;
  }

  static HttpResponse ask(TestUser& user, const std::string& url) {
    return user.http.get("/api/preview?url=" + urlEncode(url));
  }

  static void expectError(const HttpResponse& res, int status, const std::string& code,
                          const std::string& what) {
    EXPECT_EQ(res.status, status) << what << ": " << res.describe();
    EXPECT_EQ(res.errorCode(), code) << what << ": " << res.describe();
    EXPECT_TRUE(res.isErrorShape()) << what << ": " << res.describe();
  }

  TestHttpServer pages_;
};

class PreviewsStrict : public Previews {
 protected:
  std::vector<std::string> serverArgs() const override { return generousLimits(); }
};

TEST_F(Previews, NeedASignedInUser) {
  pages_.route("*", TestReply::html("<title>x</title>"));
  auto res = anonymous().get("/api/preview?url=" + urlEncode(pages_.url("/")));
  EXPECT_EQ(res.status, 401) << res.describe();
  EXPECT_EQ(pages_.requests(), 0);
}

TEST_F(Previews, APageGivesItsTitleDescriptionAndImageResolvedAfterRedirects) {
  pages_.route("/go", TestReply::redirect("/blog/2024/post.html", 301));
  pages_.route("/blog/2024/post.html", TestReply::html(R"(<html><head>
      <title>Plain</title><meta property="og:title" content="A post">
      <meta name="description" content="Meta description">
      <meta property="og:image" content="../img/cover.png"></head><body></body></html>)"));
  auto user = newUser();
  auto res = ask(user, pages_.url("/go"));
  ASSERT_EQ(res.status, 200) << res.describe();
  EXPECT_EQ(res.json, (json{{"url", pages_.url("/go")},
                            {"title", "A post"},
                            {"description", "Meta description"},
                            {"image", pages_.url("/blog/img/cover.png")},
                            {"contentType", "html"}}));
}

TEST_F(Previews, HeadClassifiesImagesPdfsAndVideos) {
  pages_.route("/f/cat.png", TestReply::typed("image/png"));
  pages_.route("/f/paper.pdf", TestReply::typed("application/pdf"));
  pages_.route("/f/clip.webm", TestReply::typed("video/webm"));
  auto user = newUser();
  auto image = ask(user, pages_.url("/f/cat.png"));
  ASSERT_EQ(image.status, 200) << image.describe();
  EXPECT_EQ(image.json["contentType"], "image");
  EXPECT_EQ(image.json["title"], "cat.png");
  EXPECT_EQ(image.json["image"], pages_.url("/f/cat.png"));
  auto pdf = ask(user, pages_.url("/f/paper.pdf"));
  EXPECT_EQ(pdf.json["contentType"], "pdf") << pdf.describe();
  EXPECT_TRUE(pdf.json["image"].is_null());
  auto video = ask(user, pages_.url("/f/clip.webm"));
  EXPECT_EQ(video.json["contentType"], "video") << video.describe();
  for (const auto& r : pages_.seen()) EXPECT_EQ(r.method, "HEAD") << r.path;
}

TEST_F(Previews, RedirectsToPrivateAndMetadataAddressesAreRefused) {
  const std::vector<std::string> targets = {"http://10.0.0.1/", "http://169.254.169.254/latest/",
                                            "http://[::ffff:10.0.0.1]/",
                                            "http://[fd00:ec2::254]/", "file:///etc/passwd"};
  for (size_t i = 0; i < targets.size(); ++i)
    pages_.route("/r" + std::to_string(i), TestReply::redirect(targets[i]));
  auto user = newUser();
  for (size_t i = 0; i < targets.size(); ++i)
    expectError(ask(user, pages_.url("/r" + std::to_string(i))), 403, "forbidden_target",
                targets[i]);
}

TEST_F(PreviewsStrict, LoopbackIsRefusedWithoutTheTestFlag) {
  pages_.route("*", TestReply::html("<title>internal</title>"));
  auto user = newUser();
  expectError(ask(user, pages_.url("/")), 403, "forbidden_target", "127.0.0.1");
  expectError(ask(user, "http://localhost:" + std::to_string(pages_.port()) + "/"), 403,
              "forbidden_target", "localhost");
  expectError(ask(user, "http://[::1]:" + std::to_string(port()) + "/healthz"), 403,
              "forbidden_target", "the server itself over ::1");
  EXPECT_EQ(pages_.requests(), 0);
}

TEST_F(Previews, UrlsThatAreNotHttpOrCarryCredentialsAreBadUrls) {
  auto user = newUser();
  expectError(user.http.get("/api/preview"), 400, "bad_url", "no url");
  for (const std::string& url :
       {std::string("ftp://example.com/x"), std::string("javascript:alert(1)"),
        std::string("file:///etc/passwd"), std::string("not a url"), std::string("/relative"),
        "http://user:pw@127.0.0.1:" + std::to_string(pages_.port()) + "/",
        "http://example.com/" + std::string(3000, 'a')})
    expectError(ask(user, url), 400, "bad_url", url.substr(0, 60));
  EXPECT_EQ(pages_.requests(), 0);
}

TEST_F(Previews, AnUnreachableUpstreamGivesTheFallbackPreview) {
  int closedPort;
  {
    TestHttpServer gone;
    closedPort = gone.port();
  }
  auto user = newUser();
  auto res = ask(user, "http://127.0.0.1:" + std::to_string(closedPort) + "/files/");
  ASSERT_EQ(res.status, 200) << res.describe();
  EXPECT_EQ(res.json["contentType"], "other");
  EXPECT_EQ(res.json["title"], "127.0.0.1");
  EXPECT_EQ(res.json["description"], "");
  EXPECT_TRUE(res.json["image"].is_null());
}

TEST_F(Previews, ASecondAskIsAnsweredFromTheCacheWithoutFetching) {
  pages_.route("/cached", TestReply::html("<title>Once</title>"));
  auto ann = newUser("ann");
  auto bob = newUser("bob");
  auto first = ask(ann, pages_.url("/cached"));
  ASSERT_EQ(first.status, 200) << first.describe();
  const int fetched = pages_.requests();
  EXPECT_EQ(fetched, 2);  // HEAD, then GET
  auto second = ask(bob, pages_.url("/cached"));
  ASSERT_EQ(second.status, 200) << second.describe();
  EXPECT_EQ(second.json, first.json);
  EXPECT_EQ(pages_.requests(), fetched);
  EXPECT_GE(metric("roomchat_preview_cache_hits_total").value_or(0), 1);
  EXPECT_GE(metric("roomchat_preview_fetches_total").value_or(0), 1);
}

TEST_F(Previews, EachUserIsRateLimited) {
  pages_.route("*", TestReply::html("<title>t</title>"));
  auto ann = newUser("ann");
  auto bob = newUser("bob");
  int ok = 0;
  HttpResponse res;
  for (int i = 0; i < 20; ++i) {
    res = ask(ann, pages_.url("/"));
    if (res.status != 200) break;
    ++ok;
  }
  EXPECT_GE(ok, 10);  // the burst
  EXPECT_LT(ok, 20);
  expectError(res, 429, "rate_limited", "past the burst");
  EXPECT_GE(std::stoi(res.header("Retry-After").empty() ? "0" : res.header("Retry-After")), 1);
  EXPECT_EQ(ask(bob, pages_.url("/")).status, 200);
  EXPECT_GE(metric("roomchat_preview_rate_limited_total").value_or(0), 1);
}

}  // namespace
}  // namespace roomchat::test
