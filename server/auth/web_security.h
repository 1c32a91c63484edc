// The HTTP-level guards of API.md's conventions: the allowed-origin check on
// state-changing requests and WebSocket upgrades, and the session cookie.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roomchat::auth {

inline constexpr std::string_view kSessionCookie = "roomchat_session";

class OriginPolicy {
 public:
  // publicOrigin like "http://127.0.0.1:8080"; extra origins likewise.
  OriginPolicy(std::string publicOrigin, std::vector<std::string> extra);
  // A request without an Origin header is allowed (not a browser cross-site
  // request); with one, it must match an allowed origin exactly
  // (scheme://host[:port], case-insensitive, default ports normalized).
  bool allows(std::optional<std::string_view> origin) const;
  const std::string& publicOrigin() const { return public_; }
  bool secure() const;  // public origin is https

 private:
  std::string public_;
  std::vector<std::string> allowed_;  // normalized
};

// "scheme://host[:port]" lowercased, with :80 / :443 dropped for http / https;
// nullopt when it is not an http(s) origin.
std::optional<std::string> normalizeOrigin(std::string_view origin);

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> cookieValue(std::string_view cookieHeader, std::string_view name);
// Set-Cookie values: HttpOnly, SameSite=Lax, Path=/, Secure when `secure`.
std::string sessionCookie(std::string_view token, bool secure, long maxAgeSeconds);
std::string clearedSessionCookie(bool secure);

}  // namespace roomchat::auth
