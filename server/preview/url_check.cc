#include "preview/url_check.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace roomchat::preview {
namespace {

struct UrlFree {
  void operator()(CURLU* h) const { curl_url_cleanup(h); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlFree>;

// A part of a parsed URL; nullopt when the URL has none.
std::optional<std::string> part(CURLU* h, CURLUPart which, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(h, which, &out, flags) != CURLUE_OK || out == nullptr) return std::nullopt;
  std::string value(out);
  curl_free(out);
  return value;
}

bool hasSpaceOrControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
}

Error badUrl(std::string message) { return makeError("bad_url", std::move(message)); }

std::string lastSegment(CURLU* h) {
  std::string path = part(h, CURLUPART_PATH, CURLU_URLDECODE).value_or("");
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<CheckedUrl> checkUrl(std::string_view url) {
  if (url.empty()) return badUrl("url is required");
  if (url.size() > kMaxUrlLength)
    return badUrl("url is longer than " + std::to_string(kMaxUrlLength) + " bytes");
  if (hasSpaceOrControl(url)) return badUrl("url must not hold spaces or control characters");
  UrlHandle h(curl_url());
  if (!h) return makeError("internal", "out of memory");
  if (curl_url_set(h.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK)
    return badUrl("url is not an absolute http or https URL");
  const std::string scheme = part(h.get(), CURLUPART_SCHEME).value_or("");
  if (scheme != "http" && scheme != "https") return badUrl("only http and https URLs are previewed");
  if (part(h.get(), CURLUPART_USER) || part(h.get(), CURLUPART_PASSWORD) ||
      part(h.get(), CURLUPART_OPTIONS))
    return badUrl("url must not carry a user name or password");
  auto host = part(h.get(), CURLUPART_HOST);
  if (!host || host->empty()) return badUrl("url has no host");
  curl_url_set(h.get(), CURLUPART_FRAGMENT, nullptr, 0);
  auto normalized = part(h.get(), CURLUPART_URL);
  if (!normalized) return badUrl("url is not an absolute http or https URL");
  return CheckedUrl{*normalized, *host, lastSegment(h.get())};
}

std::optional<std::string> resolveReference(std::string_view base, std::string_view reference) {
  UrlHandle h(curl_url());
  if (!h || curl_url_set(h.get(), CURLUPART_URL, std::string(base).c_str(), 0) != CURLUE_OK)
    return std::nullopt;
  // On a handle that holds a URL, a relative one is resolved against it.
  if (curl_url_set(h.get(), CURLUPART_URL, std::string(reference).c_str(), 0) != CURLUE_OK)
    return std::nullopt;
  return part(h.get(), CURLUPART_URL);
}

std::string fileNameOrHost(const CheckedUrl& url) {
  return url.fileName.empty() ? url.host : url.fileName;
}

}  // namespace roomchat::preview
