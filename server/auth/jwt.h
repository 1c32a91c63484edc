// JOSE for OpenID Connect id_tokens, on OpenSSL's EVP API: base64url, JSON
// Web Keys (RSA and EC P-256 / P-384 public keys), JWS compact signatures
// (RS256, RS384, RS512, ES256, ES384) and the id_token claim checks of OpenID
// Connect Core §3.1.3.7.
//
// Promises: a token is accepted only when its signature verifies with a key
// of the provider's set AND the algorithm is the one that key is for (the
// JWK's "alg" when it names one, else the one its type and curve allow);
// "none", HMAC algorithms and any header with "crit" are refused whatever the
// token says. RSA keys under 2048 bits are refused. Every failure is an Error
// {"invalid_token"} whose message says what failed (for the log, never for
// the browser). Pure functions and immutable keys: safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace roomchat::auth {

// RFC 4648 §5 without padding. Decoding refuses padding and any other
// character; nullopt when the text is not base64url.
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

// One public key of a JWK Set. Immutable; copies share the OpenSSL key.
class Jwk {
 public:
  // Error{"invalid_token"} for a key that is not a usable public signing key
  // (unknown kty or curve, "use" other than "sig", a private part, an alg
  // this code does not verify, a short RSA modulus, a point off the curve).
  static Result<Jwk> parse(const nlohmann::json& jwk);

  const std::string& kid() const { return kid_; }  // "" when the key has none
  const std::string& alg() const { return alg_; }  // the one algorithm it verifies
  // True when `signature` (JWS encoding: raw r||s for ECDSA) is `alg`'s
  // signature of `input` by this key; false for any other alg.
  bool verify(std::string_view alg, std::string_view input, std::string_view signature) const;

 private:
  std::string kid_;
  std::string alg_;
  std::shared_ptr<EVP_PKEY> key_;
};

// A JWK Set ({"keys": [...]}). Keys that cannot be used (encryption keys,
// unknown types) are skipped, as RFC 7517 §5 asks; Error{"invalid_token"}
// when the document is not a JWK Set at all.
struct JwkSet {
  std::vector<Jwk> keys;
  static Result<JwkSet> parse(std::string_view json);
  // Keys that may have signed a token with this header's kid and alg.
  std::vector<const Jwk*> candidates(const std::string& kid, const std::string& alg) const;
  bool hasKid(const std::string& kid) const;
};

// A JWS in compact serialization, split and decoded (not yet verified).
struct Jws {
  nlohmann::json header;
  nlohmann::json payload;
  std::string signingInput;  // "<header>.<payload>" as received
  std::string signature;     // decoded bytes
  std::string alg() const;
  std::string kid() const;
};
// Error{"invalid_token"} for anything but three base64url parts of which the
// first two are JSON objects, a header without a supported alg, or with crit.
Result<Jws> parseJws(std::string_view token);

// True when one of `keys` verifies the token's signature with its own alg.
bool verifyWithAny(const Jws& jws, const std::vector<const Jwk*>& keys);

struct IdTokenExpectations {
  std::string issuer;    // must equal "iss" exactly
  std::string clientId;  // must be in "aud"; "azp", when present or when aud has several, too
  std::string nonce;     // must equal "nonce"
  int64_t nowSeconds = 0;
  int64_t skewSeconds = 60;     // allowed clock difference for exp and iat
  int64_t maxAgeSeconds = 600;  // iat older than this (plus skew) is refused
};

struct IdTokenClaims {
  std::string subject;  // "sub", 1..255 chars
  std::string name, preferredUsername, email, picture;  // "" when absent
  bool emailVerified = false;
};

// The claim checks (the signature must have been verified already).
Result<IdTokenClaims> checkIdTokenClaims(const nlohmann::json& payload,
                                         const IdTokenExpectations& expect);

}  // namespace roomchat::auth
