#include "blob/sigv4.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

#include <openssl/sha.h>
#include <sodium.h>

namespace roomchat::blob::sigv4 {

namespace {

std::string toHex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Leading and trailing blanks dropped, inner runs of blanks made one space.
std::string trimAll(std::string_view v) {
  std::string out;
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hexValue(s[i + 1])) >= 0 &&
        (lo = hexValue(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "/a/./b/../c//" → "/a/c/": what every service but S3 signs.
std::string normalized(std::string_view path) {
  std::vector<std::string_view> kept;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!seg.empty() && seg != ".") {
      kept.push_back(seg);
    }
    start = end + 1;
  }
  std::string out;
  for (auto seg : kept) out += "/" + std::string(seg);
  const bool trailingSlash = path.size() > 1 && path.back() == '/';
  if (out.empty() || trailingSlash) out += "/";
  return out;
}

std::string canonicalQuery(const Pairs& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) encoded.emplace_back(uriEncode(k), uriEncode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

// Lowercased names, sorted; a repeated header's values joined by ','.
std::map<std::string, std::string> canonicalHeaderMap(const Pairs& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    auto [it, fresh] = out.try_emplace(lower(name), trimAll(value));
    if (!fresh) it->second += "," + trimAll(value);
  }
  return out;
}

std::string credential(const Credentials& c, const Scope& scope) {
  return c.accessKey + "/" + scope.str();
}

}  // namespace

std::string uriEncode(std::string_view s, bool keepSlash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

Pairs parseQuery(std::string_view query) {
  Pairs out;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(start, end - start);
    if (!item.empty()) {
      size_t eq = item.find('=');
      std::string_view k = item.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? "" : item.substr(eq + 1);
      out.emplace_back(percentDecode(k), percentDecode(v));
    }
    start = end + 1;
  }
  return out;
}

// OpenSSL's, not libsodium's: it uses the CPU's SHA extensions, several
// times faster on the megabytes of an uploaded image.
std::string hexSha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return toHex(digest, sizeof digest);
}

std::string signedHeaderNames(const Request& r) {
  std::string out;
  for (const auto& entry : canonicalHeaderMap(r.headers)) {
    if (!out.empty()) out += ';';
    out += entry.first;
  }
  return out;
}

std::string canonicalRequest(const Request& r, bool normalizePath) {
  std::string path = normalizePath ? uriEncode(normalized(r.path), true) : r.path;
  if (path.empty()) path = "/";
  std::string headers;
  for (const auto& [name, value] : canonicalHeaderMap(r.headers)) headers += name + ":" + value + "\n";
  return r.method + "\n" + path + "\n" + canonicalQuery(r.query) + "\n" + headers + "\n" +
         signedHeaderNames(r) + "\n" + r.payloadHash;
}

std::string stringToSign(std::string_view amzDate, const Scope& scope,
                         std::string_view canonicalRequest) {
  return "AWS4-HMAC-SHA256\n" + std::string(amzDate) + "\n" + scope.str() + "\n" +
         hexSha256(canonicalRequest);
}

std::string signature(std::string_view secretKey, const Scope& scope,
                      std::string_view stringToSign) {
  std::string key = hmac("AWS4" + std::string(secretKey), scope.date);
  key = hmac(key, scope.region);
  key = hmac(key, scope.service);
  key = hmac(key, "aws4_request");
  std::string sig = hmac(key, stringToSign);
  return toHex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

std::string authorization(const Credentials& c, const Scope& scope, std::string_view amzDate,
                          const Request& r, bool normalizePath) {
  const std::string sts = stringToSign(amzDate, scope, canonicalRequest(r, normalizePath));
  return "AWS4-HMAC-SHA256 Credential=" + credential(c, scope) +
         ", SignedHeaders=" + signedHeaderNames(r) +
         ", Signature=" + signature(c.secretKey, scope, sts);
}

std::string presign(const Credentials& c, const Scope& scope, std::string_view date,
                    int expiresSeconds, Request r) {
  r.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  r.query.emplace_back("X-Amz-Credential", credential(c, scope));
  r.query.emplace_back("X-Amz-Date", std::string(date));
  r.query.emplace_back("X-Amz-Expires", std::to_string(expiresSeconds));
  r.query.emplace_back("X-Amz-SignedHeaders", signedHeaderNames(r));
  const std::string sts = stringToSign(date, scope, canonicalRequest(r, false));
  return canonicalQuery(r.query) + "&X-Amz-Signature=" + signature(c.secretKey, scope, sts);
}

std::string amzDate(long long unixSeconds) {
  std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

long long parseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
  auto num = [&](size_t at, size_t n) { return std::stoi(std::string(s.substr(at, n))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return -1;
  return static_cast<long long>(timegm(&tm));
}

}  // namespace roomchat::blob::sigv4
