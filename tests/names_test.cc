// Display names and room names are shown to other users next to their
// messages: they may not carry controls (NUL, escapes, newlines), bidi
// overrides that reorder what is around them, or nothing visible at all
// (a blank name impersonates nobody and everybody). The server refuses such
// names with the contract's validation error and keeps the old one.
#include "support/fixture.h"

namespace roomchat::test {
namespace {

class Names : public ServerTest {};

// JSON-escaped so the test says exactly which code points it sends.
const std::vector<std::string> kBadNames = {
    "a\\u0000b",        "a\\u0007b",       "line\\nbreak",      "tab\\there",
    "\\u001b[31mred",   "a\\u007fb",       "a\\u0085b",         "\\u202Egnp.exe",
    "a\\u202Ab",        "a\\u202Bb",       "a\\u202Cb",         "a\\u202Db",
    "a\\u2066b",        "a\\u2067b",       "a\\u2068b",         "a\\u2069b",
    "a\\u200Eb",        "a\\u200Fb",       "a\\u061Cb",         "\\u200B",
    "\\u200B\\u200C\\u200D", "\\uFEFF",     "\\u3164",           "\\u2800",
    "\\u00AD\\u2060",   "\\uFE0F",
};

json parsed(const std::string& escaped) { return json::parse("\"" + escaped + "\""); }

TEST_F(Names, ASignupWithAnUnshowableDisplayNameIs400AndCreatesNoUser) {
  int n = 0;
  for (const auto& escaped : kBadNames) {
    const std::string username = "badname" + std::to_string(n++);
    auto res = anonymous().post("/api/auth/signup", {{"username", username},
                                                     {"password", "correct horse"},
                                                     {"displayName", parsed(escaped)}});
    EXPECT_EQ(res.status, 400) << escaped << ": " << res.describe();
    EXPECT_TRUE(res.isErrorShape()) << res.body;
    EXPECT_EQ(res.errorCode(), "invalid_display_name") << escaped;
    auto login = anonymous().post("/api/auth/login",
                                  {{"username", username}, {"password", "correct horse"}});
    EXPECT_EQ(login.status, 401) << escaped << ": the user exists";
  }
}

TEST_F(Names, RenamingToAnUnshowableDisplayNameIs400AndKeepsTheName) {
  TestUser u = newUser();
  for (const auto& escaped : kBadNames) {
    auto res = u.http.patch("/api/me", {{"displayName", parsed(escaped)}});
    EXPECT_EQ(res.status, 400) << escaped << ": " << res.describe();
    EXPECT_EQ(res.errorCode(), "invalid_display_name") << escaped;
  }
  EXPECT_EQ(u.http.get("/api/auth/session").json["user"]["displayName"], u.displayName);
}

TEST_F(Names, AnUnshowableRoomNameIs400OnCreateAndRename) {
  TestUser u = newUser();
  json room = createRoom(u, "Fine name");
  const std::string path = "/api/rooms/" + room["id"].get<std::string>();
  for (const auto& escaped : kBadNames) {
    auto created = u.http.post("/api/rooms", {{"name", parsed(escaped)}, {"visibility", "public"}});
    EXPECT_EQ(created.status, 400) << escaped << ": " << created.describe();
    EXPECT_EQ(created.errorCode(), "invalid_name") << escaped;
    auto renamed = u.http.patch(path, {{"name", parsed(escaped)}});
    EXPECT_EQ(renamed.status, 400) << escaped << ": " << renamed.describe();
    EXPECT_EQ(renamed.errorCode(), "invalid_name") << escaped;
  }
  auto mine = u.http.get("/api/rooms/mine");
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(mine.json["items"].size(), 1u) << mine.body;
  EXPECT_EQ(mine.json["items"][0]["name"], "Fine name");
}

TEST_F(Names, NamesInAnyScriptWithEmojiAndInnerSpacesPass) {
  TestUser u = newUser();
  for (const std::string escaped : {"Zo\\u00eb", "\\u0639\\u0631\\u0628\\u064a",
                                    "\\ud83d\\udc69\\u200d\\ud83d\\udcbb dev", "\\u65e5\\u672c",
                                    "a\\u00a0b", "<b>Ann</b>"}) {
    auto me = u.http.patch("/api/me", {{"displayName", parsed(escaped)}});
    EXPECT_EQ(me.status, 200) << escaped << ": " << me.describe();
    EXPECT_EQ(me.json["user"]["displayName"], parsed(escaped));
    auto room = u.http.post("/api/rooms", {{"name", parsed(escaped)}, {"visibility", "public"}});
    EXPECT_EQ(room.status, 201) << escaped << ": " << room.describe();
  }
}

}  // namespace
}  // namespace roomchat::test
