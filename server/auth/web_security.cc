#include "auth/web_security.h"

#include <algorithm>
#include <charconv>

namespace roomchat::auth {
namespace {

// Origins are short; anything longer is not one a browser would send.
constexpr size_t kMaxOriginLength = 1024;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// "http" or "https" (any case) before "://"; the rest goes to `authority`.
std::optional<std::string> splitScheme(std::string_view origin, std::string_view& authority) {
  size_t sep = origin.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  std::string scheme = lowered(origin.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  authority = origin.substr(sep + 3);
  return scheme;
}

// A registered name: letters, digits, '-', '.', '_' (punycode for the rest).
bool isRegName(std::string_view host) {
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return isAlnum(c) || c == '-' || c == '.' || c == '_'; });
}

// The bracketed IPv6 literal's inside: hex, ':' and '.' (IPv4-mapped); no
// zone ids, which never appear in an Origin.
bool isIpv6Literal(std::string_view inside) {
  if (inside.find(':') == std::string_view::npos) return false;
  return std::all_of(inside.begin(), inside.end(),
                     [](char c) { return isHex(c) || c == ':' || c == '.'; });
}

// Splits "host[:port]" into a lowercased host and the port text after ':'.
std::optional<std::string> splitHost(std::string_view authority, std::string_view& portText,
                                     bool& hasPort) {
  size_t hostEnd;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || !isIpv6Literal(authority.substr(1, close - 1))) {
      return std::nullopt;
    }
    hostEnd = close + 1;
  } else {
    hostEnd = std::min(authority.find(':'), authority.size());
    if (!isRegName(authority.substr(0, hostEnd))) return std::nullopt;
  }
  std::string_view rest = authority.substr(hostEnd);
  hasPort = !rest.empty();
  if (hasPort && rest.front() != ':') return std::nullopt;
  portText = hasPort ? rest.substr(1) : rest;
  return lowered(authority.substr(0, hostEnd));
}

// 1..65535, digits only.
std::optional<int> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

std::string cookieAttributes(bool secure, long maxAgeSeconds) {
  std::string out = "; Path=/; HttpOnly; SameSite=Lax; Max-Age=";
  out += std::to_string(std::max(0L, maxAgeSeconds));
  if (secure) out += "; Secure";
  return out;
}

}  // namespace

std::optional<std::string> normalizeOrigin(std::string_view origin) {
  if (origin.size() > kMaxOriginLength) return std::nullopt;
  std::string_view authority;
  std::optional<std::string> scheme = splitScheme(origin, authority);
  if (!scheme) return std::nullopt;
  // A lone trailing '/' is tolerated for configured origins; any other path,
  // query, fragment or userinfo is not an origin.
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  std::string_view portText;
  bool hasPort = false;
  std::optional<std::string> host = splitHost(authority, portText, hasPort);
  if (!host) return std::nullopt;
  std::string out = *scheme + "://" + *host;
  if (!hasPort) return out;
  std::optional<int> port = parsePort(portText);
  if (!port) return std::nullopt;
  int defaultPort = *scheme == "https" ? 443 : 80;
  if (*port != defaultPort) out += ":" + std::to_string(*port);
  return out;
}

OriginPolicy::OriginPolicy(std::string publicOrigin, std::vector<std::string> extra) {
  // Keep the configured text when it does not normalize: the policy then
  // allows no browser origin at all, failing closed.
  std::optional<std::string> normalized = normalizeOrigin(publicOrigin);
  public_ = normalized ? *normalized : std::move(publicOrigin);
  if (normalized) allowed_.push_back(*normalized);
  for (const std::string& origin : extra) {
    if (std::optional<std::string> n = normalizeOrigin(origin)) allowed_.push_back(*n);
  }
}

bool OriginPolicy::allows(std::optional<std::string_view> origin) const {
  if (!origin) return true;
  // "null" (sandboxed frames, file://, some redirects) never normalizes.
  std::optional<std::string> normalized = normalizeOrigin(*origin);
  if (!normalized) return false;
  return std::find(allowed_.begin(), allowed_.end(), *normalized) != allowed_.end();
}

bool OriginPolicy::secure() const { return lowered(public_).starts_with("https://"); }

std::optional<std::string> cookieValue(std::string_view cookieHeader, std::string_view name) {
  if (name.empty()) return std::nullopt;
  while (!cookieHeader.empty()) {
    size_t semi = std::min(cookieHeader.find(';'), cookieHeader.size());
    std::string_view pair = trimOws(cookieHeader.substr(0, semi));
    cookieHeader.remove_prefix(std::min(semi + 1, cookieHeader.size()));
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;  // not a name=value pair
    if (trimOws(pair.substr(0, eq)) != name) continue;
    return std::string(unquote(trimOws(pair.substr(eq + 1))));
  }
  return std::nullopt;
}

std::string sessionCookie(std::string_view token, bool secure, long maxAgeSeconds) {
  return std::string(kSessionCookie) + "=" + std::string(token) +
         cookieAttributes(secure, maxAgeSeconds);
}

std::string clearedSessionCookie(bool secure) {
  return std::string(kSessionCookie) + "=" + cookieAttributes(secure, 0);
}

}  // namespace roomchat::auth
