// TEST ONLY: signing keys made with OpenSSL for the JOSE tests: an RSA-2048
// or EC P-256 key pair, its public JWK and compact JWS signatures (RS256,
// ES256 as raw r||s). Header-only, used by auth's *_test.cc.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "auth/jwt.h"

namespace roomchat::auth::testkeys {

class TestKey {
 public:
  static TestKey rsa(std::string kid) {
    return TestKey(EVP_RSA_gen(2048), std::move(kid), "RS256");
  }
  static TestKey ec(std::string kid) {
    return TestKey(EVP_EC_gen("P-256"), std::move(kid), "ES256");
  }

  nlohmann::json publicJwk() const {
    nlohmann::json j = {{"kid", kid_}, {"use", "sig"}, {"alg", alg_}};
    if (alg_ == "RS256") {
      j["kty"] = "RSA";
      j["n"] = base64UrlEncode(bnParam(OSSL_PKEY_PARAM_RSA_N));
      j["e"] = base64UrlEncode(bnParam(OSSL_PKEY_PARAM_RSA_E));
    } else {
      unsigned char point[65];
      size_t len = 0;
      EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                      &len);
      j["kty"] = "EC";
      j["crv"] = "P-256";
      j["x"] = base64UrlEncode(std::string(reinterpret_cast<char*>(point + 1), 32));
      j["y"] = base64UrlEncode(std::string(reinterpret_cast<char*>(point + 33), 32));
    }
    return j;
  }

  // A compact JWS of `payload` with header {"alg", "kid", "typ": "JWT"}.
  std::string sign(const nlohmann::json& payload) const {
    nlohmann::json header = {{"alg", alg_}, {"kid", kid_}, {"typ", "JWT"}};
    std::string input = base64UrlEncode(header.dump()) + "." + base64UrlEncode(payload.dump());
    return input + "." + base64UrlEncode(signBytes(input));
  }

 private:
  TestKey(EVP_PKEY* key, std::string kid, std::string alg)
      : key_(key, EVP_PKEY_free), kid_(std::move(kid)), alg_(std::move(alg)) {}

  std::string bnParam(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), name, &bn);
    std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
  }

  std::string signBytes(const std::string& input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get());
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    if (alg_ != "ES256") return sig;
    // DER → raw r||s, 32 bytes each.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    return raw;
  }

  std::shared_ptr<EVP_PKEY> key_;
  std::string kid_;
  std::string alg_;
};

}  // namespace roomchat::auth::testkeys
