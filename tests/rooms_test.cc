// Rooms over HTTP (API.md §2): create, limits, the three lists and their
// cursors, get/patch/delete with their permissions and the frames they push
// to connected sockets, favorites, invites and member removal, history and
// search.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

class Rooms : public ServerTest {};

const std::set<std::string> kRoomFields = {"id",        "name",         "visibility",
                                           "ownerId",   "createdAt",    "lastActiveAt",
                                           "isFavorite", "role"};

void expectRoomShape(const json& r) {
  ASSERT_TRUE(r.is_object()) << r.dump();
  for (const auto& f : kRoomFields) EXPECT_TRUE(r.contains(f)) << "room lacks " << f << ": " << r.dump();
  EXPECT_TRUE(r["id"].is_string());
  EXPECT_TRUE(r["createdAt"].is_number_integer()) << r.dump();
  EXPECT_TRUE(r["lastActiveAt"].is_number_integer()) << r.dump();
  EXPECT_TRUE(r["isFavorite"].is_boolean()) << r.dump();
}

// Walks a cursor-paginated list with `limit` and returns every item; fails
// on a non-200 page or a loop.
std::vector<json> walk(HttpClient& http, const std::string& path, int limit, int* pages = nullptr) {
  std::vector<json> all;
  std::optional<std::string> cursor;
  int n = 0;
  while (true) {
    std::string target = path + (path.find('?') == std::string::npos ? "?" : "&") +
                         "limit=" + std::to_string(limit);
    if (cursor) target += "&cursor=" + urlEncode(*cursor);
    auto res = http.get(target);
    EXPECT_EQ(res.status, 200) << target << ": " << res.describe();
    if (res.status != 200) break;
    EXPECT_TRUE(res.json.contains("items") && res.json["items"].is_array()) << res.body;
    EXPECT_TRUE(res.json.contains("nextCursor")) << res.body;
    EXPECT_LE(res.json["items"].size(), static_cast<size_t>(limit)) << res.body;
    for (const auto& it : res.json["items"]) all.push_back(it);
    ++n;
    if (!res.json.contains("nextCursor") || res.json["nextCursor"].is_null()) break;
    cursor = res.json["nextCursor"].get<std::string>();
    if (n > 200) {
      ADD_FAILURE() << "pagination of " << path << " does not end";
      break;
    }
  }
  if (pages) *pages = n;
  return all;
}

std::vector<std::string> idsOf(const std::vector<json>& items) {
  std::vector<std::string> out;
  for (const auto& r : items) out.push_back(r.value("id", ""));
  return out;
}

TEST_F(Rooms, CreateReturnsTheRoomWithTheOwnerRole) {
  TestUser ann = newUser();
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto res = ann.http.post("/api/rooms", {{"name", "General"}, {"visibility", "public"}});
  ASSERT_EQ(res.status, 201) << res.describe();
  json r = res.json["room"];
  expectRoomShape(r);
  EXPECT_EQ(r["name"], "General");
  EXPECT_EQ(r["visibility"], "public");
  EXPECT_EQ(r["ownerId"], ann.id);
  EXPECT_EQ(r["role"], "owner");
  EXPECT_EQ(r["isFavorite"], false);
  std::string id = r["id"];
  EXPECT_TRUE(std::regex_match(id, std::regex("^[A-Za-z0-9_-]{22,64}$")))
      << "room id '" << id << "' cannot hold 128 random bits";
  int64_t createdAt = r["createdAt"];
  EXPECT_GE(createdAt, before - 60'000);
  EXPECT_LE(createdAt, before + 60'000);

  auto got = ann.http.get("/api/rooms/" + id);
  ASSERT_EQ(got.status, 200) << got.describe();
  EXPECT_EQ(got.json["room"]["name"], "General");
  EXPECT_EQ(got.json["room"]["role"], "owner");

  for (const auto& vis : {"unlisted", "private"}) {
    auto other = ann.http.post("/api/rooms", {{"name", vis}, {"visibility", vis}});
    EXPECT_EQ(other.status, 201) << other.describe();
    EXPECT_EQ(other.json["room"]["visibility"], vis);
  }
  auto a = ann.http.post("/api/rooms", {{"name", "same"}, {"visibility", "public"}});
  auto b = ann.http.post("/api/rooms", {{"name", "same"}, {"visibility", "public"}});
  EXPECT_NE(a.json["room"]["id"], b.json["room"]["id"]);
}

TEST_F(Rooms, CreateTrimsTheNameAndNeedsOneToSixtyFourChars) {
  TestUser ben = newUser();
  auto trimmed = ben.http.post("/api/rooms", {{"name", "  spaced out \t"}, {"visibility", "public"}});
  ASSERT_EQ(trimmed.status, 201) << trimmed.describe();
  EXPECT_EQ(trimmed.json["room"]["name"], "spaced out");

  auto max = ben.http.post("/api/rooms", {{"name", "  " + repeat('n', 64) + "  "}, {"visibility", "public"}});
  EXPECT_EQ(max.status, 201) << max.describe();
  // 64 characters, not bytes.
  std::string e64;
  for (int i = 0; i < 64; ++i) e64 += "\xC3\xA9";
  auto multibyte = ben.http.post("/api/rooms", {{"name", e64}, {"visibility", "public"}});
  EXPECT_EQ(multibyte.status, 201) << multibyte.describe();

  for (const auto& bad : {std::string(), std::string("   "), repeat('n', 65)}) {
    auto res = ben.http.post("/api/rooms", {{"name", bad}, {"visibility", "public"}});
    EXPECT_EQ(res.status, 400) << "name '" << bad << "': " << res.describe();
    EXPECT_TRUE(res.isErrorShape()) << res.body;
  }
  auto missing = ben.http.post("/api/rooms", {{"visibility", "public"}});
  EXPECT_EQ(missing.status, 400) << missing.describe();
}

TEST_F(Rooms, CreateRejectsAnUnknownVisibility) {
  TestUser cat = newUser();
  for (const json& vis : {json("secret"), json("PUBLIC"), json(1), json(nullptr)}) {
    auto res = cat.http.post("/api/rooms", {{"name", "x"}, {"visibility", vis}});
    EXPECT_EQ(res.status, 400) << "visibility " << vis.dump() << ": " << res.describe();
    EXPECT_TRUE(res.isErrorShape()) << res.body;
  }
  auto mine = cat.http.get("/api/rooms/mine");
  EXPECT_TRUE(mine.json["items"].empty()) << "a refused create made a room: " << mine.body;
}

class RoomLimit : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--max-rooms-per-owner", "3"});
    return args;
  }
};

TEST_F(RoomLimit, AnOwnerCannotCreateMoreRoomsThanTheLimit) {
  TestUser dan = newUser();
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(createRoom(dan, "r" + std::to_string(i)).is_null());
  auto res = dan.http.post("/api/rooms", {{"name", "one too many"}, {"visibility", "public"}});
  EXPECT_TRUE(res.status == 429 || res.status == 403) << res.describe();
  EXPECT_EQ(res.errorCode(), "room_limit") << res.body;
  EXPECT_EQ(walk(dan.http, "/api/rooms/mine", 100).size(), 3u);
  // Another owner has their own allowance.
  TestUser eve = newUser();
  EXPECT_FALSE(createRoom(eve, "mine").is_null());
}

TEST_F(Rooms, MineListsOwnedAndJoinedRoomsMostRecentlyActiveFirstAcrossPages) {
  TestUser fay = newUser();
  TestUser gus = newUser();
  std::vector<std::string> owned;
  for (int i = 0; i < 5; ++i) owned.push_back(createRoom(fay, "room " + std::to_string(i))["id"]);
  // gus's private room that fay joins through an invite.
  std::string theirs = createRoom(gus, "gus private", "private")["id"];
  auto inv = gus.http.post("/api/rooms/" + theirs + "/invites");
  ASSERT_EQ(inv.status, 201) << inv.describe();
  ASSERT_EQ(fay.http.post("/api/invites/" + inv.json["token"].get<std::string>() + "/accept").status,
            200);
  // A room fay has nothing to do with.
  createRoom(gus, "gus public");

  // Activity: a message in owned[1] makes it the most recently active.
  {
    Joined ws = join(fay, owned[1]);
    ASSERT_FALSE(sendText(*ws, "c1", "hello").is_null());
  }
  // The list may be updated just after the ack: wait for it, so that the
  // room does not move while the pages are walked.
  EXPECT_TRUE(eventually(
      [&] {
        auto first = fay.http.get("/api/rooms/mine?limit=1");
        return first.status == 200 && !first.json["items"].empty() &&
               first.json["items"][0]["id"] == owned[1];
      },
      10s))
      << "the room with the newest message never came first: "
      << fay.http.get("/api/rooms/mine?limit=100").body;

  int pages = 0;
  auto items = walk(fay.http, "/api/rooms/mine", 2, &pages);
  EXPECT_EQ(pages, 3);
  auto ids = idsOf(items);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "a room appears on two pages";
  std::set<std::string> want(owned.begin(), owned.end());
  want.insert(theirs);
  EXPECT_EQ(unique, want) << "pages: " << json(items).dump() << "\none page of 100: "
                          << fay.http.get("/api/rooms/mine?limit=100").body
                          << "\nowned[1]=" << owned[1] << " theirs=" << theirs;
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0]["id"], owned[1]) << "the room with the newest message is not first";
  for (size_t i = 1; i < items.size(); ++i) {
    EXPECT_GE(items[i - 1]["lastActiveAt"].get<int64_t>(), items[i]["lastActiveAt"].get<int64_t>())
        << "mine is not ordered by lastActiveAt desc at " << i;
  }
  for (const auto& r : items) {
    expectRoomShape(r);
    EXPECT_EQ(r["role"], r["id"] == theirs ? "member" : "owner") << r.dump();
  }
}

TEST_F(Rooms, ListsRejectBadLimitsAndUndecodableCursors) {
  TestUser hal = newUser();
  createRoom(hal, "a");
  for (const std::string list : {"mine", "public", "favorites"}) {
    for (const std::string q : {"limit=0", "limit=101", "limit=abc", "limit=-1", "limit=2.5",
                                "cursor=garbage", "cursor=%7B%7D", "cursor=AAAA"}) {
      auto res = hal.http.get("/api/rooms/" + list + "?" + q);
      EXPECT_EQ(res.status, 400) << list << "?" << q << ": " << res.describe();
      EXPECT_TRUE(res.isErrorShape()) << list << "?" << q << ": " << res.body;
    }
    EXPECT_EQ(hal.http.get("/api/rooms/" + list + "?limit=1").status, 200);
    EXPECT_EQ(hal.http.get("/api/rooms/" + list + "?limit=100").status, 200);
  }
}

TEST_F(Rooms, PublicListsOnlyPublicRoomsByLastActiveAtWithOnlineCounts) {
  TestUser ida = newUser();
  TestUser jon = newUser();
  std::vector<std::string> pub;
  for (int i = 0; i < 5; ++i) pub.push_back(createRoom(ida, "pub " + std::to_string(i))["id"]);
  std::string unlisted = createRoom(ida, "unlisted", "unlisted")["id"];
  std::string priv = createRoom(ida, "private", "private")["id"];

  // pub[2] gets a message (moves to the top) and one connected user.
  Joined ws = join(jon, pub[2]);
  ASSERT_FALSE(sendText(*ws, "m1", "activity").is_null());
  EXPECT_TRUE(eventually(
      [&] {
        auto first = jon.http.get("/api/rooms/public?limit=1");
        return first.status == 200 && !first.json["items"].empty() &&
               first.json["items"][0]["id"] == pub[2];
      },
      10s))
      << "the room with the newest message never came first: "
      << jon.http.get("/api/rooms/public?limit=100").body;

  int pages = 0;
  auto items = walk(jon.http, "/api/rooms/public", 2, &pages);
  EXPECT_EQ(pages, 3);
  auto ids = idsOf(items);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "a room appears twice";
  EXPECT_EQ(unique, std::set<std::string>(pub.begin(), pub.end()));
  EXPECT_EQ(unique.count(unlisted), 0u);
  EXPECT_EQ(unique.count(priv), 0u);
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0]["id"], pub[2]);
  for (size_t i = 1; i < items.size(); ++i) {
    auto a = std::make_pair(items[i - 1]["lastActiveAt"].get<int64_t>(),
                            items[i - 1]["id"].get<std::string>());
    auto b = std::make_pair(items[i]["lastActiveAt"].get<int64_t>(), items[i]["id"].get<std::string>());
    EXPECT_GT(a, b) << "public is not ordered by (lastActiveAt, id) desc at " << i;
  }
  for (const auto& r : items) {
    ASSERT_TRUE(r.contains("online") && r["online"].is_number_integer()) << r.dump();
    EXPECT_EQ(r["online"].get<int>(), r["id"] == pub[2] ? 1 : 0) << r.dump();
    EXPECT_EQ(r["visibility"], "public");
  }
}

TEST_F(Rooms, GetIs404ForUnknown403ForPrivateNonMembersAndGuestForPublic) {
  TestUser kim = newUser();
  TestUser lou = newUser();
  std::string pub = createRoom(kim, "pub", "public")["id"];
  std::string unl = createRoom(kim, "unl", "unlisted")["id"];
  std::string priv = createRoom(kim, "priv", "private")["id"];

  auto unknown = lou.http.get("/api/rooms/doesnotexist0000000000000");
  EXPECT_EQ(unknown.status, 404) << unknown.describe();
  EXPECT_EQ(unknown.errorCode(), "not_found") << unknown.body;
  auto badId = lou.http.get("/api/rooms/not%20an%20id!");
  EXPECT_TRUE(badId.status == 404 || badId.status == 400) << badId.describe();

  auto p = lou.http.get("/api/rooms/" + priv);
  EXPECT_EQ(p.status, 403) << p.describe();
  EXPECT_EQ(p.errorCode(), "forbidden") << p.body;

  for (const auto& id : {pub, unl}) {
    auto res = lou.http.get("/api/rooms/" + id);
    ASSERT_EQ(res.status, 200) << res.describe();
    EXPECT_EQ(res.json["room"]["role"], "guest") << res.body;
    expectRoomShape(res.json["room"]);
  }
  EXPECT_EQ(kim.http.get("/api/rooms/" + priv).json["room"]["role"], "owner");
}

TEST_F(Rooms, PatchIsOwnerOnlyAndPushesRoomUpdatedToConnectedSockets) {
  TestUser max = newUser();
  TestUser ned = newUser();
  json room = createRoom(max, "before");
  std::string id = room["id"];
  Joined owner = join(max, id, "t1");
  Joined guest = join(ned, id, "t2");

  auto forbidden = ned.http.patch("/api/rooms/" + id, {{"name", "hijacked"}});
  EXPECT_EQ(forbidden.status, 403) << forbidden.describe();
  EXPECT_EQ(forbidden.errorCode(), "forbidden") << forbidden.body;

  auto bad = max.http.patch("/api/rooms/" + id, {{"name", "   "}});
  EXPECT_EQ(bad.status, 400) << bad.describe();
  auto badVis = max.http.patch("/api/rooms/" + id, {{"visibility", "hidden"}});
  EXPECT_EQ(badVis.status, 400) << badVis.describe();

  auto ok = max.http.patch("/api/rooms/" + id, {{"name", "  after  "}, {"visibility", "unlisted"}});
  ASSERT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(ok.json["room"]["name"], "after");
  EXPECT_EQ(ok.json["room"]["visibility"], "unlisted");
  EXPECT_EQ(ok.json["room"]["role"], "owner");

  for (Joined* j : {&owner, &guest}) {
    json f = (*j)->expect("roomUpdated");
    ASSERT_FALSE(f.is_null());
    EXPECT_EQ(f["room"]["name"], "after") << f.dump();
    EXPECT_EQ(f["room"]["visibility"], "unlisted") << f.dump();
    EXPECT_EQ(f["room"]["id"], id);
  }
  EXPECT_EQ(ned.http.get("/api/rooms/" + id).json["room"]["name"], "after");
  // The rename is not activity.
  EXPECT_EQ(max.http.get("/api/rooms/" + id).json["room"]["lastActiveAt"], room["lastActiveAt"]);
}

TEST_F(Rooms, DeleteIsOwnerOnlyAndClosesSocketsWithRoomDeletedThen4404) {
  TestUser ola = newUser();
  TestUser pam = newUser();
  std::string id = createRoom(ola, "doomed")["id"];
  Joined a = join(ola, id, "t1");
  Joined b = join(pam, id, "t2");
  ASSERT_FALSE(sendText(*a, "c1", "last words").is_null());
  b->expect("message");

  auto forbidden = pam.http.del("/api/rooms/" + id);
  EXPECT_EQ(forbidden.status, 403) << forbidden.describe();
  EXPECT_EQ(pam.http.get("/api/rooms/" + id).status, 200);

  auto res = ola.http.del("/api/rooms/" + id);
  EXPECT_EQ(res.status, 204) << res.describe();
  for (Joined* j : {&a, &b}) {
    EXPECT_FALSE((*j)->expect("roomDeleted").is_null());
    EXPECT_EQ((*j)->waitClose(), std::optional<int>(4404));
  }
  auto gone = ola.http.get("/api/rooms/" + id);
  EXPECT_EQ(gone.status, 404) << gone.describe();
  EXPECT_EQ(pam.http.get("/api/rooms/" + id + "/messages").status, 404);
  auto again = openSocket(pam, id);
  EXPECT_EQ(again->upgradeStatus(), 404) << again->upgradeBody();
  EXPECT_EQ(ola.http.del("/api/rooms/" + id).status, 404);
  auto mine = walk(ola.http, "/api/rooms/mine", 100);
  EXPECT_TRUE(mine.empty());

  // Its database is removed from the data folder.
  namespace fs = std::filesystem;
  auto filesNamingRoom = [&] {
    int n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(server().dataDir(), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename().string().find(id) != std::string::npos) ++n;
    }
    return n;
  };
  EXPECT_TRUE(eventually([&] { return filesNamingRoom() == 0; }, 10s))
      << filesNamingRoom() << " files named after the deleted room remain";
}

TEST_F(Rooms, FavoritesAreIdempotentAndListedWithPagination) {
  TestUser quinn = newUser();
  TestUser rex = newUser();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(createRoom(rex, "fav " + std::to_string(i))["id"]);
  createRoom(rex, "not a favorite");

  for (const auto& id : ids) {
    EXPECT_EQ(quinn.http.put("/api/rooms/" + id + "/favorite").status, 204);
    EXPECT_EQ(quinn.http.put("/api/rooms/" + id + "/favorite").status, 204) << "not idempotent";
  }
  EXPECT_EQ(quinn.http.get("/api/rooms/" + ids[0]).json["room"]["isFavorite"], true);
  EXPECT_EQ(rex.http.get("/api/rooms/" + ids[0]).json["room"]["isFavorite"], false)
      << "favorites are per user";
  int pages = 0;
  auto items = walk(quinn.http, "/api/rooms/favorites", 2, &pages);
  EXPECT_EQ(pages, 2);
  auto got = idsOf(items);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(got.size(), 3u);
  for (const auto& r : items) EXPECT_EQ(r["isFavorite"], true) << r.dump();

  EXPECT_EQ(quinn.http.del("/api/rooms/" + ids[1] + "/favorite").status, 204);
  EXPECT_EQ(quinn.http.del("/api/rooms/" + ids[1] + "/favorite").status, 204) << "not idempotent";
  got = idsOf(walk(quinn.http, "/api/rooms/favorites", 100));
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), (std::set<std::string>{ids[0], ids[2]}));
  EXPECT_EQ(quinn.http.get("/api/rooms/" + ids[1]).json["room"]["isFavorite"], false);

  EXPECT_EQ(quinn.http.put("/api/rooms/doesnotexist0000000000000/favorite").status, 404);
  std::string priv = createRoom(rex, "private", "private")["id"];
  EXPECT_EQ(quinn.http.put("/api/rooms/" + priv + "/favorite").status, 403);
}

TEST_F(Rooms, AnInviteMakesTheAcceptingUserAMemberOfAPrivateRoom) {
  TestUser sam = newUser();
  TestUser tia = newUser();
  std::string id = createRoom(sam, "secret club", "private")["id"];
  EXPECT_EQ(tia.http.get("/api/rooms/" + id).status, 403);
  auto refused = openSocket(tia, id);
  EXPECT_EQ(refused->upgradeStatus(), 403) << refused->upgradeBody();
  EXPECT_EQ(refused->upgradeErrorCode(), "forbidden") << refused->upgradeBody();

  auto notOwner = tia.http.post("/api/rooms/" + id + "/invites");
  EXPECT_EQ(notOwner.status, 403) << notOwner.describe();

  auto inv = sam.http.post("/api/rooms/" + id + "/invites");
  ASSERT_EQ(inv.status, 201) << inv.describe();
  ASSERT_TRUE(inv.json.contains("token") && inv.json["token"].is_string()) << inv.body;
  std::string token = inv.json["token"];
  EXPECT_GE(token.size(), 22u) << "invite token too short to be unguessable";
  EXPECT_EQ(inv.json.value("url", ""), origin() + "/invite/" + token);

  auto bad = tia.http.post("/api/invites/not-a-real-token/accept");
  EXPECT_EQ(bad.status, 404) << bad.describe();
  EXPECT_TRUE(bad.isErrorShape()) << bad.body;

  auto acc = tia.http.post("/api/invites/" + token + "/accept");
  ASSERT_EQ(acc.status, 200) << acc.describe();
  EXPECT_EQ(acc.json["room"]["id"], id);
  EXPECT_EQ(acc.json["room"]["role"], "member");
  auto got = tia.http.get("/api/rooms/" + id);
  EXPECT_EQ(got.status, 200) << got.describe();
  EXPECT_EQ(got.json["room"]["role"], "member");
  auto mine = idsOf(walk(tia.http, "/api/rooms/mine", 100));
  EXPECT_NE(std::find(mine.begin(), mine.end(), id), mine.end());
  Joined ws = join(tia, id);
  EXPECT_EQ(ws.welcome["room"]["role"], "member") << ws.welcome.dump();
  // Accepting twice is harmless.
  EXPECT_EQ(tia.http.post("/api/invites/" + token + "/accept").status, 200);
  EXPECT_EQ(tia.http.get("/api/rooms/" + id).json["room"]["role"], "member");
}

class PublicOrigin : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--public-origin", "https://chat.example.org"});
    return args;
  }
};

TEST_F(PublicOrigin, InviteUrlsUseThePublicOriginWhichIsAlsoAllowed) {
  TestUser uma = newUser();
  std::string id = createRoom(uma, "r", "private")["id"];
  auto inv = uma.http.post("/api/rooms/" + id + "/invites");
  ASSERT_EQ(inv.status, 201) << inv.describe();
  EXPECT_EQ(inv.json.value("url", ""),
            "https://chat.example.org/invite/" + inv.json.value("token", ""));
  auto res = uma.http.request("POST", "/api/rooms",
                              json{{"name", "x"}, {"visibility", "public"}}.dump(),
                              {{"Origin", "https://chat.example.org"}});
  EXPECT_EQ(res.status, 201) << res.describe();
}

TEST_F(Rooms, RemovingAMemberClosesTheirSocketsWith4403AndLocksThemOut) {
  TestUser vic = newUser();
  TestUser wes = newUser();
  TestUser xan = newUser();
  std::string id = createRoom(vic, "members only", "private")["id"];
  for (TestUser* u : {&wes, &xan}) {
    auto inv = vic.http.post("/api/rooms/" + id + "/invites");
    ASSERT_EQ(inv.status, 201);
    ASSERT_EQ(u->http.post("/api/invites/" + inv.json["token"].get<std::string>() + "/accept").status,
              200);
  }
  Joined wes1 = join(wes, id, "w1");
  Joined wes2 = join(wes, id, "w2");
  Joined xanWs = join(xan, id, "x1");

  auto notOwner = xan.http.del("/api/rooms/" + id + "/members/" + wes.id);
  EXPECT_EQ(notOwner.status, 403) << notOwner.describe();

  auto res = vic.http.del("/api/rooms/" + id + "/members/" + wes.id);
  EXPECT_EQ(res.status, 204) << res.describe();
  EXPECT_EQ(wes1->waitClose(), std::optional<int>(4403));
  EXPECT_EQ(wes2->waitClose(), std::optional<int>(4403));
  xanWs->send({{"type", "ping"}});
  EXPECT_FALSE(xanWs->expect("pong").is_null()) << "another member's socket was affected";

  auto again = openSocket(wes, id);
  EXPECT_EQ(again->upgradeStatus(), 403) << again->upgradeBody();
  EXPECT_EQ(wes.http.get("/api/rooms/" + id).status, 403);
  auto mine = idsOf(walk(wes.http, "/api/rooms/mine", 100));
  EXPECT_EQ(std::find(mine.begin(), mine.end(), id), mine.end());
}

// Issue 10: an invite link used to let a removed member straight back in.
TEST_F(Rooms, ARemovedMemberCannotRejoinWithAnInviteMadeBeforeTheRemoval) {
  TestUser ora = newUser();
  TestUser pia = newUser();
  TestUser quy = newUser();
  std::string id = createRoom(ora, "no return", "private")["id"];
  auto inv = ora.http.post("/api/rooms/" + id + "/invites");
  ASSERT_EQ(inv.status, 201) << inv.describe();
  const std::string oldToken = inv.json["token"];
  ASSERT_EQ(pia.http.post("/api/invites/" + oldToken + "/accept").status, 200);
  ASSERT_EQ(ora.http.del("/api/rooms/" + id + "/members/" + pia.id).status, 204);

  auto back = pia.http.post("/api/invites/" + oldToken + "/accept");
  EXPECT_EQ(back.status, 403) << back.describe();
  EXPECT_EQ(back.errorCode(), "forbidden") << back.body;
  EXPECT_EQ(pia.http.get("/api/rooms/" + id).status, 403) << "the old invite made them a member";
  auto refused = openSocket(pia, id);
  EXPECT_EQ(refused->upgradeStatus(), 403) << refused->upgradeBody();
  auto mine = idsOf(walk(pia.http, "/api/rooms/mine", 100));
  EXPECT_EQ(std::find(mine.begin(), mine.end(), id), mine.end());

  // The link itself still works for everyone else.
  auto other = quy.http.post("/api/invites/" + oldToken + "/accept");
  EXPECT_EQ(other.status, 200) << other.describe();

  // An invite made after the removal is the owner's new decision.
  auto fresh = ora.http.post("/api/rooms/" + id + "/invites");
  ASSERT_EQ(fresh.status, 201) << fresh.describe();
  auto readmitted = pia.http.post("/api/invites/" + fresh.json["token"].get<std::string>() + "/accept");
  EXPECT_EQ(readmitted.status, 200) << readmitted.describe();
  EXPECT_EQ(pia.http.get("/api/rooms/" + id).json["room"]["role"], "member");
}

// Issue 10: an invite used to work for 7 days with no way to take it back.
TEST_F(Rooms, OwnersListTheirRoomsInvitesAndRevokeThem) {
  TestUser rue = newUser();
  TestUser sol = newUser();
  std::string id = createRoom(rue, "invites", "private")["id"];
  std::vector<json> made;
  for (int i = 0; i < 3; ++i) {
    auto inv = rue.http.post("/api/rooms/" + id + "/invites");
    ASSERT_EQ(inv.status, 201) << inv.describe();
    ASSERT_TRUE(inv.json.contains("invite") && inv.json["invite"].is_object()) << inv.body;
    made.push_back(inv.json);
  }
  const json& first = made[0]["invite"];
  EXPECT_TRUE(first["id"].is_string()) << first.dump();
  EXPECT_EQ(first["createdBy"], rue.id);
  EXPECT_TRUE(first["createdAt"].is_number_integer()) << first.dump();
  EXPECT_EQ(first["expiresAt"].get<int64_t>() - first["createdAt"].get<int64_t>(),
            int64_t{7} * 86400 * 1000);
  EXPECT_FALSE(first.contains("token")) << "the token is not stored, so never listed";

  int pages = 0;
  auto listed = walk(rue.http, "/api/rooms/" + id + "/invites", 2, &pages);
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(listed.size(), 3u);
  std::set<std::string> ids;
  for (const auto& item : listed) {
    ids.insert(item["id"].get<std::string>());
    EXPECT_FALSE(item.contains("token")) << item.dump();
  }
  for (const auto& m : made) EXPECT_EQ(ids.count(m["invite"]["id"].get<std::string>()), 1u);
  for (size_t i = 1; i < listed.size(); ++i)
    EXPECT_GE(listed[i - 1]["createdAt"].get<int64_t>(), listed[i]["createdAt"].get<int64_t>());

  EXPECT_EQ(sol.http.get("/api/rooms/" + id + "/invites").status, 403);
  const std::string victim = made[1]["invite"]["id"];
  EXPECT_EQ(sol.http.del("/api/rooms/" + id + "/invites/" + victim).status, 403);

  auto revoked = rue.http.del("/api/rooms/" + id + "/invites/" + victim);
  EXPECT_EQ(revoked.status, 204) << revoked.describe();
  auto again = rue.http.del("/api/rooms/" + id + "/invites/" + victim);
  EXPECT_EQ(again.status, 404) << again.describe();
  EXPECT_TRUE(again.isErrorShape()) << again.body;
  auto dead = sol.http.post("/api/invites/" + made[1]["token"].get<std::string>() + "/accept");
  EXPECT_EQ(dead.status, 404) << dead.describe();
  EXPECT_EQ(sol.http.get("/api/rooms/" + id).status, 403);
  EXPECT_EQ(walk(rue.http, "/api/rooms/" + id + "/invites", 10).size(), 2u);

  // Another room's owner cannot revoke it through their own room either.
  std::string elsewhere = createRoom(sol, "mine", "private")["id"];
  const std::string kept = made[0]["invite"]["id"];
  EXPECT_EQ(sol.http.del("/api/rooms/" + elsewhere + "/invites/" + kept).status, 404);
  auto works = sol.http.post("/api/invites/" + made[0]["token"].get<std::string>() + "/accept");
  EXPECT_EQ(works.status, 200) << works.describe();
}

TEST_F(Rooms, HistoryOverHttpPagesBackwardsWithBeforeAndHasMore) {
  TestUser yan = newUser();
  TestUser zed = newUser();
  std::string id = createRoom(yan, "history")["id"];
  {
    Joined ws = join(yan, id);
    for (int i = 1; i <= 30; ++i) {
      ASSERT_FALSE(sendText(*ws, "h" + std::to_string(i), "message " + std::to_string(i)).is_null());
    }
  }
  auto latest = yan.http.get("/api/rooms/" + id + "/messages");
  ASSERT_EQ(latest.status, 200) << latest.describe();
  std::vector<int64_t> want;
  for (int s = 6; s <= 30; ++s) want.push_back(s);
  EXPECT_EQ(seqsOf(latest.json["items"]), want);
  EXPECT_EQ(latest.json["hasMore"], true);
  const json& m = latest.json["items"].back();
  EXPECT_EQ(m["text"], "message 30");
  EXPECT_EQ(m["roomId"], id);
  EXPECT_EQ(m["author"]["userId"], yan.id);

  auto older = yan.http.get("/api/rooms/" + id + "/messages?before=6&limit=5");
  ASSERT_EQ(older.status, 200) << older.describe();
  EXPECT_EQ(seqsOf(older.json["items"]), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(older.json["hasMore"], false);

  auto mid = yan.http.get("/api/rooms/" + id + "/messages?before=20&limit=3");
  EXPECT_EQ(seqsOf(mid.json["items"]), (std::vector<int64_t>{17, 18, 19}));
  EXPECT_EQ(mid.json["hasMore"], true);
  auto hundred = yan.http.get("/api/rooms/" + id + "/messages?limit=100");
  EXPECT_EQ(hundred.json["items"].size(), 30u);
  EXPECT_EQ(hundred.json["hasMore"], false);

  for (const std::string q : {"limit=0", "limit=101", "limit=x", "before=abc"}) {
    auto res = yan.http.get("/api/rooms/" + id + "/messages?" + q);
    EXPECT_EQ(res.status, 400) << q << ": " << res.describe();
  }
  // A guest of a public room may read it; a private room is closed to others.
  EXPECT_EQ(zed.http.get("/api/rooms/" + id + "/messages").status, 200);
  std::string priv = createRoom(yan, "p", "private")["id"];
  EXPECT_EQ(zed.http.get("/api/rooms/" + priv + "/messages").status, 403);
  EXPECT_EQ(zed.http.get("/api/rooms/doesnotexist0000000000000/messages").status, 404);
}

TEST_F(Rooms, SearchFindsMessagesNewestFirstWithACursor) {
  TestUser abe = newUser();
  std::string id = createRoom(abe, "search")["id"];
  std::vector<int64_t> bananaSeqs;
  {
    Joined ws = join(abe, id);
    for (int i = 1; i <= 12; ++i) {
      std::string text = (i % 2 == 0) ? "I like banana number " + std::to_string(i)
                                      : "apples only " + std::to_string(i);
      json m = sendText(*ws, "s" + std::to_string(i), text);
      ASSERT_FALSE(m.is_null());
      if (i % 2 == 0) bananaSeqs.push_back(m["seq"]);
    }
  }
  std::reverse(bananaSeqs.begin(), bananaSeqs.end());

  std::vector<int64_t> got;
  std::optional<std::string> cursor;
  int pages = 0;
  while (pages < 20) {
    std::string target = "/api/rooms/" + id + "/search?q=banana&limit=2";
    if (cursor) target += "&cursor=" + urlEncode(*cursor);
    auto res = abe.http.get(target);
    ASSERT_EQ(res.status, 200) << target << ": " << res.describe();
    ++pages;
    for (const auto& m : res.json["items"]) {
      got.push_back(m["seq"]);
      EXPECT_NE(m.value("text", "").find("banana"), std::string::npos) << m.dump();
    }
    if (res.json["nextCursor"].is_null()) break;
    cursor = res.json["nextCursor"].get<std::string>();
  }
  EXPECT_EQ(got, bananaSeqs) << "not every match, or not newest first";
  EXPECT_GE(pages, 3);

  auto none = abe.http.get("/api/rooms/" + id + "/search?q=cherry");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.json["items"].empty()) << none.body;
  EXPECT_EQ(abe.http.get("/api/rooms/" + id + "/search?q=").status, 400);
  EXPECT_EQ(abe.http.get("/api/rooms/" + id + "/search").status, 400);
  EXPECT_EQ(abe.http.get("/api/rooms/" + id + "/search?q=" + repeat('q', 201)).status, 400);
  EXPECT_EQ(abe.http.get("/api/rooms/" + id + "/search?q=" + repeat('q', 200)).status, 200);
  EXPECT_EQ(abe.http.get("/api/rooms/" + id + "/search?q=banana&cursor=garbage!").status, 400);
}

TEST_F(Rooms, OnlyAcceptedMessagesMoveLastActiveAt) {
  TestUser bea = newUser();
  json room = createRoom(bea, "activity");
  std::string id = room["id"];
  int64_t created = room["lastActiveAt"];
  Joined ws = join(bea, id);
  ws->send({{"type", "typing"}, {"active", true}});
  ws->send(textFrame("bad", ""));  // refused: empty text
  ws->expect("error");
  EXPECT_EQ(bea.http.get("/api/rooms/" + id).json["room"]["lastActiveAt"].get<int64_t>(), created);
  json m = sendText(*ws, "good", "hi");
  ASSERT_FALSE(m.is_null());
  int64_t after = created;
  EXPECT_TRUE(eventually(
      [&] {
        after = bea.http.get("/api/rooms/" + id).json["room"]["lastActiveAt"];
        return after != created || m["createdAt"].get<int64_t>() == created;
      },
      10s));
  EXPECT_GE(after, created);
  EXPECT_LE(std::abs(after - m["createdAt"].get<int64_t>()), 1000)
      << "lastActiveAt " << after << " is not the time of the message " << m.dump();
}

}  // namespace
}  // namespace roomchat::test
