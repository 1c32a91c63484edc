#include "preview/html_meta.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace roomchat::preview {
namespace {

constexpr const char* kBase = "https://example.com/blog/post.html";

TEST(HtmlMeta, OpenGraphWinsOverTitleAndDescription) {
  auto m = parseHtmlMeta(R"(<html><head><title>Plain</title>
      <meta name="description" content="plain description">
      <meta property="og:title" content="OG title">
      <meta property="og:description" content="  OG
        description ">
      <meta property="og:image" content="/img/cover.png"></head><body></body></html>)",
                         kBase);
  EXPECT_EQ(m.title, "OG title");
  EXPECT_EQ(m.description, "OG description");
  EXPECT_EQ(m.image, "https://example.com/img/cover.png");
}

TEST(HtmlMeta, FirstOpenGraphValueWins) {
  auto m = parseHtmlMeta(R"(<head><meta property="og:title" content="first">
      <meta property="OG:TITLE" content="second"><meta property="og:image" content="a.png">
      <meta property="og:image" content="b.png"></head>)",
                         kBase);
  EXPECT_EQ(m.title, "first");
  EXPECT_EQ(m.image, "https://example.com/blog/a.png");
}

TEST(HtmlMeta, FallsBackToHeadTitleAndMetaDescription) {
  auto m = parseHtmlMeta(R"(<!doctype html><html><head>
      <title>
        Hello   &amp; welcome
      </title><meta name="Description" content="About us"></head><body>x</body></html>)",
                         kBase);
  EXPECT_EQ(m.title, "Hello & welcome");
  EXPECT_EQ(m.description, "About us");
  EXPECT_FALSE(m.image.has_value());
}

TEST(HtmlMeta, EmptyOpenGraphValuesFallBack) {
  auto m = parseHtmlMeta(R"(<head><meta property="og:title" content="  ">
      <title>Real</title><meta property="og:description" content="">
      <meta name="description" content="Meta"></head>)",
                         kBase);
  EXPECT_EQ(m.title, "Real");
  EXPECT_EQ(m.description, "Meta");
}

TEST(HtmlMeta, TitleCountsOnlyInsideHead) {
  auto m = parseHtmlMeta("<html><head></head><body><svg><title>icon</title></svg>"
                         "<title>late</title></body></html>",
                         kBase);
  EXPECT_EQ(m.title, "");
  // Meta tags count wherever they are, as in the original.
  auto body = parseHtmlMeta("<body><meta property='og:title' content='in body'></body>", kBase);
  EXPECT_EQ(body.title, "in body");
}

TEST(HtmlMeta, ImageMustResolveToHttpOrHttps) {
  for (const char* bad : {"javascript:alert(1)", "data:image/png;base64,AAAA",
                          "file:///etc/passwd", "http://user:pw@example.com/i.png"}) {
    auto m = parseHtmlMeta(std::string("<meta property='og:image' content='") + bad + "'>", kBase);
    EXPECT_FALSE(m.image.has_value()) << bad << " gave " << m.image.value_or("");
  }
  auto rel = parseHtmlMeta("<meta property='og:image' content='//cdn.example.net/x.jpg'>", kBase);
  EXPECT_EQ(rel.image, "https://cdn.example.net/x.jpg");
}

TEST(HtmlMeta, TextIsCappedInCodePoints) {
  std::string longTitle;
  for (int i = 0; i < 400; ++i) longTitle += "\xC3\xA9";  // é, two bytes each
  auto m = parseHtmlMeta("<head><title>" + longTitle + "</title><meta name=description content='" +
                             std::string(5000, 'd') + "'></head>",
                         kBase);
  EXPECT_EQ(m.title.size(), 2 * kMaxTitleChars);
  EXPECT_EQ(m.description.size(), kMaxDescriptionChars);
}

TEST(HtmlMeta, CleanTextCollapsesTrimsAndNeverEndsOnASpace) {
  EXPECT_EQ(cleanText("  a \t\r\n b  ", 100), "a b");
  EXPECT_EQ(cleanText("ab cd", 3), "ab");
  EXPECT_EQ(cleanText("ab cd", 4), "ab c");
  EXPECT_EQ(cleanText(std::string("a\0b", 3), 10), "a b");
  EXPECT_EQ(cleanText("", 10), "");
  // A truncated sequence at the end is kept as is, not read past.
  EXPECT_EQ(cleanText("x\xE2\x82", 10), "x\xE2\x82");
}

TEST(HtmlMeta, BrokenMarkupStillParses) {
  auto m = parseHtmlMeta("<title>Unclosed <meta property=og:title content=\"x", kBase);
  EXPECT_EQ(m.title, "Unclosed <meta property=og:title content=\"x");
  EXPECT_EQ(parseHtmlMeta("", kBase).title, "");
  EXPECT_EQ(parseHtmlMeta(std::string("\0\0\xFF\xFE", 4), kBase).title, "");
}

TEST(HtmlMeta, DeeplyNestedPagesDoNotExhaustTheStack) {
  // 1 MiB of nested elements: gumbo's own (recursive) free would overflow,
  // and its scope checks would take minutes without the tag cap.
  std::string html = "<head><title>deep</title></head><body>";
  while (html.size() < (1u << 20)) html += "<div>";
  const auto start = std::chrono::steady_clock::now();
  auto m = parseHtmlMeta(html, kBase);
  EXPECT_EQ(m.title, "deep");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(HtmlMeta, MetadataPastTheTagCapIsNotRead) {
  std::string html = "<head><title>t</title>";
  for (size_t i = 0; i < kMaxParsedTags; ++i) html += "<link rel=x>";
  auto m = parseHtmlMeta(html + "<meta property='og:title' content='late'></head>", kBase);
  EXPECT_EQ(m.title, "t");
}

}  // namespace
}  // namespace roomchat::preview
