#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include <algorithm>

namespace roomchat::auth {

using Json = nlohmann::json;

namespace {

constexpr int kMinRsaBits = 2048;

Error bad(std::string message) { return makeError("invalid_token", std::move(message)); }

struct Alg {
  const char* name;
  const EVP_MD* (*md)();
  int ecBytes;  // 0 for RSA; the size of r and of s for ECDSA
};

const Alg* algByName(std::string_view name) {
  static const Alg algs[] = {{"RS256", EVP_sha256, 0}, {"RS384", EVP_sha384, 0},
                             {"RS512", EVP_sha512, 0}, {"ES256", EVP_sha256, 32},
                             {"ES384", EVP_sha384, 48}};
  for (const Alg& a : algs)
    if (name == a.name) return &a;
  return nullptr;
}

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

std::shared_ptr<EVP_PKEY> keyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    key = nullptr;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return key ? std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free) : nullptr;
}

std::optional<std::string> member(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Result<std::shared_ptr<EVP_PKEY>> rsaKey(const Json& jwk) {
  auto n = base64UrlDecode(member(jwk, "n").value_or(""));
  auto e = base64UrlDecode(member(jwk, "e").value_or(""));
  if (!n || !e || n->empty() || e->empty()) return bad("RSA key without n or e");
  auto bytes = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  Bn bn(BN_bin2bn(bytes(*n), static_cast<int>(n->size()), nullptr));
  Bn be(BN_bin2bn(bytes(*e), static_cast<int>(e->size()), nullptr));
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::shared_ptr<EVP_PKEY> key;
  if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn.get()) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be.get()))
    key = keyFromParams("RSA", bld);
  OSSL_PARAM_BLD_free(bld);
  if (!key) return bad("RSA key OpenSSL does not accept");
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) return bad("RSA key under 2048 bits");
  return key;
}

Result<std::shared_ptr<EVP_PKEY>> ecKey(const Json& jwk, const std::string& crv) {
  const char* group = crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : nullptr;
  const size_t size = crv == "P-256" ? 32 : 48;
  if (!group) return bad("EC key on an unsupported curve");
  auto x = base64UrlDecode(member(jwk, "x").value_or(""));
  auto y = base64UrlDecode(member(jwk, "y").value_or(""));
  if (!x || !y || x->size() != size || y->size() != size) return bad("EC key without x or y");
  std::string point = "\x04" + *x + *y;  // uncompressed
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::shared_ptr<EVP_PKEY> key;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
    key = keyFromParams("EC", bld);
  OSSL_PARAM_BLD_free(bld);
  if (!key) return bad("EC point not on the curve");
  // fromdata decodes the point; a check makes sure it is on the curve.
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr);
  const bool valid = ctx && EVP_PKEY_public_check(ctx) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!valid) return bad("EC point not on the curve");
  return key;
}

// The raw r||s of a JWS ECDSA signature as the DER that OpenSSL verifies.
std::optional<std::string> ecdsaDer(std::string_view raw, int half) {
  if (raw.size() != static_cast<size_t>(2 * half)) return std::nullopt;
  auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(p, half, nullptr);
  BIGNUM* s = BN_bin2bn(p + half, half, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<Json> jsonPart(std::string_view part, const char* what) {
  auto decoded = base64UrlDecode(part);
  if (!decoded) return bad(std::string(what) + " is not base64url");
  Json j = Json::parse(*decoded, nullptr, false);
  if (!j.is_object()) return bad(std::string(what) + " is not a JSON object");
  return j;
}

std::optional<int64_t> numericDate(const Json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) return std::nullopt;
  double v = it->get<double>();
  if (!(v >= 0 && v < 1e12)) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) {
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.find('\0'));
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(len);
  return out;
}

Result<Jwk> Jwk::parse(const Json& jwk) {
  if (!jwk.is_object()) return bad("a JWK is not an object");
  const std::string kty = member(jwk, "kty").value_or("");
  if (auto use = member(jwk, "use"); use && *use != "sig") return bad("not a signing key");
  if (jwk.contains("d")) return bad("a private key in a public key set");
  Jwk out;
  out.kid_ = member(jwk, "kid").value_or("");
  std::string natural;
  if (kty == "RSA") {
    auto key = rsaKey(jwk);
    if (!key.ok()) return key.error();
    out.key_ = *key;
    natural = "RS256";
  } else if (kty == "EC") {
    const std::string crv = member(jwk, "crv").value_or("");
    auto key = ecKey(jwk, crv);
    if (!key.ok()) return key.error();
    out.key_ = *key;
    natural = crv == "P-256" ? "ES256" : "ES384";
  } else {
    return bad("unsupported key type '" + kty + "'");
  }
  out.alg_ = member(jwk, "alg").value_or(natural);
  const Alg* alg = algByName(out.alg_);
  // The alg must fit the key: an RSA key never verifies ES*, a P-256 key only ES256.
  const bool fits = alg && (kty == "RSA" ? alg->ecBytes == 0 : out.alg_ == natural);
  if (!fits) return bad("key alg '" + out.alg_ + "' does not fit its key");
  return out;
}

bool Jwk::verify(std::string_view algName, std::string_view input,
                 std::string_view signature) const {
  const Alg* alg = algByName(algName);
  if (!alg || algName != alg_ || !key_) return false;
  std::string der;
  if (alg->ecBytes) {
    auto converted = ecdsaDer(signature, alg->ecBytes);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx, nullptr, alg->md(), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Result<JwkSet> JwkSet::parse(std::string_view json) {
  Json doc = Json::parse(json, nullptr, false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    return bad("not a JWK Set");
  JwkSet set;
  for (const auto& k : doc["keys"]) {
    auto key = Jwk::parse(k);
    if (key.ok()) set.keys.push_back(std::move(*key));
  }
  return set;
}

std::vector<const Jwk*> JwkSet::candidates(const std::string& kid, const std::string& alg) const {
  std::vector<const Jwk*> out;
  for (const auto& k : keys)
    if ((kid.empty() || k.kid() == kid) && k.alg() == alg) out.push_back(&k);
  return out;
}

bool JwkSet::hasKid(const std::string& kid) const {
  return std::any_of(keys.begin(), keys.end(), [&](const Jwk& k) { return k.kid() == kid; });
}

std::string Jws::alg() const { return member(header, "alg").value_or(""); }
std::string Jws::kid() const { return member(header, "kid").value_or(""); }

Result<Jws> parseJws(std::string_view token) {
  const size_t a = token.find('.');
  const size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
    return bad("not a compact JWS");
  Jws jws;
  auto header = jsonPart(token.substr(0, a), "header");
  if (!header.ok()) return header.error();
  auto payload = jsonPart(token.substr(a + 1, b - a - 1), "payload");
  if (!payload.ok()) return payload.error();
  auto signature = base64UrlDecode(token.substr(b + 1));
  if (!signature || signature->empty()) return bad("no signature");
  jws.header = std::move(*header);
  jws.payload = std::move(*payload);
  jws.signingInput = std::string(token.substr(0, b));
  jws.signature = std::move(*signature);
  if (!algByName(jws.alg())) return bad("unsupported alg '" + jws.alg() + "'");
  if (jws.header.contains("crit")) return bad("critical header parameters");
  if (jws.header.contains("kid") && !jws.header["kid"].is_string()) return bad("kid not a string");
  return jws;
}

bool verifyWithAny(const Jws& jws, const std::vector<const Jwk*>& keys) {
  return std::any_of(keys.begin(), keys.end(), [&](const Jwk* k) {
    return k->verify(jws.alg(), jws.signingInput, jws.signature);
  });
}

Result<IdTokenClaims> checkIdTokenClaims(const Json& payload, const IdTokenExpectations& expect) {
  if (member(payload, "iss").value_or("") != expect.issuer) return bad("wrong issuer");
  std::vector<std::string> audiences;
  if (auto aud = member(payload, "aud")) audiences.push_back(*aud);
  else if (payload.contains("aud") && payload["aud"].is_array())
    for (const auto& a : payload["aud"])
      if (a.is_string()) audiences.push_back(a.get<std::string>());
  if (std::find(audiences.begin(), audiences.end(), expect.clientId) == audiences.end())
    return bad("wrong audience");
  auto azp = member(payload, "azp");
  if ((audiences.size() > 1 || azp) && azp.value_or("") != expect.clientId)
    return bad("wrong authorized party");
  auto exp = numericDate(payload, "exp");
  auto iat = numericDate(payload, "iat");
  if (!exp || !iat) return bad("no exp or iat");
  if (*exp + expect.skewSeconds <= expect.nowSeconds) return bad("expired");
  if (*iat > expect.nowSeconds + expect.skewSeconds) return bad("issued in the future");
  if (*iat + expect.maxAgeSeconds + expect.skewSeconds < expect.nowSeconds)
    return bad("issued too long ago");
  if (expect.nonce.empty() || member(payload, "nonce").value_or("") != expect.nonce)
    return bad("wrong nonce");
  IdTokenClaims c;
  c.subject = member(payload, "sub").value_or("");
  if (c.subject.empty() || c.subject.size() > 255) return bad("no usable sub");
  c.name = member(payload, "name").value_or("");
  c.preferredUsername = member(payload, "preferred_username").value_or("");
  c.email = member(payload, "email").value_or("");
  c.picture = member(payload, "picture").value_or("");
  auto verified = payload.find("email_verified");
  c.emailVerified = verified != payload.end() && verified->is_boolean() && verified->get<bool>();
  return c;
}

}  // namespace roomchat::auth
