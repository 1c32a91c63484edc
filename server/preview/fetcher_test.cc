// The fetcher against a real HTTP server on 127.0.0.1 (test_http_server.h).
// Loopback is refused by default, so most tests build the fetcher with the
// test-only allowance; the tests of the refusals build it without.
//
// DNS: "a name that resolves to a private address" is tested without a DNS
// server through FetchOptions::resolve, which hands curl CURLOPT_RESOLVE
// entries ("evil.test:<port>:127.0.0.1"). curl then resolves evil.test to
// 127.0.0.1 as a DNS answer would, and the connect-time check must refuse it.
#include "preview/fetcher.h"

#include <stdlib.h>

#include <chrono>

#include <gtest/gtest.h>

#include "preview/test_http_server.h"

namespace roomchat::preview {
namespace {

using testing::TestHttpServer;
using testing::TestReply;
using namespace std::chrono_literals;

FetchOptions loopbackAllowed() {
  FetchOptions o;
  o.allowLoopback = true;
  return o;
}

Result<FetchResponse> get(const Fetcher& f, const std::string& url) {
  return f.fetch(Method::kGet, url, Deadline(f.options().totalTime));
}

void expectError(const Result<FetchResponse>& r, const std::string& code, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << ": fetched with status " << r->status;
  EXPECT_EQ(r.error().code, code) << what << ": " << r.error().message;
}

TEST(Fetcher, GetsAPageNamingRoomchatAndAskingForHtml) {
  TestHttpServer server;
  server.route("/page", TestReply::html("<title>hi</title>"));
  // A proxy in the environment must not be used (it would refuse: nothing listens there).
  setenv("http_proxy", "http://127.0.0.1:9", 1);
  setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
  auto r = get(Fetcher(loopbackAllowed()), server.url("/page"));
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->contentType, "text/html");
  EXPECT_EQ(r->body, "<title>hi</title>");
  EXPECT_FALSE(r->truncated);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_NE(seen[0].headers["user-agent"].find("roomchat"), std::string::npos);
  EXPECT_NE(seen[0].headers["accept"].find("text/html"), std::string::npos);
  EXPECT_EQ(seen[0].headers.count("cookie"), 0u);
}

TEST(Fetcher, HeadReadsNoBody) {
  TestHttpServer server;
  server.route("/f", TestReply::typed("Image/PNG; charset=binary", "PNGDATA"));
  Fetcher f(loopbackAllowed());
  auto r = f.fetch(Method::kHead, server.url("/f"), Deadline(5s));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->contentType, "image/png");
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(server.seen().at(0).method, "HEAD");
}

TEST(Fetcher, RefusesLoopbackWithoutTheTestAllowance) {
  TestHttpServer server;
  server.route("*", TestReply::html("secret"));
  Fetcher f{FetchOptions{}};
  expectError(get(f, server.url("/")), "forbidden_target", "127.0.0.1");
  expectError(get(f, "http://[::1]:" + std::to_string(server.port()) + "/"), "forbidden_target",
              "[::1]");
  expectError(get(f, "http://localhost:" + std::to_string(server.port()) + "/"),
              "forbidden_target", "localhost");
  EXPECT_EQ(server.requests(), 0);
}

TEST(Fetcher, RefusesANameThatResolvesToLoopback) {
  TestHttpServer server;
  server.route("*", TestReply::html("secret"));
  const std::string mapping = "evil.test:" + std::to_string(server.port()) + ":127.0.0.1";
  const std::string url = "http://evil.test:" + std::to_string(server.port()) + "/";
  FetchOptions strict;
  strict.resolve = {mapping};
  expectError(get(Fetcher(strict), url), "forbidden_target", "evil.test");
  EXPECT_EQ(server.requests(), 0);

  // The same mapping with the allowance reaches the server: the refusal
  // above came from the address check, not from a failed lookup.
  FetchOptions allowed = loopbackAllowed();
  allowed.resolve = {mapping};
  auto r = get(Fetcher(allowed), url);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "secret");
}

TEST(Fetcher, RefusesRedirectsToPrivateLinkLocalAndMetadataAddresses) {
  TestHttpServer server;
  const std::vector<std::string> targets = {
      "http://10.0.0.1/", "http://192.168.1.1:8080/admin", "http://169.254.169.254/latest/meta-data/",
      "http://[::ffff:10.0.0.1]/", "http://[::ffff:169.254.169.254]/", "http://[fd00:ec2::254]/",
      "http://[fe80::1]/", "http://0.0.0.0:" + std::to_string(server.port()) + "/"};
  for (size_t i = 0; i < targets.size(); ++i)
    server.route("/r" + std::to_string(i), TestReply::redirect(targets[i]));
  Fetcher f(loopbackAllowed());
  for (size_t i = 0; i < targets.size(); ++i)
    expectError(get(f, server.url("/r" + std::to_string(i))), "forbidden_target", targets[i]);
}

TEST(Fetcher, RefusesRedirectsToOtherSchemesAndToUserInfo) {
  TestHttpServer server;
  const std::vector<std::string> targets = {
      "file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://127.0.0.1/x",
      "http://user:pw@127.0.0.1:" + std::to_string(server.port()) + "/", "javascript:alert(1)"};
  for (size_t i = 0; i < targets.size(); ++i)
    server.route("/r" + std::to_string(i), TestReply::redirect(targets[i]));
  Fetcher f(loopbackAllowed());
  for (size_t i = 0; i < targets.size(); ++i)
    expectError(get(f, server.url("/r" + std::to_string(i))), "forbidden_target", targets[i]);
}

TEST(Fetcher, FollowsAtMostFiveRedirectsResolvingEachLocation) {
  TestHttpServer server;
  for (int n = 1; n <= 6; ++n)  // /chain/n → ../chain/n-1 (relative), /chain/0 is the page
    server.route("/chain/" + std::to_string(n),
                 TestReply::redirect("../chain/" + std::to_string(n - 1), n % 2 ? 301 : 307));
  server.route("/chain/0", TestReply::html("end"));
  Fetcher f(loopbackAllowed());
  auto five = get(f, server.url("/chain/5"));
  ASSERT_TRUE(five.ok()) << five.error().message;
  EXPECT_EQ(five->body, "end");
  EXPECT_EQ(five->finalUrl, server.url("/chain/0"));

  const int before = server.requests();
  expectError(get(f, server.url("/chain/6")), "too_many_redirects", "six redirects");
  EXPECT_EQ(server.requests() - before, 6);  // the sixth Location is never requested
}

TEST(Fetcher, CutsTheBodyAtTheCapWithoutReadingTheRest) {
  TestHttpServer server;
  server.route("/big", TestReply::html("<title>big</title>" + std::string(3 << 20, 'x')));
  Fetcher f(loopbackAllowed());
  auto r = get(f, server.url("/big"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->body.size(), f.options().maxBodyBytes);
  EXPECT_EQ(r->body.rfind("<title>big</title>", 0), 0u);
}

TEST(Fetcher, GivesUpWhenTheTimeBudgetIsSpent) {
  TestHttpServer server;
  TestReply silent;
  silent.silent = true;
  server.route("/silent", silent);
  server.route("/to-silent", TestReply::redirect("/silent"));
  FetchOptions o = loopbackAllowed();
  o.totalTime = 500ms;
  Fetcher f(o);
  for (const char* path : {"/silent", "/to-silent"}) {
    const auto start = std::chrono::steady_clock::now();
    expectError(get(f, server.url(path)), "timeout", path);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << path;  // 0.5 s, loosely
  }
}

TEST(Fetcher, ASpentDeadlineMakesNoRequest) {
  TestHttpServer server;
  Fetcher f(loopbackAllowed());
  expectError(f.fetch(Method::kGet, server.url("/"), Deadline(0ms)), "timeout", "spent");
  EXPECT_EQ(server.requests(), 0);
}

TEST(Fetcher, AnUnreachablePortIsAnUpstreamFailure) {
  int port;
  {
    TestHttpServer gone;
    port = gone.port();
  }
  expectError(get(Fetcher(loopbackAllowed()), "http://127.0.0.1:" + std::to_string(port) + "/"),
              "upstream_failed", "closed port");
}

}  // namespace
}  // namespace roomchat::preview
