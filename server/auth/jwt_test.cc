#include "auth/jwt.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>

#include "auth/test_keys.h"

namespace roomchat::auth {
namespace {

using Json = nlohmann::json;
using testkeys::TestKey;

constexpr int64_t kNow = 1'800'000'000;

Json claims(const std::string& nonce = "n-1") {
  return {{"iss", "https://idp.example"}, {"aud", "roomchat"}, {"sub", "user-42"},
          {"nonce", nonce},               {"iat", kNow - 5},   {"exp", kNow + 300},
          {"name", "Ann Example"},        {"preferred_username", "ann"}};
}

IdTokenExpectations expected() {
  return {"https://idp.example", "roomchat", "n-1", kNow, 60, 600};
}

// The whole check the OIDC flow makes: parse, pick keys by kid and alg,
// verify, check claims.
Result<IdTokenClaims> validate(const std::string& token, const JwkSet& keys,
                               const IdTokenExpectations& expect = expected()) {
  auto jws = parseJws(token);
  if (!jws.ok()) return jws.error();
  if (!verifyWithAny(*jws, keys.candidates(jws->kid(), jws->alg())))
    return makeError("invalid_token", "bad signature");
  return checkIdTokenClaims(jws->payload, expect);
}

JwkSet setOf(std::initializer_list<const TestKey*> keys) {
  Json doc = {{"keys", Json::array()}};
  for (const TestKey* k : keys) doc["keys"].push_back(k->publicJwk());
  auto set = JwkSet::parse(doc.dump());
  EXPECT_TRUE(set.ok());
  return set.ok() ? *set : JwkSet{};
}

TEST(Base64Url, RoundTripsAndRefusesPaddingAndForeignCharacters) {
  const std::string bytes("\xfb\xff\x00hello", 8);
  EXPECT_EQ(base64UrlDecode(base64UrlEncode(bytes)), bytes);
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64UrlDecode("-_8="));
  EXPECT_FALSE(base64UrlDecode("+/8"));
  EXPECT_FALSE(base64UrlDecode("a b"));
}

TEST(IdToken, AnRs256TokenSignedByTheKeyIsAccepted) {
  TestKey rsa = TestKey::rsa("k1");
  auto c = validate(rsa.sign(claims()), setOf({&rsa}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->subject, "user-42");
  EXPECT_EQ(c->name, "Ann Example");
  EXPECT_EQ(c->preferredUsername, "ann");
}

TEST(IdToken, AnEs256TokenSignedByTheKeyIsAccepted) {
  TestKey ec = TestKey::ec("e1");
  auto c = validate(ec.sign(claims()), setOf({&ec}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->subject, "user-42");
}

TEST(IdToken, TheRightKeyIsPickedByKidAmongSeveral) {
  TestKey a = TestKey::rsa("a"), b = TestKey::ec("b");
  EXPECT_TRUE(validate(a.sign(claims()), setOf({&b, &a})).ok());
  EXPECT_TRUE(validate(b.sign(claims()), setOf({&a, &b})).ok());
}

TEST(IdToken, ATamperedSignatureOrPayloadIsRefused) {
  TestKey rsa = TestKey::rsa("k1");
  std::string token = rsa.sign(claims());
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(validate(flipped, setOf({&rsa})).ok());
  // Another payload with the original signature.
  Json other = claims();
  other["sub"] = "admin";
  std::string forged = rsa.sign(other);
  std::string mixed = forged.substr(0, forged.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_FALSE(validate(mixed, setOf({&rsa})).ok());
}

TEST(IdToken, AlgNoneIsRefusedEvenWithoutASignature) {
  TestKey rsa = TestKey::rsa("k1");
  std::string h = base64UrlEncode(R"({"alg":"none","kid":"k1"})");
  std::string p = base64UrlEncode(claims().dump());
  EXPECT_FALSE(validate(h + "." + p + ".", setOf({&rsa})).ok());
  EXPECT_FALSE(validate(h + "." + p + ".AAAA", setOf({&rsa})).ok());
  EXPECT_FALSE(parseJws(h + "." + p + ".AAAA").ok());
}

TEST(IdToken, HmacWithThePublicKeyAsSecretIsRefused) {
  TestKey rsa = TestKey::rsa("k1");
  std::string h = base64UrlEncode(R"({"alg":"HS256","kid":"k1"})");
  std::string p = base64UrlEncode(claims().dump());
  EXPECT_FALSE(validate(h + "." + p + ".AAAA", setOf({&rsa})).ok());
}

TEST(IdToken, ATokenSignedByAnotherKeyIsRefused) {
  TestKey published = TestKey::rsa("k1"), attacker = TestKey::rsa("k1");
  EXPECT_FALSE(validate(attacker.sign(claims()), setOf({&published})).ok());
  TestKey ecPublished = TestKey::ec("e1"), ecAttacker = TestKey::ec("e1");
  EXPECT_FALSE(validate(ecAttacker.sign(claims()), setOf({&ecPublished})).ok());
}

TEST(IdToken, TheAlgComesFromTheKeyNotFromTheToken) {
  // An RSA key is asked to verify an ES256 header: no candidate at all.
  TestKey rsa = TestKey::rsa("k1");
  TestKey ec = TestKey::ec("k1");
  EXPECT_FALSE(validate(ec.sign(claims()), setOf({&rsa})).ok());
  // A JWK that pins RS384 does not verify an RS256 token.
  Json jwk = rsa.publicJwk();
  jwk["alg"] = "RS384";
  auto pinned = JwkSet::parse(Json{{"keys", {jwk}}}.dump());
  ASSERT_TRUE(pinned.ok());
  ASSERT_EQ(pinned->keys.size(), 1u);
  EXPECT_FALSE(validate(rsa.sign(claims()), *pinned).ok());
}

TEST(IdToken, WrongAudienceIssuerAndNonceAreRefused) {
  TestKey rsa = TestKey::rsa("k1");
  JwkSet set = setOf({&rsa});
  Json c = claims();
  c["aud"] = "someone-else";
  EXPECT_EQ(validate(rsa.sign(c), set).error().message, "wrong audience");
  c = claims();
  c["iss"] = "https://evil.example";
  EXPECT_EQ(validate(rsa.sign(c), set).error().message, "wrong issuer");
  EXPECT_EQ(validate(rsa.sign(claims("other-nonce")), set).error().message, "wrong nonce");
  c = claims();
  c.erase("nonce");
  EXPECT_FALSE(validate(rsa.sign(c), set).ok());
}

TEST(IdToken, SeveralAudiencesNeedTheClientAsAuthorizedParty) {
  TestKey rsa = TestKey::rsa("k1");
  JwkSet set = setOf({&rsa});
  Json c = claims();
  c["aud"] = {"roomchat", "other-api"};
  EXPECT_FALSE(validate(rsa.sign(c), set).ok());
  c["azp"] = "other-api";
  EXPECT_FALSE(validate(rsa.sign(c), set).ok());
  c["azp"] = "roomchat";
  EXPECT_TRUE(validate(rsa.sign(c), set).ok());
}

TEST(IdToken, ExpiryAndIssueTimeAreCheckedWithASmallSkew) {
  TestKey rsa = TestKey::rsa("k1");
  JwkSet set = setOf({&rsa});
  Json c = claims();
  c["exp"] = kNow - 30;  // within the skew
  EXPECT_TRUE(validate(rsa.sign(c), set).ok());
  c["exp"] = kNow - 61;
  EXPECT_EQ(validate(rsa.sign(c), set).error().message, "expired");
  c = claims();
  c["iat"] = kNow + 120;
  EXPECT_EQ(validate(rsa.sign(c), set).error().message, "issued in the future");
  c = claims();
  c["iat"] = kNow - 3600;
  EXPECT_EQ(validate(rsa.sign(c), set).error().message, "issued too long ago");
  c = claims();
  c.erase("exp");
  EXPECT_FALSE(validate(rsa.sign(c), set).ok());
}

TEST(IdToken, GarbageIsRefusedWithoutCrashing) {
  TestKey rsa = TestKey::rsa("k1");
  JwkSet set = setOf({&rsa});
  for (const char* t : {"", ".", "..", "a.b.c", "e30.e30.", "e30.e30.AA", "x.y.z.w"})
    EXPECT_FALSE(validate(t, set).ok()) << t;
  std::string h = base64UrlEncode(R"({"alg":"RS256","crit":["exp"]})");
  EXPECT_FALSE(parseJws(h + "." + base64UrlEncode("{}") + ".AAAA").ok());
}

TEST(Jwk, UnusableKeysAreSkippedOrRefused) {
  EXPECT_FALSE(Jwk::parse(Json{{"kty", "oct"}, {"k", "AAAA"}}).ok());
  EXPECT_FALSE(Jwk::parse(Json{{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}}).ok());  // tiny
  TestKey ec = TestKey::ec("e1");
  Json offCurve = ec.publicJwk();
  std::string y = *base64UrlDecode(offCurve["y"].get<std::string>());
  y.back() ^= 1;
  offCurve["y"] = base64UrlEncode(y);
  EXPECT_FALSE(Jwk::parse(offCurve).ok());
  Json enc = ec.publicJwk();
  enc["use"] = "enc";
  EXPECT_FALSE(Jwk::parse(enc).ok());
  auto set = JwkSet::parse(Json{{"keys", {enc, ec.publicJwk()}}}.dump());
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->keys.size(), 1u);
  EXPECT_FALSE(JwkSet::parse("[]").ok());
}

}  // namespace
}  // namespace roomchat::auth
