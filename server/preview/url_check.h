// The checks a link-preview URL must pass before anything is fetched, and
// again for every redirect target: an absolute http or https URL with a host,
// no user name or password in it, at most kMaxUrlLength bytes, no white space
// or control characters. Parsing is libcurl's (the CURLU API), so the URL
// judged here is the URL the fetcher will request.
//
// Also: resolving a reference (an og:image, a Location) against a base URL
// (RFC 3986 section 5, by libcurl), and the "file name" a preview shows for a
// URL that has no title of its own. Pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roomchat::preview {

inline constexpr size_t kMaxUrlLength = 2048;

struct CheckedUrl {
  std::string url;       // normalized by libcurl, without its #fragment
  std::string host;      // as in the URL (an IPv6 literal keeps its brackets)
  std::string fileName;  // last path segment, percent-decoded; "" when the path ends in '/'
};

// Error{"bad_url"} with a message that says what is wrong.
Result<CheckedUrl> checkUrl(std::string_view url);

// `reference` resolved against the absolute URL `base`; nullopt when either
// does not parse.
std::optional<std::string> resolveReference(std::string_view base, std::string_view reference);

// What a preview shows when a page gives no title: the file name, else the host.
std::string fileNameOrHost(const CheckedUrl& url);

}  // namespace roomchat::preview
