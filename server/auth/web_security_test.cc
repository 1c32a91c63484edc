#include "auth/web_security.h"

#include <gtest/gtest.h>

namespace roomchat::auth {
namespace {

std::string norm(std::string_view origin) { return normalizeOrigin(origin).value_or("<none>"); }

TEST(NormalizeOrigin, LowercasesSchemeAndHostAndDropsDefaultPorts) {
  EXPECT_EQ(norm("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(norm("HTTPS://Chat.Example.COM"), "https://chat.example.com");
  EXPECT_EQ(norm("http://example.com:80"), "http://example.com");
  EXPECT_EQ(norm("https://example.com:443"), "https://example.com");
  EXPECT_EQ(norm("http://example.com:443"), "http://example.com:443");
  EXPECT_EQ(norm("https://example.com:80"), "https://example.com:80");
  EXPECT_EQ(norm("http://localhost:08080"), "http://localhost:8080");
}

TEST(NormalizeOrigin, KeepsIpv6Literals) {
  EXPECT_EQ(norm("http://[::1]:8080"), "http://[::1]:8080");
  EXPECT_EQ(norm("https://[2001:DB8::1]:443"), "https://[2001:db8::1]");
  EXPECT_EQ(norm("http://[::ffff:127.0.0.1]"), "http://[::ffff:127.0.0.1]");
  EXPECT_EQ(norm("http://[::1"), "<none>");
  EXPECT_EQ(norm("http://[]"), "<none>");
  EXPECT_EQ(norm("http://[::1]x"), "<none>");
  EXPECT_EQ(norm("http://[fe80::1%25eth0]"), "<none>");
  EXPECT_EQ(norm("http://[example.com]"), "<none>");
}

TEST(NormalizeOrigin, ToleratesOnlyALoneTrailingSlash) {
  EXPECT_EQ(norm("https://chat.example.com/"), "https://chat.example.com");
  EXPECT_EQ(norm("https://chat.example.com:8443/"), "https://chat.example.com:8443");
  EXPECT_EQ(norm("https://chat.example.com//"), "<none>");
  EXPECT_EQ(norm("https://chat.example.com/app"), "<none>");
}

TEST(NormalizeOrigin, RejectsWhatIsNotAnHttpOrigin) {
  for (std::string_view bad :
       {"", "null", "example.com", "ftp://example.com", "file://", "javascript:alert(1)",
        "http://", "http://:80", "http:/example.com", "http//example.com",
        "http://user@example.com", "http://user:pw@example.com", "http://a.com@b.com",
        "http://example.com?x", "http://example.com#x", "http://exa mple.com",
        "http://example.com:", "http://example.com:0", "http://example.com:65536",
        "http://example.com:-1", "http://example.com:+80", "http://example.com:80a",
        "http://example.com:123456", "http://exa%6dple.com", " http://example.com",
        "http://example.com ", "http://example.com\r\n", "http://example.com\\evil.com",
        "chrome-extension://abc", "http://ex\xc3\xa4mple.com"}) {
    EXPECT_FALSE(normalizeOrigin(bad).has_value()) << bad;
  }
  EXPECT_FALSE(normalizeOrigin("http://" + std::string(2000, 'a')).has_value());
}

TEST(OriginPolicy, MissingOriginIsAllowedNullIsNot) {
  OriginPolicy policy("http://127.0.0.1:8080", {});
  EXPECT_TRUE(policy.allows(std::nullopt));
  EXPECT_FALSE(policy.allows("null"));
  EXPECT_FALSE(policy.allows(""));
}

TEST(OriginPolicy, MatchesPublicAndExtraOriginsExactlyAfterNormalization) {
  OriginPolicy policy("https://Chat.Example.com:443", {"http://localhost:5173", "garbage"});
  EXPECT_EQ(policy.publicOrigin(), "https://chat.example.com");
  EXPECT_TRUE(policy.secure());
  EXPECT_TRUE(policy.allows("https://chat.example.com"));
  EXPECT_TRUE(policy.allows("HTTPS://CHAT.EXAMPLE.COM:443"));
  EXPECT_TRUE(policy.allows("http://localhost:5173"));
  EXPECT_FALSE(policy.allows("http://chat.example.com"));        // scheme differs
  EXPECT_FALSE(policy.allows("https://chat.example.com:8443"));  // port differs
  EXPECT_FALSE(policy.allows("https://evil.chat.example.com"));
  EXPECT_FALSE(policy.allows("https://chat.example.com.evil.com"));
  EXPECT_FALSE(policy.allows("http://localhost:5174"));
  EXPECT_FALSE(policy.allows("garbage"));
}

TEST(OriginPolicy, HttpPublicOriginIsNotSecure) {
  EXPECT_FALSE(OriginPolicy("http://127.0.0.1:8080", {}).secure());
}

TEST(OriginPolicy, UnparsablePublicOriginFailsClosed) {
  OriginPolicy policy("not an origin", {});
  EXPECT_TRUE(policy.allows(std::nullopt));
  EXPECT_FALSE(policy.allows("http://127.0.0.1:8080"));
  EXPECT_FALSE(policy.secure());
}

TEST(CookieValue, ParsesRfc6265CookieHeaders) {
  EXPECT_EQ(cookieValue("roomchat_session=abc", "roomchat_session"), "abc");
  EXPECT_EQ(cookieValue("a=b; roomchat_session=tok-1_x; c=d", "roomchat_session"), "tok-1_x");
  EXPECT_EQ(cookieValue("a=b;c=d", "c"), "d");
  EXPECT_EQ(cookieValue("  a = b  ;\tc=d ", "a"), "b");
  EXPECT_EQ(cookieValue("a=\"quoted value\"", "a"), "quoted value");
  EXPECT_EQ(cookieValue("a=x=y", "a"), "x=y");
  EXPECT_EQ(cookieValue("a=", "a"), "");
  EXPECT_EQ(cookieValue("a=1; a=2", "a"), "1");  // first match wins
}

TEST(CookieValue, AbsentOrLookalikeNamesAreNotFound) {
  EXPECT_FALSE(cookieValue("", "a"));
  EXPECT_FALSE(cookieValue("a=b", ""));
  EXPECT_FALSE(cookieValue("xroomchat_session=1; roomchat_session2=2", "roomchat_session"));
  EXPECT_FALSE(cookieValue("ROOMCHAT_SESSION=1", "roomchat_session"));  // names are case-sensitive
  EXPECT_FALSE(cookieValue("roomchat_session", "roomchat_session"));     // no '='
  EXPECT_FALSE(cookieValue(";;; ;", "a"));
  EXPECT_EQ(cookieValue("junk; ;=x; roomchat_session=ok", "roomchat_session"), "ok");
}

TEST(SessionCookie, CarriesTheContractAttributes) {
  EXPECT_EQ(sessionCookie("tok", false, 3600),
            "roomchat_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600");
  EXPECT_EQ(sessionCookie("tok", true, 60),
            "roomchat_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
  EXPECT_EQ(sessionCookie("tok", false, -5),
            "roomchat_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
}

TEST(SessionCookie, ClearedCookieExpiresImmediately) {
  EXPECT_EQ(clearedSessionCookie(false),
            "roomchat_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  EXPECT_EQ(clearedSessionCookie(true),
            "roomchat_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure");
}

TEST(SessionCookie, RoundTripsThroughCookieValue) {
  std::string setCookie = sessionCookie("T0k3n_-x", true, 10);
  std::string pair = setCookie.substr(0, setCookie.find(';'));
  EXPECT_EQ(cookieValue("other=1; " + pair, kSessionCookie), "T0k3n_-x");
}

}  // namespace
}  // namespace roomchat::auth
