// makePreview against a real HTTP server on 127.0.0.1: the original's HEAD
// then GET, its title rules and fallbacks, and the refusals.
#include "preview/link_preview.h"

#include <gtest/gtest.h>

#include "preview/test_http_server.h"

namespace roomchat::preview {
namespace {

using testing::TestHttpServer;
using testing::TestReply;

class LinkPreviewTest : public ::testing::Test {
 protected:
  LinkPreviewTest() : fetcher_(allowLoopback()) {}

  static FetchOptions allowLoopback() {
    FetchOptions o;
    o.allowLoopback = true;
    return o;
  }

  Result<LinkPreview> preview(const std::string& path) {
    auto url = checkUrl(server_.url(path));
    EXPECT_TRUE(url.ok());
    return makePreview(fetcher_, *url);
  }

  int methodCount(const std::string& method) {
    int n = 0;
    for (const auto& r : server_.seen()) n += r.method == method;
    return n;
  }

  TestHttpServer server_;
  Fetcher fetcher_;
};

TEST_F(LinkPreviewTest, APageGivesItsOpenGraphDataWithTheImageResolvedAfterRedirects) {
  server_.route("/go", TestReply::redirect("/articles/2024/post.html"));
  server_.route("/articles/2024/post.html", TestReply::html(R"(<html><head>
      <title>Plain title</title><meta property="og:title" content="The OG title">
      <meta property="og:description" content="What it is about">
      <meta property="og:image" content="cover.png"></head><body>text</body></html>)"));
  auto p = preview("/go");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->title, "The OG title");
  EXPECT_EQ(p->description, "What it is about");
  EXPECT_EQ(p->image, server_.url("/articles/2024/cover.png"));
  EXPECT_EQ(p->contentType, ContentKind::kHtml);
  EXPECT_EQ(p->url, server_.url("/go"));
  EXPECT_FALSE(p->fallback);
  EXPECT_EQ(methodCount("HEAD"), 2);  // /go, then its target
  EXPECT_EQ(methodCount("GET"), 2);
}

TEST_F(LinkPreviewTest, TitleFallsBackToTheHeadTitleThenTheFileNameThenTheHost) {
  server_.route("/t", TestReply::html("<head><title> Just a title </title></head>"));
  server_.route("/docs/read%20me.html", TestReply::html("<p>no title</p>"));
  server_.route("/", TestReply::html("<p>no title</p>"));
  EXPECT_EQ(preview("/t")->title, "Just a title");
  EXPECT_EQ(preview("/docs/read%20me.html")->title, "read me.html");
  EXPECT_EQ(preview("/")->title, "127.0.0.1");
}

TEST_F(LinkPreviewTest, HeadClassifiesImagesVideosAndPdfsWithoutAGet) {
  server_.route("/media/cat.png", TestReply::typed("image/png"));
  server_.route("/media/clip.mp4", TestReply::typed("video/mp4"));
  server_.route("/media/paper.pdf", TestReply::typed("application/pdf"));
  auto image = preview("/media/cat.png");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->contentType, ContentKind::kImage);
  EXPECT_EQ(image->title, "cat.png");
  EXPECT_EQ(image->image, server_.url("/media/cat.png"));
  auto video = preview("/media/clip.mp4");
  EXPECT_EQ(video->contentType, ContentKind::kVideo);
  EXPECT_FALSE(video->image.has_value());
  auto pdf = preview("/media/paper.pdf");
  EXPECT_EQ(pdf->contentType, ContentKind::kPdf);
  EXPECT_EQ(pdf->title, "paper.pdf");
  EXPECT_EQ(methodCount("GET"), 0);
}

TEST_F(LinkPreviewTest, AServerThatRefusesHeadIsClassifiedByItsGet) {
  server_.route("/img", [](const testing::TestRequest& r) {
    return r.method == "HEAD" ? TestReply{405, {}, ""} : TestReply::typed("image/jpeg", "JPEG");
  });
  auto p = preview("/img");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->contentType, ContentKind::kImage);
}

TEST_F(LinkPreviewTest, AGetThatIsNotOkGivesTheHtmlFallback) {
  server_.route("*", TestReply{404, {{"Content-Type", "text/html"}}, "<title>Not found</title>"});
  auto p = preview("/missing/page.html");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->title, "page.html");
  EXPECT_EQ(p->contentType, ContentKind::kHtml);
  EXPECT_TRUE(p->fallback);
}

TEST_F(LinkPreviewTest, ATransportFailureGivesTheOtherFallback) {
  int port;
  {
    TestHttpServer gone;
    port = gone.port();
  }
  auto url = checkUrl("http://127.0.0.1:" + std::to_string(port) + "/x/");
  auto p = makePreview(fetcher_, *url);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->contentType, ContentKind::kOther);
  EXPECT_EQ(p->title, "127.0.0.1");
  EXPECT_EQ(p->description, "");
  EXPECT_FALSE(p->image.has_value());
  EXPECT_TRUE(p->fallback);
}

TEST_F(LinkPreviewTest, TooManyRedirectsGiveTheOtherFallback) {
  server_.route("/loop", TestReply::redirect("/loop"));
  auto p = preview("/loop");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->contentType, ContentKind::kOther);
  EXPECT_TRUE(p->fallback);
}

TEST_F(LinkPreviewTest, ARefusedTargetIsAnErrorNotAFallback) {
  server_.route("/to-metadata", TestReply::redirect("http://169.254.169.254/"));
  auto p = preview("/to-metadata");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "forbidden_target");
  EXPECT_EQ(methodCount("GET"), 0);  // the HEAD's refusal ends it

  Fetcher strict{FetchOptions{}};
  auto url = checkUrl(server_.url("/page"));
  auto direct = makePreview(strict, *url);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().code, "forbidden_target");
}

TEST_F(LinkPreviewTest, AHugePageIsPreviewedFromItsFirstMebibyte) {
  server_.route("/huge", TestReply::html("<head><title>Huge</title></head><body>" +
                                         std::string(3 << 20, 'x') + "</body>"));
  auto p = preview("/huge");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->title, "Huge");
  EXPECT_FALSE(p->fallback);
}

TEST(ContentKind, ClassifiesAsTheOriginalDid) {
  EXPECT_EQ(classifyContentType("text/html"), ContentKind::kHtml);
  EXPECT_EQ(classifyContentType("image/svg+xml"), ContentKind::kImage);
  EXPECT_EQ(classifyContentType("video/webm"), ContentKind::kVideo);
  EXPECT_EQ(classifyContentType("application/pdf"), ContentKind::kPdf);
  EXPECT_EQ(classifyContentType("application/json"), ContentKind::kOther);
  EXPECT_EQ(classifyContentType(""), ContentKind::kOther);
  EXPECT_EQ(nameOf(ContentKind::kOther), "other");
}

}  // namespace
}  // namespace roomchat::preview
