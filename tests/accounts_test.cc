// Accounts and sessions (API.md §1) driven over HTTP against the real server:
// signup validation, login, session, logout (including the 4401 close of the
// session's sockets), /api/me, /api/users, the login rate limit and the
// Origin check on state-changing requests.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

class Accounts : public ServerTest {};

bool isUserShape(const json& u) {
  return u.is_object() && u.contains("id") && u["id"].is_string() && u.contains("username") &&
         u["username"].is_string() && u.contains("displayName") &&
         u["displayName"].is_string() && u.contains("avatarUrl") &&
         (u["avatarUrl"].is_null() || u["avatarUrl"].is_string());
}

bool isValidIdText(const std::string& id) {
  static const std::regex re("^[A-Za-z0-9_-]{1,64}$");
  return std::regex_match(id, re);
}

HttpResponse signupRaw(HttpClient& http, const json& body) {
  return http.post("/api/auth/signup", body);
}

json signupBody(const std::string& username, const std::string& password = "correct horse",
                const std::string& displayName = "Someone") {
  return {{"username", username}, {"password", password}, {"displayName", displayName}};
}

TEST_F(Accounts, SignupReturnsTheUserAndSetsAnHttpOnlySessionCookie) {
  auto http = anonymous();
  auto res = signupRaw(http, signupBody("alice", "correct horse", "Alice A."));
  ASSERT_EQ(res.status, 201) << res.describe();
  ASSERT_TRUE(res.json.contains("user")) << res.body;
  const json& u = res.json["user"];
  EXPECT_TRUE(isUserShape(u)) << u.dump();
  EXPECT_TRUE(isValidIdText(u.value("id", ""))) << u.dump();
  EXPECT_EQ(u.value("username", ""), "alice");
  EXPECT_EQ(u.value("displayName", ""), "Alice A.");
  EXPECT_TRUE(u["avatarUrl"].is_null()) << u.dump();
  EXPECT_TRUE(res.header("Content-Type").find("application/json") != std::string::npos)
      << res.header("Content-Type");

  std::string cookie;
  for (const auto& c : res.headerValues("Set-Cookie")) {
    if (c.rfind("roomchat_session=", 0) == 0) cookie = c;
  }
  ASSERT_FALSE(cookie.empty()) << "no roomchat_session Set-Cookie";
  std::string lower = cookie;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  EXPECT_NE(lower.find("httponly"), std::string::npos) << cookie;
  EXPECT_NE(lower.find("samesite=lax"), std::string::npos) << cookie;
  EXPECT_NE(lower.find("path=/"), std::string::npos) << cookie;
  EXPECT_EQ(lower.find("secure"), std::string::npos) << "Secure over plain http: " << cookie;
  ASSERT_TRUE(http.session().has_value());
  EXPECT_GE(http.session()->size(), 16u) << "session token looks too short to be random";

  auto session = http.get("/api/auth/session");
  ASSERT_EQ(session.status, 200) << session.describe();
  EXPECT_EQ(session.json["user"], u);
}

TEST_F(Accounts, SignupRejectsInvalidUsernamesWithInvalidUsername) {
  auto http = anonymous();
  const std::vector<std::string> bad = {"ab",           std::string(33, 'a'), "Alice",
                                        "with space",   "semi;colon",         "emoji\xF0\x9F\x98\x80",
                                        "",             "tab\tname"};
  for (const auto& name : bad) {
    auto res = signupRaw(http, signupBody(name));
    EXPECT_EQ(res.status, 400) << "username '" << name << "': " << res.describe();
    EXPECT_EQ(res.errorCode(), "invalid_username") << "username '" << name << "': " << res.body;
    EXPECT_TRUE(res.isErrorShape()) << res.body;
  }
  auto missing = signupRaw(http, {{"password", "correct horse"}, {"displayName", "X"}});
  EXPECT_EQ(missing.status, 400) << missing.describe();
  EXPECT_TRUE(missing.isErrorShape()) << missing.body;
  EXPECT_FALSE(http.session().has_value()) << "a refused signup set a session cookie";

  // The edges of [a-z0-9_.-]{3,32} are accepted.
  for (const std::string& name : std::vector<std::string>{"abc", std::string(32, 'z'), "a.b-c_9"}) {
    auto ok = signupRaw(http, signupBody(name));
    EXPECT_EQ(ok.status, 201) << "username '" << name << "': " << ok.describe();
  }
}

TEST_F(Accounts, SignupRejectsInvalidPasswordsWithInvalidPassword) {
  auto http = anonymous();
  for (const auto& pw : {std::string(7, 'p'), std::string(257, 'p'), std::string()}) {
    auto res = signupRaw(http, signupBody("bob", pw));
    EXPECT_EQ(res.status, 400) << "password of " << pw.size() << " chars: " << res.describe();
    EXPECT_EQ(res.errorCode(), "invalid_password") << res.body;
    EXPECT_TRUE(res.isErrorShape()) << res.body;
  }
  EXPECT_EQ(signupRaw(http, signupBody("bob_8", std::string(8, 'p'))).status, 201);
  EXPECT_EQ(signupRaw(http, signupBody("bob_256", std::string(256, 'p'))).status, 201);
}

TEST_F(Accounts, SignupRejectsInvalidDisplayNamesWithInvalidDisplayName) {
  auto http = anonymous();
  for (const auto& dn : {std::string(), std::string(65, 'd')}) {
    auto res = signupRaw(http, signupBody("carol", "correct horse", dn));
    EXPECT_EQ(res.status, 400) << "displayName of " << dn.size() << " chars: " << res.describe();
    EXPECT_EQ(res.errorCode(), "invalid_display_name") << res.body;
    EXPECT_TRUE(res.isErrorShape()) << res.body;
  }
  auto ok = signupRaw(http, signupBody("carol", "correct horse", std::string(64, 'd')));
  EXPECT_EQ(ok.status, 201) << ok.describe();
}

TEST_F(Accounts, SignupOfATakenUsernameIs409UsernameTaken) {
  signUp("dave");
  auto http = anonymous();
  auto res = signupRaw(http, signupBody("dave", "another password", "Other Dave"));
  EXPECT_EQ(res.status, 409) << res.describe();
  EXPECT_EQ(res.errorCode(), "username_taken") << res.body;
  EXPECT_TRUE(res.isErrorShape()) << res.body;
  EXPECT_FALSE(http.session().has_value());
}

TEST_F(Accounts, SignupWithABodyThatIsNotJsonIs400) {
  auto http = anonymous();
  auto res = http.request("POST", "/api/auth/signup", std::string("{not json"));
  EXPECT_EQ(res.status, 400) << res.describe();
  EXPECT_TRUE(res.isErrorShape()) << res.body;
  auto wrongTypes = signupRaw(http, {{"username", 42}, {"password", true}, {"displayName", 1}});
  EXPECT_EQ(wrongTypes.status, 400) << wrongTypes.describe();
  EXPECT_TRUE(wrongTypes.isErrorShape()) << wrongTypes.body;
}

TEST_F(Accounts, LoginWithTheRightPasswordReturnsTheUserAndANewSession) {
  TestUser erin = signUp("erin");
  auto http = anonymous();
  auto res = http.post("/api/auth/login", {{"username", "erin"}, {"password", erin.password}});
  ASSERT_EQ(res.status, 200) << res.describe();
  EXPECT_EQ(res.json["user"], erin.user);
  ASSERT_TRUE(http.session().has_value());
  EXPECT_NE(*http.session(), *erin.http.session()) << "login reused the signup session token";
  EXPECT_EQ(http.get("/api/auth/session").status, 200);
  // Both sessions are valid at once.
  EXPECT_EQ(erin.http.get("/api/auth/session").status, 200);
}

TEST_F(Accounts, LoginAnswersTheSameForAnUnknownUserAndAWrongPassword) {
  signUp("frank");
  auto http = anonymous();
  auto wrong = http.post("/api/auth/login", {{"username", "frank"}, {"password", "not the one"}});
  auto unknown =
      http.post("/api/auth/login", {{"username", "nobody_here"}, {"password", "not the one"}});
  EXPECT_EQ(wrong.status, 401) << wrong.describe();
  EXPECT_EQ(unknown.status, 401) << unknown.describe();
  EXPECT_EQ(wrong.errorCode(), "bad_credentials") << wrong.body;
  EXPECT_EQ(unknown.errorCode(), "bad_credentials") << unknown.body;
  EXPECT_EQ(wrong.body, unknown.body) << "the answers tell the two cases apart";
  EXPECT_FALSE(http.session().has_value());
}

TEST_F(Accounts, SessionIs401WithoutOrWithAnUnknownCookie) {
  auto http = anonymous();
  auto none = http.get("/api/auth/session");
  EXPECT_EQ(none.status, 401) << none.describe();
  EXPECT_EQ(none.errorCode(), "unauthenticated") << none.body;
  http.setSession("this-is-not-a-session-token");
  auto bogus = http.get("/api/auth/session");
  EXPECT_EQ(bogus.status, 401) << bogus.describe();
}

TEST_F(Accounts, RequestsThatNeedASessionAre401WithoutTheCookie) {
  auto http = anonymous();
  for (const auto& target : {"/api/rooms/mine", "/api/rooms/public", "/api/rooms/favorites",
                             "/api/users?ids=abc"}) {
    auto res = http.get(target);
    EXPECT_EQ(res.status, 401) << target << ": " << res.describe();
    EXPECT_EQ(res.errorCode(), "unauthenticated") << target << ": " << res.body;
  }
  auto create = http.post("/api/rooms", {{"name", "x"}, {"visibility", "public"}});
  EXPECT_EQ(create.status, 401) << create.describe();
  auto me = http.patch("/api/me", {{"displayName", "x"}});
  EXPECT_EQ(me.status, 401) << me.describe();
}

TEST_F(Accounts, LogoutClearsTheCookieAndRevokesTheSession) {
  TestUser gina = signUp("gina");
  std::string token = *gina.http.session();
  auto res = gina.http.postEmpty("/api/auth/logout");
  EXPECT_EQ(res.status, 204) << res.describe();
  bool cleared = false;
  for (const auto& c : res.headerValues("Set-Cookie")) {
    if (c.rfind("roomchat_session=", 0) == 0) cleared = true;
  }
  EXPECT_TRUE(cleared) << "logout sent no Set-Cookie for roomchat_session";
  EXPECT_FALSE(gina.http.session().has_value()) << "the cookie was not cleared";

  // The old token no longer works: revoked server-side, not just forgotten.
  HttpClient replay = anonymous();
  replay.setSession(token);
  EXPECT_EQ(replay.get("/api/auth/session").status, 401);
  EXPECT_EQ(replay.get("/api/rooms/mine").status, 401);
  // And the password still logs in.
  auto login = anonymous().post("/api/auth/login", {{"username", "gina"}, {"password", gina.password}});
  EXPECT_EQ(login.status, 200) << login.describe();
}

TEST_F(Accounts, LogoutClosesThatSessionsRoomSocketsWith4401) {
  TestUser hank = signUp("hank");
  json room = createRoom(hank, "lobby");
  ASSERT_FALSE(room.is_null());
  std::string roomId = room["id"];

  // A second session of the same user, in another "browser".
  TestUser hank2 = hank;
  hank2.http = anonymous();
  ASSERT_EQ(hank2.http.post("/api/auth/login", {{"username", "hank"}, {"password", hank.password}})
                .status,
            200);

  Joined first = join(hank, roomId, "tab-a");
  Joined second = join(hank2, roomId, "tab-b");
  ASSERT_FALSE(first.welcome.is_null());
  ASSERT_FALSE(second.welcome.is_null());

  ASSERT_EQ(hank.http.postEmpty("/api/auth/logout").status, 204);
  EXPECT_EQ(first->waitClose(), std::optional<int>(4401))
      << "close reason: " << first->closeReason() << " " << first->readError();
  // The other session's socket is untouched.
  second->send({{"type", "ping"}});
  EXPECT_FALSE(second->expect("pong").is_null());
  EXPECT_FALSE(second->closed());
}

TEST_F(Accounts, PatchMeChangesTheDisplayName) {
  TestUser ivy = signUp("ivy");
  auto res = ivy.http.patch("/api/me", {{"displayName", "Ivy the Second"}});
  ASSERT_EQ(res.status, 200) << res.describe();
  EXPECT_EQ(res.json["user"].value("displayName", ""), "Ivy the Second");
  EXPECT_EQ(res.json["user"].value("id", ""), ivy.id);
  EXPECT_EQ(res.json["user"].value("username", ""), "ivy");
  auto session = ivy.http.get("/api/auth/session");
  EXPECT_EQ(session.json["user"].value("displayName", ""), "Ivy the Second");

  auto bad = ivy.http.patch("/api/me", {{"displayName", ""}});
  EXPECT_EQ(bad.status, 400) << bad.describe();
  EXPECT_EQ(bad.errorCode(), "invalid_display_name") << bad.body;
  auto tooLong = ivy.http.patch("/api/me", {{"displayName", std::string(65, 'x')}});
  EXPECT_EQ(tooLong.status, 400) << tooLong.describe();
  EXPECT_EQ(ivy.http.get("/api/auth/session").json["user"].value("displayName", ""),
            "Ivy the Second");
}

TEST_F(Accounts, UsersByIdsReturnsKnownUsersAndOmitsUnknownOnes) {
  TestUser a = signUp("jack");
  TestUser b = signUp("kate");
  auto res = a.http.get("/api/users?ids=" + a.id + "," + b.id + ",unknown_user_id");
  ASSERT_EQ(res.status, 200) << res.describe();
  ASSERT_TRUE(res.json.contains("items") && res.json["items"].is_array()) << res.body;
  std::vector<std::string> ids;
  for (const auto& u : res.json["items"]) {
    EXPECT_TRUE(isUserShape(u)) << u.dump();
    ids.push_back(u.value("id", ""));
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> want = {a.id, b.id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ids, want);
  for (const auto& u : res.json["items"]) {
    if (u["id"] == b.id) {
      EXPECT_EQ(u, b.user);
    }
  }
}

TEST_F(Accounts, UsersByIdsNeedsOneToAHundredIds) {
  TestUser a = signUp("liam");
  auto none = a.http.get("/api/users");
  EXPECT_EQ(none.status, 400) << none.describe();
  auto empty = a.http.get("/api/users?ids=");
  EXPECT_EQ(empty.status, 400) << empty.describe();
  EXPECT_TRUE(empty.isErrorShape()) << empty.body;

  std::string hundred = a.id, hundredOne;
  for (int i = 1; i < 100; ++i) hundred += ",u" + std::to_string(i);
  hundredOne = hundred + ",u100";
  auto ok = a.http.get("/api/users?ids=" + hundred);
  EXPECT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(ok.json["items"].size(), 1u) << ok.body;
  auto tooMany = a.http.get("/api/users?ids=" + hundredOne);
  EXPECT_EQ(tooMany.status, 400) << tooMany.describe();
  EXPECT_TRUE(tooMany.isErrorShape()) << tooMany.body;
}

TEST_F(Accounts, StateChangingRequestsFromAForeignOriginAre403BadOrigin) {
  TestUser mia = signUp("mia");
  const Headers evil = {{"Origin", "http://evil.example"}};
  auto create = mia.http.request("POST", "/api/rooms",
                                 json{{"name", "x"}, {"visibility", "public"}}.dump(), evil);
  EXPECT_EQ(create.status, 403) << create.describe();
  EXPECT_EQ(create.errorCode(), "bad_origin") << create.body;

  auto patch = mia.http.request("PATCH", "/api/me", json{{"displayName", "Pwned"}}.dump(), evil);
  EXPECT_EQ(patch.status, 403) << patch.describe();
  EXPECT_EQ(patch.errorCode(), "bad_origin") << patch.body;

  HttpClient stranger = anonymous();
  auto signup = stranger.request("POST", "/api/auth/signup", signupBody("evil_signup").dump(), evil);
  EXPECT_EQ(signup.status, 403) << signup.describe();
  EXPECT_EQ(signup.errorCode(), "bad_origin") << signup.body;

  auto logout = mia.http.request("POST", "/api/auth/logout", std::nullopt, evil);
  EXPECT_EQ(logout.status, 403) << logout.describe();
  EXPECT_TRUE(mia.http.session().has_value());
  EXPECT_EQ(mia.http.get("/api/auth/session").json["user"].value("displayName", ""),
            mia.displayName)
      << "a refused request had an effect";

  // The same origin and a request without Origin are fine.
  auto own = mia.http.request("POST", "/api/rooms",
                              json{{"name", "own"}, {"visibility", "public"}}.dump(),
                              {{"Origin", origin()}});
  EXPECT_EQ(own.status, 201) << own.describe();
  auto noOrigin = mia.http.post("/api/rooms", {{"name", "plain"}, {"visibility", "public"}});
  EXPECT_EQ(noOrigin.status, 201) << noOrigin.describe();
  // Reads are not state-changing: a foreign Origin on a GET is not refused.
  auto read = mia.http.get("/api/auth/session", evil);
  EXPECT_EQ(read.status, 200) << read.describe();
}

TEST_F(Accounts, TheDataFolderHoldsNeitherSessionTokensNorPasswords) {
  TestUser sue = signUp("sue", "Sue");
  auto login = anonymous();
  ASSERT_EQ(login.post("/api/auth/login", {{"username", "sue"}, {"password", sue.password}}).status, 200);
  std::vector<std::string> secrets = {*sue.http.session(), *login.session(), sue.password};
  // The databases may still sit in their write-ahead logs: read every file.
  namespace fs = std::filesystem;
  std::error_code ec;
  int files = 0;
  for (auto it = fs::recursive_directory_iterator(server().dataDir(), ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    ++files;
    std::ifstream in(it->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& secret : secrets) {
      EXPECT_EQ(bytes.find(secret), std::string::npos)
          << it->path() << " holds a secret in clear: " << secret;
    }
  }
  EXPECT_GT(files, 0) << "nothing in the data folder";
}

class AllowedOrigins : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--allowed-origin", "http://app.example:5173"});
    return args;
  }
};

TEST_F(AllowedOrigins, AConfiguredOriginIsAcceptedAndOthersAreNot) {
  TestUser nina = signUp("nina");
  auto ok = nina.http.request("POST", "/api/rooms",
                              json{{"name", "x"}, {"visibility", "public"}}.dump(),
                              {{"Origin", "http://app.example:5173"}});
  EXPECT_EQ(ok.status, 201) << ok.describe();
  auto otherPort = nina.http.request("POST", "/api/rooms",
                                     json{{"name", "x"}, {"visibility", "public"}}.dump(),
                                     {{"Origin", "http://app.example:5174"}});
  EXPECT_EQ(otherPort.status, 403) << otherPort.describe();
  EXPECT_EQ(otherPort.errorCode(), "bad_origin");
  // The server's own origin stays allowed.
  auto own = nina.http.request("POST", "/api/rooms",
                               json{{"name", "y"}, {"visibility", "public"}}.dump(),
                               {{"Origin", origin()}});
  EXPECT_EQ(own.status, 201) << own.describe();
  // The WebSocket upgrade follows the same rule.
  std::string roomId = ok.json["room"]["id"];
  auto ws = openSocket(nina, roomId, "t1", std::string("http://app.example:5173"));
  EXPECT_EQ(ws->upgradeStatus(), 101) << ws->upgradeBody();
  auto bad = openSocket(nina, roomId, "t2", std::string("http://app.example:5174"));
  EXPECT_EQ(bad->upgradeStatus(), 403) << bad->upgradeBody();
  EXPECT_EQ(bad->upgradeErrorCode(), "bad_origin");
}

class LoginLimit : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    return {"--login-per-minute", "1", "--login-burst", "3", "--signup-per-minute", "100000",
            "--signup-burst", "100000"};
  }
};

TEST_F(LoginLimit, RepeatedLoginsForOneUsernameGet429WithRetryAfter) {
  TestUser olga = signUp("olga");
  auto http = anonymous();
  int limited = 0;
  HttpResponse last;
  for (int i = 0; i < 6; ++i) {
    last = http.post("/api/auth/login", {{"username", "olga"}, {"password", "wrong password"}});
    if (last.status == 429) {
      ++limited;
      break;
    }
    EXPECT_EQ(last.status, 401) << "attempt " << i << ": " << last.describe();
  }
  ASSERT_EQ(limited, 1) << "no 429 after 6 attempts with burst 3: " << last.describe();
  EXPECT_EQ(last.errorCode(), "rate_limited") << last.body;
  EXPECT_TRUE(last.isErrorShape()) << last.body;
  std::string retryAfter = last.header("Retry-After");
  ASSERT_FALSE(retryAfter.empty()) << "429 without Retry-After";
  EXPECT_GT(std::stoi(retryAfter), 0) << retryAfter;

  // The right password does not get past the limit either.
  auto right = http.post("/api/auth/login", {{"username", "olga"}, {"password", olga.password}});
  EXPECT_EQ(right.status, 429) << right.describe();
  // Another username from the same IP is still below the per-IP limit.
  signUp("pete");
  auto other = anonymous().post("/api/auth/login",
                                {{"username", "pete"}, {"password", "password-pete"}});
  EXPECT_EQ(other.status, 200) << other.describe();
}

TEST_F(LoginLimit, ManyUsernamesFromOneAddressHitThePerAddressLimit) {
  // Per address the limit is 5x the per-username one: burst 15 here. Each
  // username is tried twice, below its own burst of 3.
  auto http = anonymous();
  int firstLimited = -1;
  HttpResponse limited;
  for (int i = 0; i < 40 && firstLimited < 0; ++i) {
    auto res = http.post("/api/auth/login", {{"username", "ghost_" + std::to_string(i / 2)},
                                             {"password", "whatever1"}});
    if (res.status == 429) {
      firstLimited = i;
      limited = res;
    } else {
      EXPECT_EQ(res.status, 401) << res.describe();
    }
  }
  ASSERT_GE(firstLimited, 0) << "40 failed logins from one address were never limited";
  EXPECT_GE(firstLimited, 15) << "limited before the per-address burst";
  EXPECT_LE(firstLimited, 17) << "the per-address limit is not 5x the per-username one";
  EXPECT_FALSE(limited.header("Retry-After").empty());
}

}  // namespace
}  // namespace roomchat::test

namespace roomchat::test {
namespace {

class SignupLimit : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    return {"--signup-per-minute", "1", "--signup-burst", "2"};
  }
};

TEST_F(SignupLimit, SignupsFromOneAddressPastTheBurstGet429WithRetryAfter) {
  auto http = anonymous();
  EXPECT_EQ(http.post("/api/auth/signup", signupBody("first_one")).status, 201);
  EXPECT_EQ(http.post("/api/auth/signup", signupBody("second_one")).status, 201);
  auto res = http.post("/api/auth/signup", signupBody("third_one"));
  EXPECT_EQ(res.status, 429) << res.describe();
  EXPECT_EQ(res.errorCode(), "rate_limited") << res.body;
  EXPECT_FALSE(res.header("Retry-After").empty()) << "429 without Retry-After";
  // Nothing was created for the refused signup.
  auto login = anonymous().post("/api/auth/login",
                                {{"username", "third_one"}, {"password", "correct horse"}});
  EXPECT_EQ(login.status, 401) << login.describe();
}

}  // namespace
}  // namespace roomchat::test
