// HttpClient is a small synchronous HTTP/1.1 client for the integration
// tests: one TCP connection per request (Connection: close), a cookie jar
// that holds the `roomchat_session` cookie from Set-Cookie, an optional
// Origin header added to every request, and JSON helpers.
//
// It never throws: a transport failure (refused, timed out) answers an
// HttpResponse with status 0 and `transportError` set. Copyable, so a test
// can clone a client to get a second cookie jar. Not thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace roomchat::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;  // 0: no response (see transportError)
  Headers headers;
  std::string body;
  nlohmann::json json;  // parsed body; null when the body is not JSON
  std::string transportError;

  // First header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
  std::vector<std::string> headerValues(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
  // json["error"]["code"], or "" when the body is not an error object.
  std::string errorCode() const;
  // True when the body is exactly {"error":{"code":<string>,"message":<string>}}.
  bool isErrorShape() const;
  // One line for assertion messages: "<status> <body>".
  std::string describe() const;
};

class HttpClient {
 public:
  HttpClient() : HttpClient(0) {}
  explicit HttpClient(int port, std::string host = "127.0.0.1");

  HttpResponse request(std::string_view method, std::string_view target,
                       const std::optional<std::string>& body = std::nullopt,
                       const Headers& extraHeaders = {},
                       std::string_view contentType = "application/json");
  HttpResponse get(std::string_view target, const Headers& extra = {});
  HttpResponse del(std::string_view target, const Headers& extra = {});
  HttpResponse post(std::string_view target, const nlohmann::json& body = nlohmann::json::object(),
                    const Headers& extra = {});
  HttpResponse postEmpty(std::string_view target, const Headers& extra = {});
  HttpResponse put(std::string_view target, const Headers& extra = {});
  HttpResponse patch(std::string_view target, const nlohmann::json& body,
                     const Headers& extra = {});

  // Origin header sent with every request unless the request's own headers
  // already hold one. nullopt: no Origin header.
  void setOrigin(std::optional<std::string> origin) { origin_ = std::move(origin); }
  const std::optional<std::string>& origin() const { return origin_; }

  // The roomchat_session cookie value, if the jar holds one.
  const std::optional<std::string>& session() const { return session_; }
  void setSession(std::optional<std::string> token) { session_ = std::move(token); }
  void clearCookies() { session_.reset(); }
  // "roomchat_session=<token>" or "" for a Cookie header.
  std::string cookieHeader() const;

  int port() const { return port_; }
  std::chrono::seconds timeout = std::chrono::seconds(20);

 private:
  void absorbCookies(const HttpResponse& res);

  int port_;
  std::string host_;
  std::optional<std::string> origin_;
  std::optional<std::string> session_;
};

// "a,b,c" percent-encoding of a query value (RFC 3986 unreserved kept).
std::string urlEncode(std::string_view s);

}  // namespace roomchat::test
