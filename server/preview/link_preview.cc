#include "preview/link_preview.h"

#include "preview/html_meta.h"

namespace roomchat::preview {
namespace {

bool isOk(long status) { return status >= 200 && status < 300; }

bool isMedia(ContentKind kind) {
  return kind == ContentKind::kImage || kind == ContentKind::kVideo || kind == ContentKind::kPdf;
}

std::string fallbackTitle(const CheckedUrl& url) {
  return cleanText(fileNameOrHost(url), kMaxTitleChars);
}

LinkPreview media(const CheckedUrl& url, ContentKind kind) {
  LinkPreview p{url.url, fallbackTitle(url), "", std::nullopt, kind};
  if (kind == ContentKind::kImage) p.image = url.url;
  return p;
}

LinkPreview fallback(const CheckedUrl& url, ContentKind kind) {
  LinkPreview p{url.url, fallbackTitle(url), "", std::nullopt, kind};
  p.fallback = true;
  return p;
}

// The host of the URL a page was finally served from.
std::string finalHost(const FetchResponse& page, const CheckedUrl& asked) {
  auto checked = checkUrl(page.finalUrl);
  return checked.ok() ? checked->host : asked.host;
}

LinkPreview htmlPreview(const CheckedUrl& url, const FetchResponse& page) {
  PageMeta meta = parseHtmlMeta(page.body, page.finalUrl);
  LinkPreview p{url.url, std::move(meta.title), std::move(meta.description), std::move(meta.image),
                ContentKind::kHtml};
  if (p.title.empty()) p.title = cleanText(url.fileName, kMaxTitleChars);
  if (p.title.empty()) p.title = cleanText(finalHost(page, url), kMaxTitleChars);
  return p;
}

}  // namespace

ContentKind classifyContentType(std::string_view type) {
  if (type == "text/html" || type == "application/xhtml+xml") return ContentKind::kHtml;
  if (type.rfind("image/", 0) == 0) return ContentKind::kImage;
  if (type.rfind("video/", 0) == 0) return ContentKind::kVideo;
  if (type == "application/pdf") return ContentKind::kPdf;
  return ContentKind::kOther;
}

std::string_view nameOf(ContentKind kind) {
  switch (kind) {
    case ContentKind::kHtml: return "html";
    case ContentKind::kImage: return "image";
    case ContentKind::kVideo: return "video";
    case ContentKind::kPdf: return "pdf";
    case ContentKind::kOther: return "other";
  }
  return "other";
}

Result<LinkPreview> makePreview(const Fetcher& fetcher, const CheckedUrl& url) {
  const Deadline deadline(fetcher.options().totalTime);
  auto head = fetcher.fetch(Method::kHead, url.url, deadline);
  if (!head.ok() && head.error().code == "forbidden_target") return head.error();
  if (head.ok() && isOk(head->status) && isMedia(classifyContentType(head->contentType)))
    return media(url, classifyContentType(head->contentType));

  auto page = fetcher.fetch(Method::kGet, url.url, deadline);
  if (!page.ok() && page.error().code == "forbidden_target") return page.error();
  if (!page.ok()) return fallback(url, ContentKind::kOther);
  if (!isOk(page->status) || page->body.empty()) return fallback(url, ContentKind::kHtml);
  if (isMedia(classifyContentType(page->contentType)))
    return media(url, classifyContentType(page->contentType));
  return htmlPreview(url, *page);
}

}  // namespace roomchat::preview
