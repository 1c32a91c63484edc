#include "auth/oidc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/ids.h"

namespace roomchat::auth {
namespace {

TEST(RedirectPath, OnlySameOriginPathsPass) {
  for (const char* ok : {"/", "/rooms/abc", "/settings?tab=1", "/r/a:b", "/a#x"})
    EXPECT_TRUE(isSafeRedirectPath(ok)) << ok;
  for (const char* bad : {"", "//evil.example", "https://evil.example", "/\\evil.example",
                          "\\\\evil.example", "evil.example", "javascript:alert(1)",
                          "/a\\b", "/a\nb", "/\tx", "http:/evil", "/x:y"})
    EXPECT_FALSE(isSafeRedirectPath(bad)) << bad;
  EXPECT_FALSE(isSafeRedirectPath("/" + std::string(600, 'a')));
}

TEST(ProviderUrl, HttpsAlwaysPlainHttpOnlyToAnAllowedLoopback) {
  EXPECT_TRUE(isAllowedProviderUrl("https://kc.example.com/realms/x", false));
  EXPECT_FALSE(isAllowedProviderUrl("http://kc.example.com/realms/x", false));
  EXPECT_FALSE(isAllowedProviderUrl("http://127.0.0.1:9000/", false));
  EXPECT_TRUE(isAllowedProviderUrl("http://127.0.0.1:9000/", true));
  EXPECT_TRUE(isAllowedProviderUrl("http://localhost:9000/token", true));
  EXPECT_TRUE(isAllowedProviderUrl("http://[::1]:9000/token", true));
  EXPECT_FALSE(isAllowedProviderUrl("http://127.0.0.1.evil.example/", true));
  EXPECT_FALSE(isAllowedProviderUrl("http://127.0.0.1@evil.example/", true));
  EXPECT_FALSE(isAllowedProviderUrl("https://user@kc.example.com/", false));
  EXPECT_FALSE(isAllowedProviderUrl("ftp://kc.example.com/", true));
  EXPECT_FALSE(isAllowedProviderUrl("https://", false));
}

TEST(Pkce, TheChallengeIsTheBase64UrlSha256OfTheVerifier) {
  EXPECT_EQ(pkceChallenge("roomchat-test-verifier-0123456789-abcdefghijklmnop"),
            "6ZmdBFohMyL4MdQEexIkBf9jaKOBYGJpjDufa8uDaq8");
}

PendingLogin login(const std::string& browser = "browser-1") {
  PendingLogin l;
  l.provider = "idp";
  l.verifier = "v";
  l.nonce = "n";
  l.redirect = "/";
  l.browserHash = browser;
  return l;
}

TEST(PendingLogins, AStateIsUsableOnceByTheBrowserThatStartedIt) {
  OidcService oidc({});
  auto state = oidc.addPending(login(), 1000);
  ASSERT_TRUE(state.ok());
  auto taken = oidc.takePending(*state, "browser-1", 2000);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->nonce, "n");
  EXPECT_EQ(oidc.takePending(*state, "browser-1", 2000).error().code, "invalid_state");
}

TEST(PendingLogins, AnotherBrowserBurnsTheStateWithoutUsingIt) {
  OidcService oidc({});
  auto state = oidc.addPending(login(), 1000);
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(oidc.takePending(*state, "browser-2", 2000).ok());
  EXPECT_FALSE(oidc.takePending(*state, "", 2000).ok());
  EXPECT_FALSE(oidc.takePending(*state, "browser-1", 2000).ok());
  EXPECT_EQ(oidc.pendingCount(), 0u);
}

TEST(PendingLogins, AStateExpiresAfterTenMinutes) {
  OidcService oidc({});
  auto state = oidc.addPending(login(), 1000);
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(oidc.takePending(*state, "browser-1", 1000 + OidcService::kLoginTtlMs).ok());
  EXPECT_FALSE(oidc.takePending("made-up", "browser-1", 1000).ok());
}

class ConfigFile : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() / ("oidc-" + randomId());
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
};

TEST_F(ConfigFile, ProvidersAreReadWithTheirSecretFromAFileOrTheEnvironment) {
  const std::string secret = write("secret", "  s3cret\n");
  ::setenv("ROOMCHAT_TEST_OIDC_SECRET", "from-env", 1);
  const std::string file = write("oidc.json", R"({"providers": [
    {"id": "kc", "name": "Keycloak", "issuer": "https://kc.example.com/realms/chat",
     "clientId": "roomchat", "clientSecretFile": ")" + secret + R"("},
    {"id": "local", "issuer": "http://127.0.0.1:9000", "clientId": "c",
     "clientSecretEnv": "ROOMCHAT_TEST_OIDC_SECRET", "allowInsecureLoopback": true,
     "scopes": "profile", "tokenAuth": "client_secret_post"}]})");
  auto c = loadOidcConfig(file);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].clientSecret, "s3cret");
  EXPECT_EQ((*c)[0].name, "Keycloak");
  EXPECT_EQ((*c)[0].scopes, "openid profile email");
  EXPECT_EQ((*c)[1].clientSecret, "from-env");
  EXPECT_EQ((*c)[1].name, "local");
  EXPECT_EQ((*c)[1].scopes, "openid profile");
  EXPECT_EQ((*c)[1].tokenAuth, "client_secret_post");
}

TEST_F(ConfigFile, MistakesAreRefusedWithAReason) {
  for (const std::string& providers :
       {std::string(R"([{"id": "Bad Id", "issuer": "https://a", "clientId": "c", "tokenAuth": "none"}])"),
        std::string(R"([{"id": "a", "issuer": "http://idp.example", "clientId": "c", "tokenAuth": "none"}])"),
        std::string(R"([{"id": "a", "issuer": "http://127.0.0.1:1", "clientId": "c", "tokenAuth": "none"}])"),
        std::string(R"([{"id": "a", "issuer": "https://a", "clientId": "c"}])"),
        std::string(R"([{"id": "a", "issuer": "https://a", "clientId": "c", "tokenAuth": "x"}])"),
        std::string(R"([{"id": "a", "issuer": "https://a", "clientId": "c", "tokenAuth": "none"},
                        {"id": "a", "issuer": "https://b", "clientId": "c", "tokenAuth": "none"}])")}) {
    auto c = loadOidcConfig(write("oidc.json", R"({"providers": )" + providers + "}"));
    ASSERT_FALSE(c.ok()) << providers;
    EXPECT_EQ(c.error().code, "bad_config");
  }
  EXPECT_FALSE(loadOidcConfig((dir_ / "missing.json").string()).ok());
}

TEST(Discovery, AnUnreachableProviderIsAnErrorNotACrashAndIsTriedAgain) {
  OidcProviderConfig c;
  c.id = "down";
  c.issuer = "http://127.0.0.1:1";
  c.clientId = "c";
  c.allowInsecureLoopback = true;
  OidcService oidc({c});
  EXPECT_EQ(oidc.discoverAll().size(), 1u);
  auto url = oidc.provider("down")->authorizeUrl("s", "n", "v", "http://x/cb");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code, "provider_unavailable");
  EXPECT_EQ(oidc.provider("other"), nullptr);
}

}  // namespace
}  // namespace roomchat::auth
