// Sign-in through a real OpenID Connect provider: oidc-provider (Node, from
// tests/services/oidc) started once for this suite on 127.0.0.1 and stopped
// by PID at its end. A small browser (redirects followed, a cookie jar per
// port) drives the whole authorization code flow; the provider signs its
// test user in without a form. The refusals (state, binding cookie, every
// way an id_token can be wrong, open redirects) are each checked to create
// nothing: no session, no user, no identity in meta.db.
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

namespace fs = std::filesystem;

const std::string kServiceDir = std::string(ROOMCHAT_SOURCE_DIR) + "/tests/services/oidc";
const std::string kClientSecret = "roomchat-test-secret-0123456789";

struct Url {
  int port = 0;
  std::string target;  // path and query
};

// "http://127.0.0.1:7480/a?b" → {7480, "/a?b"}; a relative "/x" keeps `base`.
std::optional<Url> parseUrl(const std::string& url, int base) {
  if (!url.empty() && url[0] == '/') return Url{base, url};
  const std::string prefix = "http://127.0.0.1:";
  if (url.rfind(prefix, 0) != 0) return std::nullopt;
  const size_t slash = url.find('/', prefix.size());
  return Url{std::stoi(url.substr(prefix.size(), slash - prefix.size())),
             slash == std::string::npos ? "/" : url.substr(slash)};
}

std::string queryValue(const std::string& target, const std::string& name) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return {};
  std::string rest = target.substr(q + 1);
  for (size_t at = 0; at <= rest.size();) {
    size_t amp = rest.find('&', at);
    std::string pair = rest.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return {};
}

// What a browser keeps and does: cookies per port, redirects followed.
class Browser {
 public:
  explicit Browser(int appPort) : appPort_(appPort) {}

  // One request with this browser's cookies for that port.
  HttpResponse get(const Url& url) {
    HttpClient client(url.port);
    client.setOrigin(std::nullopt);
    Headers headers;
    std::string cookie;
    for (const auto& [name, value] : jar_[url.port])
      cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    HttpResponse r = client.request("GET", url.target, std::nullopt, headers);
    for (const auto& sc : r.headerValues("Set-Cookie")) absorb(url.port, sc);
    return r;
  }

  // Follows redirects from `start` until an answer is not a redirect or the
  // browser is sent to a page of the app (not /api/): answers that page's
  // path (e.g. "/rooms" or "/login?error=invalid_state"), or "<status>" for a
  // non-redirect answer.
  std::string follow(Url url, HttpResponse* last = nullptr) {
    for (int hop = 0; hop < 20; ++hop) {
      HttpResponse r = get(url);
      if (last) *last = r;
      if (r.status < 300 || r.status > 399) return std::to_string(r.status);
      auto next = parseUrl(r.header("Location"), url.port);
      if (!next) return "offsite:" + r.header("Location");
      if (next->port == appPort_ && next->target.rfind("/api/", 0) != 0) return next->target;
      url = *next;
    }
    return "too many redirects";
  }
  std::string signIn(const std::string& provider, const std::string& redirect = "/rooms") {
    return follow({appPort_, "/api/auth/oidc/" + provider + "/start?redirect=" + urlEncode(redirect)});
  }

  std::optional<std::string> cookie(int port, const std::string& name) {
    auto it = jar_[port].find(name);
    return it == jar_[port].end() ? std::nullopt : std::optional(it->second);
  }
  void setCookie(int port, const std::string& name, const std::string& value) {
    jar_[port][name] = value;
  }
  void dropCookie(int port, const std::string& name) { jar_[port].erase(name); }
  // A client that holds this browser's roomchat session.
  HttpClient app() {
    HttpClient c(appPort_);
    c.setSession(cookie(appPort_, "roomchat_session"));
    return c;
  }

 private:
  void absorb(int port, const std::string& setCookie) {
    const std::string pair = setCookie.substr(0, setCookie.find(';'));
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) return;
    std::string lower = setCookie;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string name = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (value.empty() || lower.find("max-age=0") != std::string::npos ||
        lower.find("expires=thu, 01 jan 1970") != std::string::npos)
      jar_[port].erase(name);
    else
      jar_[port][name] = value;
  }

  int appPort_;
  std::map<int, std::map<std::string, std::string>> jar_;
};

class OidcSignIn : public ServerTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("roomchat-oidc-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    if (!fs::exists(kServiceDir + "/node_modules"))
      std::system(("cd " + kServiceDir + " && npm ci --no-audit --no-fund --loglevel=error > " +
                   (dir_ / "npm.log").string() + " 2>&1").c_str());
    const std::string ready = (dir_ / "ready.json").string();
    const std::string log = (dir_ / "provider.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      const std::string script = kServiceDir + "/index.mjs";
      execlp("node", "node", script.c_str(), "--ready-file", ready.c_str(), "--client-secret",
             kClientSecret.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 300 && !fs::exists(ready); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream in(ready);
    json info = json::parse(in, nullptr, false);
    if (info.is_object()) {
      issuer_ = info["issuer"];
      providerPort_ = info["port"];
    }
    std::ofstream(dir_ / "secret") << kClientSecret << "\n";
    json providers = {{"providers",
                       {{{"id", "test"},
                         {"name", "Test IdP"},
                         {"issuer", issuer_},
                         {"clientId", "roomchat"},
                         {"clientSecretFile", (dir_ / "secret").string()},
                         {"allowInsecureLoopback", true}},
                        {{"id", "down"},
                         {"name", "Unreachable"},
                         {"issuer", "http://127.0.0.1:1"},
                         {"clientId", "roomchat"},
                         {"tokenAuth", "none"},
                         {"allowInsecureLoopback", true}}}}};
    std::ofstream(dir_ / "oidc.json") << providers.dump(2);
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 50 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    fs::remove_all(dir_);
  }

  void SetUp() override {
    ASSERT_GT(providerPort_, 0) << "the provider did not start (node and npm on PATH?); its log: "
                                << (dir_ / "provider.log").string();
    ServerTest::SetUp();
    admin("/admin/tamper?mode=");
    admin("/admin/deny?on=0");
    admin("/admin/stale-jwks?on=0");
  }

  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--oidc-config", (dir_ / "oidc.json").string()});
    return args;
  }

  json admin(const std::string& target) {
    HttpClient c(providerPort_);
    auto r = c.request("POST", target, std::string(), {}, "text/plain");
    EXPECT_EQ(r.status, 200) << target << ": " << r.describe();
    return r.json;
  }
  json setUser(const std::string& sub, const std::string& name, const std::string& username) {
    return admin("/admin/user?sub=" + urlEncode(sub) + "&name=" + urlEncode(name) +
                 "&username=" + urlEncode(username));
  }

  // Rows of a table in the server's meta.db (read-only, beside the server).
  int64_t rows(const std::string& table) {
    sqlite3* db = nullptr;
    int64_t n = -1;
    const std::string file = server().dataDir() + "/meta.db";
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &st, nullptr) ==
              SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
  }

  // A refusal: the browser lands on the login page with `error`, and
  // nothing was created.
  void expectRefused(Browser& b, const std::string& landed, const std::string& error) {
    EXPECT_EQ(landed, "/login?error=" + error);
    EXPECT_FALSE(b.cookie(port(), "roomchat_session")) << "a session was set";
    EXPECT_EQ(rows("users"), 0) << "a user was created";
    EXPECT_EQ(rows("oidc_identities"), 0) << "an identity was created";
    EXPECT_EQ(rows("sessions"), 0);
  }

  static inline fs::path dir_;
  static inline pid_t pid_ = -1;
  static inline std::string issuer_;
  static inline int providerPort_ = 0;
};

TEST_F(OidcSignIn, TheProvidersAreListedForTheLoginPage) {
  auto r = anonymous().get("/api/auth/providers");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json, json::parse(R"({"password": true, "oidc": [{"id": "test", "name": "Test IdP"},
                                    {"id": "down", "name": "Unreachable"}]})"));
}

TEST_F(OidcSignIn, ANewUserSignsInAndLandsOnTheSavedPath) {
  setUser("sub-ann", "Ann Tester", "ann");
  Browser b(port());
  HttpResponse start = b.get({port(), "/api/auth/oidc/test/start?redirect=%2Frooms%2Fabc"});
  ASSERT_EQ(start.status, 302) << start.describe();
  const std::string authorize = start.header("Location");
  EXPECT_EQ(authorize.rfind(issuer_ + "/auth?", 0), 0u) << authorize;
  EXPECT_EQ(queryValue(authorize, "code_challenge_method"), "S256");
  EXPECT_EQ(queryValue(authorize, "code_challenge").size(), 43u);
  EXPECT_EQ(queryValue(authorize, "state").size(), 43u);
  EXPECT_EQ(queryValue(authorize, "nonce").size(), 43u);
  EXPECT_EQ(queryValue(authorize, "code_verifier"), "") << "the verifier never leaves the server";
  const std::string binding = start.header("Set-Cookie");
  EXPECT_NE(binding.find("roomchat_oidc="), std::string::npos) << binding;
  EXPECT_NE(binding.find("HttpOnly"), std::string::npos) << binding;
  EXPECT_NE(binding.find("Max-Age=600"), std::string::npos) << binding;

  EXPECT_EQ(b.follow(*parseUrl(authorize, port())), "/rooms/abc");
  auto session = b.app().get("/api/auth/session");
  ASSERT_EQ(session.status, 200) << session.describe();
  EXPECT_EQ(session.json["user"]["displayName"], "Ann Tester");
  EXPECT_EQ(session.json["user"]["username"], "ann");
  EXPECT_EQ(rows("users"), 1);
  EXPECT_EQ(rows("oidc_identities"), 1);
  auto ids = b.app().get("/api/me/identities");
  ASSERT_EQ(ids.status, 200) << ids.describe();
  EXPECT_EQ(ids.json["hasPassword"], false);
  ASSERT_EQ(ids.json["items"].size(), 1u);
  EXPECT_EQ(ids.json["items"][0]["provider"], "test");
  EXPECT_EQ(ids.json["items"][0]["name"], "Test IdP");
}

TEST_F(OidcSignIn, TheSameSubjectIsTheSameUserWithItsNameRefreshed) {
  setUser("sub-bob", "Bob", "bob");
  Browser first(port());
  ASSERT_EQ(first.signIn("test"), "/rooms");
  const json bob = first.app().get("/api/auth/session").json["user"];
  setUser("sub-bob", "Robert", "bob");
  Browser second(port());
  ASSERT_EQ(second.signIn("test"), "/rooms");
  const json again = second.app().get("/api/auth/session").json["user"];
  EXPECT_EQ(again["id"], bob["id"]);
  EXPECT_EQ(again["displayName"], "Robert");
  EXPECT_EQ(rows("users"), 1);
}

TEST_F(OidcSignIn, UsernamesOfNewUsersNeverCollideAndEmailNeverLinks) {
  TestUser taken = signUp("carol");
  setUser("sub-carol", "Carol Two", "carol");
  Browser b(port());
  ASSERT_EQ(b.signIn("test"), "/rooms");
  const json user = b.app().get("/api/auth/session").json["user"];
  EXPECT_NE(user["id"], taken.id) << "a provider's username or e-mail never claims an account";
  EXPECT_EQ(user["username"], "carol2");
  setUser("sub-carol-b", "Carol Three", "carol");
  Browser c(port());
  ASSERT_EQ(c.signIn("test"), "/rooms");
  EXPECT_EQ(c.app().get("/api/auth/session").json["user"]["username"], "carol3");
}

TEST_F(OidcSignIn, OpenRedirectsAreRefusedBeforeAnythingStarts) {
  for (const std::string redirect :
       {"//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
        "javascript:alert(1)", "/%0d%0aLocation:evil"}) {
    auto r = anonymous().get("/api/auth/oidc/test/start?redirect=" + urlEncode(redirect));
    EXPECT_EQ(r.status, 400) << redirect << ": " << r.describe();
    EXPECT_EQ(r.errorCode(), "invalid_redirect") << redirect;
    EXPECT_FALSE(r.hasHeader("Location")) << redirect;
  }
  EXPECT_EQ(anonymous().get("/api/auth/oidc/nope/start").status, 404);
}

TEST_F(OidcSignIn, AWrongStateIsRefusedAndCreatesNothing) {
  Browser b(port());
  HttpResponse start = b.get({port(), "/api/auth/oidc/test/start"});
  ASSERT_EQ(start.status, 302);
  std::string authorize = start.header("Location");
  const std::string state = queryValue(authorize, "state");
  authorize.replace(authorize.find(state), state.size(), std::string(43, 'A'));
  expectRefused(b, b.follow(*parseUrl(authorize, port())), "invalid_state");
}

TEST_F(OidcSignIn, AReplayedStateIsRefused) {
  Browser b(port());
  HttpResponse start = b.get({port(), "/api/auth/oidc/test/start"});
  HttpResponse atCallback;
  // Follow up to the provider's redirect to our callback, then replay it.
  Url url = *parseUrl(start.header("Location"), port());
  std::string callback;
  for (int hop = 0; hop < 20 && callback.empty(); ++hop) {
    HttpResponse r = b.get(url);
    ASSERT_EQ(r.status / 100, 3) << r.describe();
    url = *parseUrl(r.header("Location"), url.port);
    if (url.port == port()) callback = url.target;
  }
  ASSERT_EQ(callback.rfind("/api/auth/oidc/test/callback?", 0), 0u) << callback;
  EXPECT_EQ(b.follow({port(), callback}), "/");
  EXPECT_EQ(rows("users"), 1);
  Browser thief(port());
  thief.setCookie(port(), "roomchat_oidc", *b.cookie(port(), "roomchat_oidc"));
  EXPECT_EQ(thief.follow({port(), callback}), "/login?error=invalid_state");
  EXPECT_FALSE(thief.cookie(port(), "roomchat_session"));
  EXPECT_EQ(rows("sessions"), 1);
}

TEST_F(OidcSignIn, ACallbackWithoutTheStartCookieIsRefused) {
  // Another browser (no binding cookie, hence no verifier) gets the callback.
  Browser b(port());
  HttpResponse start = b.get({port(), "/api/auth/oidc/test/start"});
  b.dropCookie(port(), "roomchat_oidc");
  expectRefused(b, b.follow(*parseUrl(start.header("Location"), port())), "invalid_state");
}

TEST_F(OidcSignIn, EveryKindOfBadIdTokenIsRefusedAndCreatesNothing) {
  // Each mode alters the id_token the provider answers; the log says why it was refused.
  const std::vector<std::pair<std::string, std::string>> modes = {
      {"aud", "wrong audience"},
      {"iss", "wrong issuer"},
      {"nonce", "wrong nonce"},
      {"expired", "expired"},
      {"signature", "the id_token signature does not verify"},
      {"none", "no signature"},  // alg none comes with an empty signature
      {"otherkey", "the id_token signature does not verify"}};
  for (const auto& [mode, reason] : modes) {
    SCOPED_TRACE(mode);
    admin("/admin/tamper?mode=" + mode);
    const size_t logged = server().log().size();
    Browser b(port());
    expectRefused(b, b.signIn("test"), "invalid_token");
    EXPECT_TRUE(eventually(
        [&] { return server().log().find("refused: " + reason, logged) != std::string::npos; }, 2s))
        << server().log().substr(logged);
  }
  admin("/admin/tamper?mode=");
  Browser b(port());
  EXPECT_EQ(b.signIn("test"), "/rooms") << "the provider itself works";
}

TEST_F(OidcSignIn, AUserWhoRefusesLandsOnTheLoginPageWithAMessage) {
  admin("/admin/deny?on=1");
  Browser b(port());
  expectRefused(b, b.signIn("test"), "access_denied");
}

TEST_F(OidcSignIn, AnUnreachableProviderIsAMessageNotAnError) {
  Browser b(port());
  expectRefused(b, b.signIn("down"), "provider_unavailable");
  Browser c(port());
  EXPECT_EQ(c.signIn("test"), "/rooms") << "the other provider is not affected";
}

TEST_F(OidcSignIn, SignInKeepsWorkingWhenTheProviderRotatesItsKey) {
  setUser("sub-dan", "Dan", "dan");
  Browser b(port());
  ASSERT_EQ(b.signIn("test"), "/rooms");  // the server caches the first key set
  const std::string kid = admin("/admin/rotate?alg=RS256")["kid"];
  EXPECT_FALSE(kid.empty());
  Browser c(port());
  EXPECT_EQ(c.signIn("test"), "/rooms") << "the unknown kid makes the server fetch the keys again";
  // An EC key too (ES256), and a key set that does not hold the new key.
  admin("/admin/rotate?alg=ES256");
  Browser d(port());
  EXPECT_EQ(d.signIn("test"), "/rooms");
  admin("/admin/stale-jwks?on=1");
  admin("/admin/rotate?alg=RS256");
  Browser e(port());
  EXPECT_EQ(e.signIn("test"), "/login?error=invalid_token");
  EXPECT_FALSE(e.cookie(port(), "roomchat_session"));
  EXPECT_EQ(rows("users"), 1);
}

TEST_F(OidcSignIn, ASignedInUserLinksAndUnlinksButNeverTheLastWayIn) {
  TestUser ann = signUp("ann");
  Browser b(port());
  b.setCookie(port(), "roomchat_session", *ann.http.session());
  setUser("sub-ann-link", "Ann Linked", "annl");
  EXPECT_EQ(anonymous().get("/api/auth/oidc/test/start?link=1").status, 401);
  EXPECT_EQ(b.follow({port(), "/api/auth/oidc/test/start?link=1"}), "/settings");
  auto ids = ann.http.get("/api/me/identities");
  ASSERT_EQ(ids.json["items"].size(), 1u) << ids.describe();
  EXPECT_EQ(ids.json["hasPassword"], true);
  // Signing in with that identity is Ann.
  Browser other(port());
  ASSERT_EQ(other.signIn("test"), "/rooms");
  EXPECT_EQ(other.app().get("/api/auth/session").json["user"]["id"], ann.id);
  // Another account cannot take the identity.
  TestUser bob = signUp("bob");
  Browser bobs(port());
  bobs.setCookie(port(), "roomchat_session", *bob.http.session());
  EXPECT_EQ(bobs.follow({port(), "/api/auth/oidc/test/start?link=1"}),
            "/settings?error=identity_in_use");
  EXPECT_EQ(bob.http.get("/api/me/identities").json["items"].size(), 0u);

  ann.http.setOrigin(origin());
  EXPECT_EQ(ann.http.del("/api/me/identities/test").status, 204);
  EXPECT_EQ(ann.http.del("/api/me/identities/test").status, 404);
  // A user with only this provider cannot unlink it.
  setUser("sub-only", "Only", "only");
  Browser only(port());
  ASSERT_EQ(only.signIn("test"), "/rooms");
  HttpClient onlyApi = only.app();
  onlyApi.setOrigin(origin());
  auto last = onlyApi.del("/api/me/identities/test");
  EXPECT_EQ(last.status, 409) << last.describe();
  EXPECT_EQ(last.errorCode(), "last_sign_in_method");
}

TEST_F(OidcSignIn, LogoutIsLocal) {
  Browser b(port());
  ASSERT_EQ(b.signIn("test"), "/rooms");
  HttpClient api = b.app();
  api.setOrigin(origin());
  EXPECT_EQ(api.postEmpty("/api/auth/logout").status, 204);
  EXPECT_EQ(b.app().get("/api/auth/session").status, 401);
}

}  // namespace
}  // namespace roomchat::test

namespace roomchat::test {
namespace {

class OidcStartLimit : public OidcSignIn {
 protected:
  std::vector<std::string> serverArgs() const override {
    return {"--oidc-config", (dir_ / "oidc.json").string(), "--signup-per-minute", "1",
            "--signup-burst", "2"};
  }
};

TEST_F(OidcStartLimit, StartsCountAgainstThePerAddressSignupLimit) {
  EXPECT_EQ(anonymous().get("/api/auth/oidc/test/start").status, 302);
  EXPECT_EQ(anonymous().get("/api/auth/oidc/test/start").status, 302);
  auto r = anonymous().get("/api/auth/oidc/test/start");
  EXPECT_EQ(r.status, 429) << r.describe();
  EXPECT_EQ(r.errorCode(), "rate_limited");
  EXPECT_FALSE(r.header("Retry-After").empty());
}

}  // namespace
}  // namespace roomchat::test
