#include "auth/oidc.h"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <fstream>
#include <iterator>
#include <regex>

#include <nlohmann/json.hpp>

#include "base/ids.h"

namespace roomchat::auth {

using Json = nlohmann::json;

namespace {

constexpr int64_t kDiscoveryTtlMs = 24 * 3600 * 1000;
constexpr long kFetchTimeoutMs = 10000;
constexpr size_t kMaxReplyBytes = 1 << 20;

Error unavailable(const std::string& what) { return makeError("provider_unavailable", what); }

std::string trimmed(std::string s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// RFC 3986 unreserved kept, everything else %XX (form and Basic encoding).
std::string formEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

size_t appendCapped(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > kMaxReplyBytes) return 0;  // aborts the transfer
  body->append(data, size * count);
  return size * count;
}

// RFC 6749 §2.3.1: id and secret form-encoded, joined by ':', base64.
std::string basicCredentials(const std::string& id, const std::string& secret) {
  const std::string raw = formEncode(id) + ":" + formEncode(secret);
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return out;
}

struct Reply {
  long status = 0;
  std::string body;
};

// One request to a provider endpoint: GET, or POST of a form when `form` is set.
Result<Reply> fetch(const std::string& url, bool allowInsecureLoopback,
                    const std::optional<std::string>& form,
                    const std::vector<std::string>& headers = {}) {
  if (!isAllowedProviderUrl(url, allowInsecureLoopback))
    return unavailable("refusing to fetch " + url + " (not https)");
  static std::once_flag curlReady;
  std::call_once(curlReady, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return unavailable("curl_easy_init failed");
  CURL* c = curl.get();
  curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> owned(list, curl_slist_free_all);
  Reply reply;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, allowInsecureLoopback ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, kFetchTimeoutMs);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, appendCapped);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "roomchat-oidc");
  if (form) curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, form->c_str());
  if (CURLcode rc = curl_easy_perform(c); rc != CURLE_OK)
    return unavailable(url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

Result<Json> fetchJson(const std::string& url, bool allowInsecureLoopback) {
  auto reply = fetch(url, allowInsecureLoopback, std::nullopt);
  if (!reply.ok()) return reply.error();
  if (reply->status != 200) return unavailable(url + " answered " + std::to_string(reply->status));
  Json doc = Json::parse(reply->body, nullptr, false);
  if (!doc.is_object()) return unavailable(url + " did not answer a JSON object");
  return doc;
}

std::string stringOf(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<OidcProviderConfig> providerFrom(const Json& p) {
  auto bad = [&](const std::string& what) {
    return makeError("bad_config", "provider " + stringOf(p, "id") + ": " + what);
  };
  if (!p.is_object()) return makeError("bad_config", "a provider is not an object");
  OidcProviderConfig c;
  c.id = stringOf(p, "id");
  static const std::regex idRe("[a-z0-9_-]{1,32}");
  if (!std::regex_match(c.id, idRe)) return bad("id must be 1 to 32 of a-z 0-9 _ -");
  c.name = stringOf(p, "name");
  if (c.name.empty()) c.name = c.id;
  c.issuer = stringOf(p, "issuer");
  c.clientId = stringOf(p, "clientId");
  if (c.issuer.empty() || c.clientId.empty()) return bad("issuer and clientId are required");
  if (auto it = p.find("allowInsecureLoopback"); it != p.end() && it->is_boolean())
    c.allowInsecureLoopback = it->get<bool>();
  if (!isAllowedProviderUrl(c.issuer, c.allowInsecureLoopback))
    return bad("issuer must be an https URL");
  if (std::string scopes = stringOf(p, "scopes"); !scopes.empty()) c.scopes = scopes;
  if (c.scopes.find("openid") == std::string::npos) c.scopes = "openid " + c.scopes;
  if (std::string auth = stringOf(p, "tokenAuth"); !auth.empty()) c.tokenAuth = auth;
  if (c.tokenAuth != "client_secret_basic" && c.tokenAuth != "client_secret_post" &&
      c.tokenAuth != "none")
    return bad("tokenAuth must be client_secret_basic, client_secret_post or none");
  if (std::string file = stringOf(p, "clientSecretFile"); !file.empty()) {
    std::ifstream in(file);
    if (!in) return bad("cannot read " + file);
    c.clientSecret = trimmed(std::string(std::istreambuf_iterator<char>(in), {}));
  } else if (std::string env = stringOf(p, "clientSecretEnv"); !env.empty()) {
    const char* v = std::getenv(env.c_str());
    c.clientSecret = v ? trimmed(v) : "";
  }
  if (c.clientSecret.empty() && c.tokenAuth != "none")
    return bad("a client secret (clientSecretFile or clientSecretEnv) is required");
  return c;
}

}  // namespace

Result<std::vector<OidcProviderConfig>> loadOidcConfig(const std::string& file) {
  std::ifstream in(file);
  if (!in) return makeError("bad_config", "cannot read " + file);
  Json doc = Json::parse(std::string(std::istreambuf_iterator<char>(in), {}), nullptr, false);
  if (!doc.is_object() || !doc.contains("providers") || !doc["providers"].is_array())
    return makeError("bad_config", file + ": expected {\"providers\": [...]}");
  std::vector<OidcProviderConfig> out;
  for (const auto& p : doc["providers"]) {
    auto c = providerFrom(p);
    if (!c.ok()) return c.error();
    for (const auto& seen : out)
      if (seen.id == c->id) return makeError("bad_config", "provider id " + c->id + " repeated");
    out.push_back(std::move(*c));
  }
  return out;
}

bool isSafeRedirectPath(std::string_view path) {
  if (path.empty() || path.size() > 512 || path[0] != '/') return false;
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  // "/x:y" is a path, but a scheme-looking start of the path is refused anyway.
  const size_t colon = path.find(':'), slash = path.find('/', 1);
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash))
    return false;
  return true;
}

bool isAllowedProviderUrl(std::string_view url, bool allowInsecureLoopback) {
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (allowInsecureLoopback && url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string_view host = authority;
    if (host.rfind("[::1]", 0) == 0) host = "[::1]";
    else host = host.substr(0, host.find(':'));
    if (host != "127.0.0.1" && host != "localhost" && host != "[::1]") return false;
  } else {
    return false;
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  return !authority.empty() && authority.find('@') == std::string_view::npos &&
         url.find_first_of(" \t\r\n\\") == std::string_view::npos;
}

std::string pkceChallenge(std::string_view verifier) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(verifier.data()),
                     verifier.size());
  return base64UrlEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

// --- OidcProvider ---

Status OidcProvider::discover() {
  auto e = endpoints();
  if (!e.ok()) return e.error();
  return Ok{};
}

Result<OidcProvider::Endpoints> OidcProvider::endpoints() {
  const int64_t now = nowMs();
  {
    MutexLock lock(mu_);
    if (endpoints_ && now - endpoints_->fetchedAtMs < kDiscoveryTtlMs) return *endpoints_;
  }
  std::string base = config_.issuer;
  if (!base.empty() && base.back() == '/') base.pop_back();
  auto doc = fetchJson(base + "/.well-known/openid-configuration", config_.allowInsecureLoopback);
  if (!doc.ok()) {
    MutexLock lock(mu_);
    if (endpoints_) return *endpoints_;  // stale beats none: the endpoints rarely move
    return doc.error();
  }
  if (stringOf(*doc, "issuer") != config_.issuer)
    return unavailable("the discovery document names another issuer");
  Endpoints e{stringOf(*doc, "authorization_endpoint"), stringOf(*doc, "token_endpoint"),
              stringOf(*doc, "jwks_uri"), stringOf(*doc, "userinfo_endpoint"), now};
  if (!isAllowedProviderUrl(e.userinfo, config_.allowInsecureLoopback)) e.userinfo.clear();
  for (const std::string* url : {&e.authorization, &e.token, &e.jwks})
    if (!isAllowedProviderUrl(*url, config_.allowInsecureLoopback))
      return unavailable("the discovery document has a missing or non-https endpoint");
  MutexLock lock(mu_);
  endpoints_ = e;
  return e;
}

Result<JwkSet> OidcProvider::keys(bool refetch) {
  {
    MutexLock lock(mu_);
    if (keys_ && !refetch) return *keys_;
  }
  auto e = endpoints();
  if (!e.ok()) return e.error();
  auto reply = fetch(e->jwks, config_.allowInsecureLoopback, std::nullopt);
  if (!reply.ok()) return reply.error();
  if (reply->status != 200) return unavailable("the JWKS endpoint answered " +
                                               std::to_string(reply->status));
  auto set = JwkSet::parse(reply->body);
  if (!set.ok()) return unavailable("the JWKS endpoint did not answer a key set");
  MutexLock lock(mu_);
  keys_ = *set;
  return *set;
}

Result<std::string> OidcProvider::authorizeUrl(const std::string& state, const std::string& nonce,
                                               const std::string& verifier,
                                               const std::string& redirectUri) {
  auto e = endpoints();
  if (!e.ok()) return e.error();
  const char sep = e->authorization.find('?') == std::string::npos ? '?' : '&';
  return e->authorization + sep + "response_type=code&client_id=" + formEncode(config_.clientId) +
         "&redirect_uri=" + formEncode(redirectUri) + "&scope=" + formEncode(config_.scopes) +
         "&state=" + formEncode(state) + "&nonce=" + formEncode(nonce) +
         "&code_challenge=" + pkceChallenge(verifier) + "&code_challenge_method=S256";
}

Result<IdTokenClaims> OidcProvider::redeem(const std::string& code, const PendingLogin& login,
                                           const std::string& redirectUri, int64_t nowMs) {
  auto e = endpoints();
  if (!e.ok()) return e.error();
  std::string form = "grant_type=authorization_code&code=" + formEncode(code) +
                     "&redirect_uri=" + formEncode(redirectUri) +
                     "&code_verifier=" + formEncode(login.verifier);
  std::vector<std::string> headers;
  if (config_.tokenAuth == "client_secret_basic") {
    // RFC 6749 §2.3.1: id and secret form-encoded, then Basic.
    headers.push_back("Authorization: Basic " + basicCredentials(config_.clientId,
                                                                 config_.clientSecret));
  } else {
    form += "&client_id=" + formEncode(config_.clientId);
    if (config_.tokenAuth == "client_secret_post")
      form += "&client_secret=" + formEncode(config_.clientSecret);
  }
  auto reply = fetch(e->token, config_.allowInsecureLoopback, form, headers);
  if (!reply.ok()) return reply.error();
  Json doc = Json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || !doc.is_object()) {
    const std::string error = doc.is_object() ? stringOf(doc, "error") : "";
    return makeError("provider_error", "the token endpoint answered " +
                                           std::to_string(reply->status) + " " + error);
  }
  const std::string idToken = stringOf(doc, "id_token");
  if (idToken.empty()) return makeError("provider_error", "the token answer has no id_token");
  auto claims = validate(idToken, login.nonce, nowMs);
  if (claims.ok() && claims->name.empty() && claims->preferredUsername.empty())
    addUserinfo(*e, stringOf(doc, "access_token"), *claims);
  return claims;
}

void OidcProvider::addUserinfo(const Endpoints& e, const std::string& accessToken,
                               IdTokenClaims& claims) {
  if (e.userinfo.empty() || accessToken.empty()) return;
  auto reply = fetch(e.userinfo, config_.allowInsecureLoopback, std::nullopt,
                     {"Authorization: Bearer " + accessToken});
  if (!reply.ok() || reply->status != 200) return;
  Json info = Json::parse(reply->body, nullptr, false);
  // OpenID Connect Core §5.3.2: the answer is for this user only if sub matches.
  if (!info.is_object() || stringOf(info, "sub") != claims.subject) return;
  claims.name = stringOf(info, "name");
  claims.preferredUsername = stringOf(info, "preferred_username");
  if (claims.email.empty()) claims.email = stringOf(info, "email");
}

Result<IdTokenClaims> OidcProvider::validate(const std::string& idToken, const std::string& nonce,
                                             int64_t nowMs) {
  auto jws = parseJws(idToken);
  if (!jws.ok()) return jws.error();
  auto set = keys(false);
  if (!set.ok()) return set.error();
  auto candidates = set->candidates(jws->kid(), jws->alg());
  if (candidates.empty() || (!jws->kid().empty() && !set->hasKid(jws->kid()))) {
    // The provider may have rotated its keys: one fresh look.
    set = keys(true);
    if (!set.ok()) return set.error();
    candidates = set->candidates(jws->kid(), jws->alg());
  }
  if (!verifyWithAny(*jws, candidates))
    return makeError("invalid_token", "the id_token signature does not verify");
  IdTokenExpectations expect;
  expect.issuer = config_.issuer;
  expect.clientId = config_.clientId;
  expect.nonce = nonce;
  expect.nowSeconds = nowMs / 1000;
  return checkIdTokenClaims(jws->payload, expect);
}

// --- OidcService ---

OidcService::OidcService(const std::vector<OidcProviderConfig>& providers) {
  for (const auto& p : providers) providers_.push_back(std::make_unique<OidcProvider>(p));
}

OidcProvider* OidcService::provider(std::string_view id) const {
  for (const auto& p : providers_)
    if (p->config().id == id) return p.get();
  return nullptr;
}

std::vector<std::string> OidcService::discoverAll() {
  std::vector<std::string> failures;
  for (const auto& p : providers_)
    if (Status s = p->discover(); !s.ok())
      failures.push_back(p->config().id + ": " + s.error().message);
  return failures;
}

void OidcService::dropExpired(int64_t nowMs) {
  for (auto it = pending_.begin(); it != pending_.end();)
    it = it->second.expiresAtMs <= nowMs ? pending_.erase(it) : std::next(it);
}

Result<std::string> OidcService::addPending(PendingLogin login, int64_t nowMs) {
  std::string state = randomToken();
  login.expiresAtMs = nowMs + kLoginTtlMs;
  MutexLock lock(mu_);
  if (pending_.size() >= kMaxPending) dropExpired(nowMs);
  if (pending_.size() >= kMaxPending)
    return makeError("rate_limited", "too many sign-ins in progress; try again later");
  pending_.emplace(sha256Hex(state), std::move(login));
  return state;
}

Result<PendingLogin> OidcService::takePending(const std::string& state,
                                              const std::string& browserHash, int64_t nowMs) {
  MutexLock lock(mu_);
  auto it = pending_.find(sha256Hex(state));
  if (it == pending_.end()) return makeError("invalid_state", "unknown or used state");
  PendingLogin login = std::move(it->second);
  pending_.erase(it);
  if (login.expiresAtMs <= nowMs) return makeError("invalid_state", "the sign-in expired");
  if (browserHash.empty() || login.browserHash != browserHash)
    return makeError("invalid_state", "the sign-in was started by another browser");
  return login;
}

size_t OidcService::pendingCount() {
  MutexLock lock(mu_);
  return pending_.size();
}

}  // namespace roomchat::auth
