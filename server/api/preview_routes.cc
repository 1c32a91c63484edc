// API.md §6: link previews. The work (checks, cache, fetch) is
// preview::PreviewService's; this maps its answers onto the wire. A fetch
// blocks this work pool thread for up to the fetcher's time budget.
#include "api/router.h"
#include "preview/preview_service.h"

namespace roomchat::api {

namespace http = net::http;

namespace {

Json toJson(const preview::LinkPreview& p) {
  return Json{{"url", p.url},
              {"title", p.title},
              {"description", p.description},
              {"image", p.image ? Json(*p.image) : Json(nullptr)},
              {"contentType", preview::nameOf(p.contentType)}};
}

net::Response preview(Services& s, Call& c) {
  auto url = c.query.find("url");
  if (url == c.query.end()) return errorResponse("bad_url", "url is required");
  preview::PreviewReply reply = s.preview.get(c.session->user.id, url->second);
  if (!reply.result.ok()) {
    auto res = errorResponse(reply.result.error());
    if (reply.retryAfterSeconds > 0)
      res.set(http::field::retry_after, std::to_string(reply.retryAfterSeconds));
    return res;
  }
  auto res = jsonResponse(http::status::ok, toJson(*reply.result));
  // The same for every user, but only users may ask: the browser may keep it.
  res.set(http::field::cache_control, "private, max-age=3600");
  return res;
}

}  // namespace

void addPreviewRoutes(Router& router, Services& s) {
  router.add(http::verb::get, "/api/preview", [&s](Call& c) { return preview(s, c); });
}

}  // namespace roomchat::api
