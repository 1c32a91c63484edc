#include "preview/url_check.h"

#include <gtest/gtest.h>

namespace roomchat::preview {
namespace {

void expectBadUrl(const std::string& url) {
  auto checked = checkUrl(url);
  ASSERT_FALSE(checked.ok()) << url << " passed as " << checked->url;
  EXPECT_EQ(checked.error().code, "bad_url") << url;
  EXPECT_FALSE(checked.error().message.empty());
}

TEST(UrlCheck, AcceptsHttpAndHttpsUrls) {
  auto a = checkUrl("https://example.com/a/b/report%20v2.pdf?x=1#frag");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->url, "https://example.com/a/b/report%20v2.pdf?x=1");  // fragment dropped
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->fileName, "report v2.pdf");

  auto b = checkUrl("HTTP://Example.COM:8080");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->url.rfind("http://", 0), 0u) << b->url;
  EXPECT_EQ(b->fileName, "");
  EXPECT_EQ(fileNameOrHost(*b), b->host);

  auto v6 = checkUrl("http://[2001:4860::8888]/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "[2001:4860::8888]");
}

TEST(UrlCheck, RefusesOtherSchemes) {
  for (const char* u : {"ftp://example.com/f", "file:///etc/passwd", "gopher://example.com/",
                        "javascript:alert(1)", "data:text/html,hi", "ws://example.com/",
                        "dict://example.com:11211/stats"})
    expectBadUrl(u);
}

TEST(UrlCheck, RefusesUserInfo) {
  expectBadUrl("http://user@example.com/");
  expectBadUrl("http://user:secret@example.com/");
  expectBadUrl("https://:secret@example.com/");
  expectBadUrl("http://example.com@127.0.0.1/");
}

TEST(UrlCheck, RefusesRelativeEmptyOrHostlessUrls) {
  expectBadUrl("");
  expectBadUrl("example.com");
  expectBadUrl("/just/a/path");
  expectBadUrl("http://");
  expectBadUrl("http://:80/");
}

TEST(UrlCheck, RefusesSpacesControlCharactersAndOverlongUrls) {
  expectBadUrl("http://example.com/a b");
  expectBadUrl(std::string("http://example.com/\r\nHost: evil"));
  expectBadUrl(std::string("http://example.com/\0x", 21));
  const std::string longest = "http://example.com/" + std::string(kMaxUrlLength - 19, 'a');
  EXPECT_TRUE(checkUrl(longest).ok());
  expectBadUrl(longest + "a");
}

TEST(UrlCheck, ResolvesReferencesAsRfc3986Says) {
  const std::string base = "http://a/b/c/d;p?q";
  // Examples from RFC 3986 section 5.4.
  EXPECT_EQ(resolveReference(base, "g"), "http://a/b/c/g");
  EXPECT_EQ(resolveReference(base, "./g"), "http://a/b/c/g");
  EXPECT_EQ(resolveReference(base, "g/"), "http://a/b/c/g/");
  EXPECT_EQ(resolveReference(base, "/g"), "http://a/g");
  EXPECT_EQ(resolveReference(base, "//g"), "http://g/");
  EXPECT_EQ(resolveReference(base, "?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(resolveReference(base, "../g"), "http://a/b/g");
  EXPECT_EQ(resolveReference(base, "../../g"), "http://a/g");
  EXPECT_EQ(resolveReference(base, "https://cdn.example/i.png"), "https://cdn.example/i.png");
  EXPECT_FALSE(resolveReference("not a url", "g").has_value());
}

}  // namespace
}  // namespace roomchat::preview
