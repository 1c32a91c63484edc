// OpenID Connect relying party (authorization code flow with PKCE S256):
// the configured providers, their discovery documents and key sets, the
// pending logins, the code exchange and the id_token validation.
//
// Owns: per provider, the discovery document (fetched from
// <issuer>/.well-known/openid-configuration, kept 24 h and then used stale
// while a new fetch fails; never fetched: tried again at each use, so an
// unreachable provider is never fatal) and the
// JWK Set (fetched again once when a token names an unknown kid). The pending
// logins (state → verifier, nonce, redirect, browser binding), in memory.
//
// Promises: a state is single-use (take() removes it whatever the outcome),
// lives 10 minutes and is honoured only for the browser that started it (the
// hash of its binding cookie). Provider endpoints are reached only over
// verified HTTPS, or plain http to a loopback issuer when the provider's
// configuration says allowInsecureLoopback (tests); redirects are not
// followed. An id_token is accepted only as jwt.h validates it. Errors:
// "not_found" (unknown provider), "invalid_state", "provider_unavailable",
// "provider_error" (the provider refused the code), "invalid_token",
// "rate_limited" (too many pending logins). Thread-safe; calls that reach the
// provider block (up to ~10 s): run them on the work pool.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"
#include "base/result.h"
#include "base/thread_annotations.h"

namespace roomchat::auth {

struct OidcProviderConfig {
  std::string id;      // [a-z0-9_-]{1,32}, the path segment of its routes
  std::string name;    // shown on the login button
  std::string issuer;  // exactly as the provider's "iss"
  std::string clientId;
  std::string clientSecret;  // "" for a public client (tokenAuth "none")
  std::string scopes = "openid profile email";
  std::string tokenAuth = "client_secret_basic";  // | client_secret_post | none
  bool allowInsecureLoopback = false;  // TEST ONLY: http to 127.0.0.1 / localhost / [::1]
};

// Reads the providers file, a JSON document:
//   {"providers": [{"id", "name", "issuer", "clientId", "clientSecretFile" |
//    "clientSecretEnv", "scopes"?, "tokenAuth"?, "allowInsecureLoopback"?}]}
// The secret comes from the file (white space trimmed) or the environment
// variable named; Error{"bad_config"} says what is wrong.
Result<std::vector<OidcProviderConfig>> loadOidcConfig(const std::string& file);

// True for a same-origin path: starts with one '/', not "//" nor "/\", no
// backslash, control character or scheme anywhere, at most 512 chars.
bool isSafeRedirectPath(std::string_view path);

// True when `url` may be fetched for this provider (see the header comment).
bool isAllowedProviderUrl(std::string_view url, bool allowInsecureLoopback);

// base64url(SHA-256(verifier)), RFC 7636 §4.2.
std::string pkceChallenge(std::string_view verifier);

struct PendingLogin {
  std::string provider;
  std::string verifier;  // PKCE code_verifier
  std::string nonce;
  std::string redirect;    // a safe path
  std::string browserHash;  // sha256Hex of the binding cookie
  std::string linkUserId;   // non-empty: link to this signed-in user
  int64_t expiresAtMs = 0;
};

class OidcProvider {
 public:
  explicit OidcProvider(OidcProviderConfig config) : config_(std::move(config)) {}
  const OidcProviderConfig& config() const { return config_; }

  // Fetches the discovery document unless a fresh one is cached.
  Status discover();
  // The authorization request URL.
  Result<std::string> authorizeUrl(const std::string& state, const std::string& nonce,
                                   const std::string& verifier, const std::string& redirectUri);
  // Exchanges the code and validates the id_token it brings. When the
  // id_token names the user neither by name nor by preferred_username (a
  // provider that keeps profile claims for userinfo), they are read from the
  // userinfo endpoint with the access token, if its "sub" is the same; a
  // userinfo failure only leaves them empty.
  Result<IdTokenClaims> redeem(const std::string& code, const PendingLogin& login,
                               const std::string& redirectUri, int64_t nowMs);

 private:
  struct Endpoints {
    std::string authorization, token, jwks, userinfo;  // userinfo may be ""
    int64_t fetchedAtMs = 0;
  };
  Result<Endpoints> endpoints();
  Result<JwkSet> keys(bool refetch);
  void addUserinfo(const Endpoints& e, const std::string& accessToken, IdTokenClaims& claims);
  Result<IdTokenClaims> validate(const std::string& idToken, const std::string& nonce,
                                 int64_t nowMs);

  const OidcProviderConfig config_;
  Mutex mu_;
  std::optional<Endpoints> endpoints_ GUARDED_BY(mu_);
  std::optional<JwkSet> keys_ GUARDED_BY(mu_);
};

class OidcService {
 public:
  static constexpr int64_t kLoginTtlMs = 10 * 60 * 1000;
  static constexpr size_t kMaxPending = 10000;

  explicit OidcService(const std::vector<OidcProviderConfig>& providers);

  // In configuration order.
  const std::vector<std::unique_ptr<OidcProvider>>& providers() const { return providers_; }
  OidcProvider* provider(std::string_view id) const;  // nullptr when unknown
  // Start-up: tries each provider's discovery once; answers the failures.
  std::vector<std::string> discoverAll();

  // Stores `login` under a new random state and answers that state.
  // "rate_limited" when kMaxPending unexpired logins wait.
  Result<std::string> addPending(PendingLogin login, int64_t nowMs) EXCLUDES(mu_);
  // Removes the login of `state` and answers it when it is unexpired and was
  // started by the browser whose binding hashes to `browserHash`;
  // Error{"invalid_state"} otherwise (the state is gone either way).
  Result<PendingLogin> takePending(const std::string& state, const std::string& browserHash,
                                   int64_t nowMs) EXCLUDES(mu_);
  size_t pendingCount() EXCLUDES(mu_);

 private:
  void dropExpired(int64_t nowMs) REQUIRES(mu_);

  std::vector<std::unique_ptr<OidcProvider>> providers_;
  Mutex mu_;
  std::map<std::string, PendingLogin> pending_ GUARDED_BY(mu_);  // by sha256Hex(state)
};

}  // namespace roomchat::auth
