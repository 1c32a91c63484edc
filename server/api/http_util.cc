#include "api/http_util.h"

#include "proto/cursor.h"

#include <algorithm>
#include <charconv>

#include <boost/beast/core/string.hpp>

#include "net/static_files.h"

namespace roomchat::api {

namespace http = net::http;

http::status statusOf(std::string_view code) {
  if (code.rfind("invalid_", 0) == 0 || code == "bad_request" || code == "hash_mismatch" ||
      code == "bad_url")
    return http::status::bad_request;
  if (code == "bad_signature" || code == "url_expired") return http::status::forbidden;
  if (code == "type_mismatch") return http::status::unsupported_media_type;
  if (code == "unauthenticated" || code == "bad_credentials") return http::status::unauthorized;
  if (code == "forbidden" || code == "bad_origin" || code == "room_limit" ||
      code == "forbidden_target")
    return http::status::forbidden;
  if (code == "not_found") return http::status::not_found;
  if (code == "conflict" || code == "username_taken" || code == "last_sign_in_method")
    return http::status::conflict;
  if (code == "provider_error") return http::status::bad_gateway;
  if (code == "too_large") return http::status::payload_too_large;
  if (code == "method_not_allowed") return http::status::method_not_allowed;
  if (code == "unsupported_media_type") return http::status::unsupported_media_type;
  if (code == "rate_limited") return http::status::too_many_requests;
  if (code == "storage_unavailable" || code == "unavailable" || code == "provider_unavailable")
    return http::status::service_unavailable;
  return http::status::internal_server_error;
}

net::Response jsonResponse(http::status status, const Json& body) {
  net::Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

net::Response errorResponse(const Error& error) {
  return jsonResponse(statusOf(error.code),
                      Json{{"error", {{"code", error.code}, {"message", error.message}}}});
}

net::Response errorResponse(std::string code, std::string message) {
  return errorResponse(Error{std::move(code), std::move(message)});
}

net::Response noContent() {
  net::Response res{http::status::no_content, 11};
  res.set(http::field::cache_control, "no-store");
  res.prepare_payload();
  return res;
}

namespace {

std::optional<std::string> formDecode(std::string_view s) {
  std::string spaced(s);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  return net::decodePath(spaced);
}

}  // namespace

std::string_view queryOf(std::string_view target) {
  const size_t mark = target.find('?');
  return mark == std::string_view::npos ? std::string_view{} : target.substr(mark + 1);
}

bool isJsonContentType(std::string_view value) {
  std::string_view type = value.substr(0, value.find(';'));
  const size_t first = type.find_first_not_of(" \t");
  if (first == std::string_view::npos) return false;
  type = type.substr(first, type.find_last_not_of(" \t") - first + 1);
  return boost::beast::iequals(type, "application/json");
}

std::map<std::string, std::string> parseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = formDecode(pair.substr(0, eq));
    auto value = formDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    // A malformed escape keeps a marker value that fails every later check.
    if (key) out.emplace(*key, value ? *value : std::string(1, '\0'));
  }
  return out;
}

Result<Json> parseJsonBody(std::string_view body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return makeError("bad_request", "the body must be a JSON object");
  return j;
}

Result<std::optional<int64_t>> intParam(const std::map<std::string, std::string>& query,
                                        const std::string& name, int64_t min, int64_t max) {
  auto it = query.find(name);
  if (it == query.end()) return std::optional<int64_t>{};
  const std::string& s = it->second;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < min || v > max)
    return makeError("invalid_" + name, name + " must be an integer from " + std::to_string(min) +
                                            " to " + std::to_string(max));
  return std::optional<int64_t>{v};
}

Result<std::optional<std::string>> stringField(const Json& body, const std::string& name) {
  auto it = body.find(name);
  if (it == body.end()) return std::optional<std::string>{};
  if (!it->is_string()) return makeError("invalid_" + name, name + " must be a string");
  return std::optional<std::string>{it->get<std::string>()};
}

Result<ListParams> keysetListParams(const std::map<std::string, std::string>& query,
                                    int64_t defaultLimit) {
  auto limit = intParam(query, "limit", 1, 100);
  if (!limit.ok()) return limit.error();
  ListParams p;
  p.limit = static_cast<int>(limit->value_or(defaultLimit));
  if (auto it = query.find("cursor"); it != query.end() && !it->second.empty()) {
    p.after = proto::decodeKeysetCursor(it->second);
    if (!p.after) return makeError("invalid_cursor", "the cursor is not valid");
  }
  return p;
}

}  // namespace roomchat::api
