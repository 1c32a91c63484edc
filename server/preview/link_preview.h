// A link preview as the API answers it, and how one is made: the original
// service's HEAD-then-GET, through a Fetcher (so with its address checks and
// caps), without its flaws.
//   1. HEAD the URL. A 2xx Content-Type of image/*, video/* or
//      application/pdf gives a media preview at once: title the file name
//      (else the host), image the URL itself for an image.
//   2. Otherwise GET it (Accept: text/html). A 2xx with a body is parsed
//      (html_meta.h) and is "html": title og:title, <title>, file name or
//      final host; a media Content-Type on the GET (servers that refuse HEAD)
//      gives the media preview of step 1. A GET that is not 2xx or has no body
//      gives {title: file name or host, contentType "html"}, as the original.
//   3. Any transport failure (time budget, too many redirects, connection
//      errors) gives {title: file name or host, contentType "other"}: the
//      original's "unknown", renamed by the contract.
// Only a refused target is an Error ("forbidden_target"): a client must
// not get the look of a private page, not even its name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "preview/fetcher.h"
#include "preview/url_check.h"

namespace roomchat::preview {

enum class ContentKind { kHtml, kImage, kVideo, kPdf, kOther };

// text/html (and application/xhtml+xml) → html, image/* → image, video/* →
// video, application/pdf → pdf, anything else (and "") → other.
ContentKind classifyContentType(std::string_view mediaType);
std::string_view nameOf(ContentKind kind);

struct LinkPreview {
  std::string url;
  std::string title;
  std::string description;
  std::optional<std::string> image;
  ContentKind contentType = ContentKind::kOther;
  // Not on the wire: the page could not be read and this is the stand-in
  // (cached for a shorter time).
  bool fallback = false;
};

Result<LinkPreview> makePreview(const Fetcher& fetcher, const CheckedUrl& url);

}  // namespace roomchat::preview
