// The room WebSocket (API.md §3 without calls): upgrade refusals, hello and
// welcome, send/ack/fan-out, dedup by clientId, gap-free seq under
// concurrent senders, history, edit, delete, presence, typing, ping, replies.
#include <algorithm>
#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

class RoomSocket : public ServerTest {};

bool isUuidV7(const std::string& s) {
  static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(s, re);
}

bool hasType(const std::vector<json>& frames, const std::string& type) {
  return std::any_of(frames.begin(), frames.end(),
                     [&](const json& f) { return f.value("type", "") == type; });
}

json presenceOf(const json& presenceFrameOrList, const std::string& userId) {
  const json& list = presenceFrameOrList.is_array() ? presenceFrameOrList
                                                    : presenceFrameOrList["users"];
  for (const auto& e : list) {
    if (e.value("userId", "") == userId) return e;
  }
  return nullptr;
}

// Waits for a presence frame where `userId` has `connections` sockets.
json expectPresence(WsClient& ws, const std::string& userId, int connections) {
  return ws.expectWhere(
      "presence",
      [&](const json& f) {
        json e = presenceOf(f, userId);
        int n = e.is_null() ? 0 : e.value("connections", 0);
        return n == connections;
      },
      WsClient::kDefaultTimeout,
      "with " + std::to_string(connections) + " connection(s) for " + userId);
}

TEST_F(RoomSocket, UpgradesAreRefusedWithPlainHttpBeforeTheHandshake) {
  TestUser ada = newUser();
  TestUser bo = newUser();
  std::string pub = createRoom(ada, "pub")["id"];
  std::string priv = createRoom(ada, "priv", "private")["id"];

  WsClient noCookie(port());
  EXPECT_FALSE(noCookie.connect(WsClient::roomTarget(pub, "t"), "", origin()));
  EXPECT_EQ(noCookie.upgradeStatus(), 401) << noCookie.upgradeBody();
  EXPECT_EQ(noCookie.upgradeErrorCode(), "unauthenticated") << noCookie.upgradeBody();

  auto evil = openSocket(bo, pub, "t", std::string("http://evil.example"));
  EXPECT_EQ(evil->upgradeStatus(), 403) << evil->upgradeBody();
  EXPECT_EQ(evil->upgradeErrorCode(), "bad_origin") << evil->upgradeBody();

  auto unknown = openSocket(bo, "doesnotexist0000000000000", "t");
  EXPECT_EQ(unknown->upgradeStatus(), 404) << unknown->upgradeBody();
  EXPECT_EQ(unknown->upgradeErrorCode(), "not_found") << unknown->upgradeBody();

  auto forbidden = openSocket(bo, priv, "t");
  EXPECT_EQ(forbidden->upgradeStatus(), 403) << forbidden->upgradeBody();
  EXPECT_EQ(forbidden->upgradeErrorCode(), "forbidden") << forbidden->upgradeBody();

  // Without an Origin header (a non-browser client) the upgrade is allowed.
  auto noOrigin = openSocket(bo, pub, "t", std::nullopt);
  EXPECT_EQ(noOrigin->upgradeStatus(), 101) << noOrigin->upgradeBody();
  // A revoked session cannot upgrade.
  std::string token = *bo.http.session();
  ASSERT_EQ(bo.http.postEmpty("/api/auth/logout").status, 204);
  WsClient revoked(port());
  EXPECT_FALSE(revoked.connect(WsClient::roomTarget(pub, "t"), "roomchat_session=" + token, origin()));
  EXPECT_EQ(revoked.upgradeStatus(), 401) << revoked.upgradeBody();
}

TEST_F(RoomSocket, HelloIsAnsweredWithAWelcomeOfTheDocumentedShape) {
  TestUser cy = newUser();
  json room = createRoom(cy, "welcome");
  std::string id = room["id"];
  Joined j = join(cy, id);
  const json& w = j.welcome;
  ASSERT_FALSE(w.is_null());
  EXPECT_TRUE(w["connId"].is_string() && !w["connId"].get<std::string>().empty()) << w.dump();
  EXPECT_EQ(w["you"], cy.user) << w.dump();
  EXPECT_EQ(w["room"]["id"], id);
  EXPECT_EQ(w["room"]["name"], "welcome");
  EXPECT_EQ(w["room"]["role"], "owner");
  EXPECT_TRUE(w["messages"].is_array() && w["messages"].empty()) << w.dump();
  EXPECT_TRUE(w["hasMore"].is_boolean()) << w.dump();
  EXPECT_EQ(w["hasMore"], false);
  EXPECT_TRUE(!w.contains("reset") || w["reset"] == false) << w.dump();
  ASSERT_TRUE(w["presence"].is_array()) << w.dump();
  json me = presenceOf(w["presence"], cy.id);
  ASSERT_FALSE(me.is_null()) << "the new connection is not in presence: " << w.dump();
  EXPECT_EQ(me["connections"], 1);
  ASSERT_TRUE(w["call"].is_object()) << w.dump();
  EXPECT_TRUE(w["call"]["participants"].is_array() && w["call"]["participants"].empty()) << w.dump();
  EXPECT_EQ(w["lastSeq"], 0);

  // A second tab gets another connId; a guest sees role guest.
  TestUser di = newUser();
  Joined k = join(di, id, "other");
  EXPECT_NE(k.welcome["connId"], w["connId"]);
  EXPECT_EQ(k.welcome["room"]["role"], "guest");
  EXPECT_EQ(k.welcome["you"], di.user);
}

TEST_F(RoomSocket, SendAcksTheSenderAndFansOutToEveryOtherConnectionIncludingOtherTabs) {
  TestUser ed = newUser();
  TestUser flo = newUser();
  std::string id = createRoom(ed, "fanout")["id"];
  Joined tab1 = join(ed, id, "tab1");
  Joined tab2 = join(ed, id, "tab2");
  Joined other = join(flo, id, "tab1");

  tab1->send(textFrame("client-1", "  hello world  "));
  json ack = tab1->expect("ack");
  ASSERT_FALSE(ack.is_null());
  EXPECT_EQ(ack["clientId"], "client-1");
  const json& m = ack["message"];
  EXPECT_EQ(m["seq"], 1);
  EXPECT_TRUE(isUuidV7(m.value("id", ""))) << m.dump();
  EXPECT_EQ(m["roomId"], id);
  EXPECT_EQ(m["author"]["kind"], "user");
  EXPECT_EQ(m["author"]["userId"], ed.id);
  EXPECT_EQ(m["kind"], "text");
  EXPECT_EQ(m["text"], "hello world") << "text is not trimmed";
  EXPECT_TRUE(m["createdAt"].is_number_integer());
  EXPECT_EQ(m["clientId"], "client-1");
  EXPECT_FALSE(m.contains("deleted"));
  EXPECT_FALSE(m.contains("editedAt"));

  for (Joined* j : {&tab2, &other}) {
    json f = (*j)->expect("message");
    ASSERT_FALSE(f.is_null());
    EXPECT_EQ(f["message"]["id"], m["id"]);
    EXPECT_EQ(f["message"]["seq"], 1);
    EXPECT_EQ(f["message"]["text"], "hello world");
  }
  // The sending socket got the ack and no copy of the message.
  EXPECT_FALSE(hasType(tab1->roundTrip(), "message"));

  // The second message has seq 2, from the other user.
  json m2 = sendText(*other, "c2", "second");
  EXPECT_EQ(m2["seq"], 2);
  EXPECT_EQ(tab1->expect("message")["message"]["seq"], 2);
  EXPECT_EQ(tab2->expect("message")["message"]["seq"], 2);
  EXPECT_FALSE(hasType(other->roundTrip(), "message"));
}

TEST_F(RoomSocket, ResendingAClientIdGetsTheSameAckAndNoDuplicate) {
  TestUser gil = newUser();
  TestUser hub = newUser();
  std::string id = createRoom(gil, "dedup")["id"];
  Joined a = join(gil, id);
  Joined b = join(hub, id);

  a->send(textFrame("same-id", "once"));
  json ack1 = a->expect("ack");
  a->send(textFrame("same-id", "once"));
  json ack2 = a->expect("ack");
  ASSERT_FALSE(ack1.is_null());
  ASSERT_FALSE(ack2.is_null());
  EXPECT_EQ(ack1, ack2) << "the second ack differs from the first";
  // b gets one copy, and nothing else before a ping's pong.
  EXPECT_EQ(b->expect("message")["message"]["seq"], 1);
  EXPECT_FALSE(hasType(b->roundTrip(), "message")) << "the retry was fanned out again";

  // Another user may use the same clientId: it is a different message.
  json hubs = sendText(*b, "same-id", "mine");
  EXPECT_EQ(hubs["seq"], 2);
  EXPECT_EQ(a->expect("message")["message"]["seq"], 2);

  // A reconnecting client retrying its clientId still gets the original.
  a->close();
  Joined again = join(gil, id, "tab-retry");
  again->send(textFrame("same-id", "once"));
  json ack3 = again->expect("ack");
  EXPECT_EQ(ack3["message"], ack1["message"]);

  json next = sendText(*again, "fresh", "after");
  EXPECT_EQ(next["seq"], 3) << "a retried clientId used a seq";
  // b saw no copy of the retried message, then the fresh one.
  json fresh = b->expect("message");
  EXPECT_EQ(fresh["message"]["seq"], 3) << fresh.dump();
  auto hist = gil.http.get("/api/rooms/" + id + "/messages");
  EXPECT_EQ(seqsOf(hist.json["items"]), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(RoomSocket, SeqStaysGapFreeWithEightConcurrentSenders) {
  constexpr int kSenders = 8;
  constexpr int kEach = 50;
  TestUser owner = newUser();
  std::string id = createRoom(owner, "busy")["id"];
  std::vector<TestUser> users;
  std::vector<Joined> sockets;
  for (int i = 0; i < kSenders; ++i) users.push_back(newUser("sender"));
  for (int i = 0; i < kSenders; ++i) sockets.push_back(join(users[i], id, "t"));
  for (auto& s : sockets) ASSERT_FALSE(s.welcome.is_null());

  std::vector<std::vector<int64_t>> acked(kSenders), received(kSenders);
  std::vector<std::string> problems(kSenders);
  std::vector<std::thread> threads;
  for (int t = 0; t < kSenders; ++t) {
    threads.emplace_back([&, t] {
      WsClient& ws = *sockets[t].ws;
      for (int i = 0; i < kEach; ++i) {
        ws.sendRaw(textFrame("s" + std::to_string(t) + "-" + std::to_string(i),
                             "from " + std::to_string(t) + " #" + std::to_string(i))
                       .dump());
      }
      // Everything addressed to this socket: its 50 acks and the others' 350.
      const size_t want = kSenders * kEach;
      while (acked[t].size() + received[t].size() < want) {
        auto f = ws.next(30s);
        if (!f) {
          problems[t] = "stopped after " + std::to_string(acked[t].size()) + " acks and " +
                        std::to_string(received[t].size()) + " messages";
          return;
        }
        std::string type = f->value("type", "");
        if (type == "ack") acked[t].push_back((*f)["message"]["seq"]);
        if (type == "message") received[t].push_back((*f)["message"]["seq"]);
        if (type == "error") problems[t] += f->dump();
      }
    });
  }
  for (auto& th : threads) th.join();

  std::vector<int64_t> all;
  for (int t = 0; t < kSenders; ++t) {
    EXPECT_TRUE(problems[t].empty()) << "sender " << t << ": " << problems[t];
    EXPECT_EQ(acked[t].size(), static_cast<size_t>(kEach)) << "sender " << t;
    EXPECT_TRUE(std::is_sorted(acked[t].begin(), acked[t].end())) << "acks out of order, sender " << t;
    EXPECT_TRUE(std::is_sorted(received[t].begin(), received[t].end()))
        << "messages delivered out of seq order to " << t;
    // What a socket saw (its acks + others' messages) is the whole room.
    std::vector<int64_t> seen = acked[t];
    seen.insert(seen.end(), received[t].begin(), received[t].end());
    std::sort(seen.begin(), seen.end());
    std::vector<int64_t> expect(kSenders * kEach);
    for (size_t i = 0; i < expect.size(); ++i) expect[i] = static_cast<int64_t>(i + 1);
    EXPECT_EQ(seen, expect) << "socket " << t << " missed or duplicated messages";
    all.insert(all.end(), acked[t].begin(), acked[t].end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kSenders * kEach));
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i], static_cast<int64_t>(i + 1)) << "seq gap or duplicate at " << i;
  }

  // The stored history agrees, page by page.
  std::vector<int64_t> stored;
  int64_t before = 0;
  bool more = true;
  while (more && stored.size() <= all.size()) {
    std::string target = "/api/rooms/" + id + "/messages?limit=100";
    if (before) target += "&before=" + std::to_string(before);
    auto res = owner.http.get(target);
    ASSERT_EQ(res.status, 200) << res.describe();
    auto page = seqsOf(res.json["items"]);
    ASSERT_FALSE(page.empty());
    stored.insert(stored.begin(), page.begin(), page.end());
    before = page.front();
    more = res.json["hasMore"].get<bool>();
  }
  EXPECT_EQ(stored, all);
}

TEST_F(RoomSocket, HistoryFramesReturnOlderMessagesToThisSocketOnly) {
  TestUser ian = newUser();
  TestUser jo = newUser();
  std::string id = createRoom(ian, "history")["id"];
  Joined a = join(ian, id);
  for (int i = 1; i <= 30; ++i) ASSERT_FALSE(sendText(*a, "h" + std::to_string(i), "m" + std::to_string(i)).is_null());
  Joined b = join(jo, id);

  b->send({{"type", "history"}, {"beforeSeq", 31}, {"limit", 10}});
  json h = b->expect("history");
  std::vector<int64_t> want;
  for (int s = 21; s <= 30; ++s) want.push_back(s);
  EXPECT_EQ(seqsOf(h["messages"]), want);
  EXPECT_EQ(h["hasMore"], true);

  b->send({{"type", "history"}, {"beforeSeq", 6}});
  h = b->expect("history");
  EXPECT_EQ(seqsOf(h["messages"]), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(h["hasMore"], false);
  EXPECT_EQ(h["messages"][0]["text"], "m1");

  b->send({{"type", "history"}, {"beforeSeq", 31}});
  h = b->expect("history");
  EXPECT_EQ(h["messages"].size(), 25u) << "default limit is 25";

  b->send({{"type", "history"}, {"beforeSeq", 1}});
  h = b->expect("history");
  EXPECT_TRUE(h["messages"].empty());
  EXPECT_EQ(h["hasMore"], false);

  for (const json& bad : {json{{"type", "history"}, {"beforeSeq", 10}, {"limit", 0}},
                          json{{"type", "history"}, {"beforeSeq", 10}, {"limit", 101}},
                          json{{"type", "history"}, {"beforeSeq", "ten"}},
                          json{{"type", "history"}}}) {
    b->send(bad);
    json e = b->expect("error");
    EXPECT_EQ(e["code"], "invalid_field") << bad.dump() << " -> " << e.dump();
  }
  EXPECT_FALSE(hasType(a->roundTrip(), "history")) << "history went to another socket";
}

TEST_F(RoomSocket, OnlyTheAuthorCanEditAndEveryoneSeesTheUpdate) {
  TestUser kay = newUser();
  TestUser lee = newUser();
  std::string id = createRoom(kay, "edits")["id"];
  Joined a = join(kay, id);
  Joined b = join(lee, id);
  json m = sendText(*a, "e1", "typo teh");
  ASSERT_FALSE(m.is_null());
  b->expect("message");

  a->send({{"type", "edit"}, {"seq", m["seq"]}, {"text", "  typo the  "}});
  for (Joined* j : {&a, &b}) {
    json u = (*j)->expect("messageUpdated");
    ASSERT_FALSE(u.is_null());
    EXPECT_EQ(u["message"]["seq"], m["seq"]);
    EXPECT_EQ(u["message"]["id"], m["id"]);
    EXPECT_EQ(u["message"]["text"], "typo the");
    EXPECT_TRUE(u["message"]["editedAt"].is_number_integer()) << u.dump();
    EXPECT_EQ(u["message"]["createdAt"], m["createdAt"]);
  }

  b->send({{"type", "edit"}, {"seq", m["seq"]}, {"text", "not yours"}});
  EXPECT_EQ(b->expect("error")["code"], "forbidden");
  b->send({{"type", "edit"}, {"seq", 999}, {"text", "nothing here"}});
  EXPECT_EQ(b->expect("error")["code"], "not_found");
  a->send({{"type", "edit"}, {"seq", m["seq"]}, {"text", repeat('x', 4001)}});
  EXPECT_EQ(a->expect("error")["code"], "too_long");
  a->send({{"type", "edit"}, {"seq", m["seq"]}, {"text", "   "}});
  EXPECT_EQ(a->expect("error")["code"], "invalid_field");

  auto hist = kay.http.get("/api/rooms/" + id + "/messages");
  ASSERT_EQ(hist.json["items"].size(), 1u);
  EXPECT_EQ(hist.json["items"][0]["text"], "typo the");
  EXPECT_TRUE(hist.json["items"][0].contains("editedAt"));
  // No messageUpdated went out for the refused edits.
  EXPECT_FALSE(hasType(a->roundTrip(), "messageUpdated"));
}

TEST_F(RoomSocket, TheAuthorOrTheRoomOwnerCanDeleteAMessage) {
  TestUser own = newUser("owner");
  TestUser max = newUser();
  TestUser ned = newUser();
  std::string id = createRoom(own, "deletes")["id"];
  Joined o = join(own, id, "o");
  Joined a = join(max, id, "a");
  Joined c = join(ned, id, "c");
  json m1 = sendText(*a, "d1", "first");
  json m2 = sendText(*a, "d2", "second");
  json m3 = sendText(*o, "d3", "owner's");
  ASSERT_FALSE(m3.is_null());

  c->send({{"type", "delete"}, {"seq", m1["seq"]}});
  EXPECT_EQ(c->expect("error")["code"], "forbidden");
  c->send({{"type", "delete"}, {"seq", m3["seq"]}});
  EXPECT_EQ(c->expect("error")["code"], "forbidden");
  c->send({{"type", "delete"}, {"seq", 12345}});
  EXPECT_EQ(c->expect("error")["code"], "not_found");

  a->send({{"type", "delete"}, {"seq", m1["seq"]}});  // the author
  o->send({{"type", "delete"}, {"seq", m2["seq"]}});  // the owner
  for (Joined* j : {&o, &a, &c}) {
    // The two deletes come from two sockets: their updates may come in either order.
    std::map<int64_t, json> updates;
    for (int k = 0; k < 2; ++k) {
      json u = (*j)->expect("messageUpdated");
      ASSERT_FALSE(u.is_null());
      updates[u["message"]["seq"].get<int64_t>()] = u["message"];
    }
    for (const json& m : {m1, m2}) {
      ASSERT_EQ(updates.count(m["seq"].get<int64_t>()), 1u) << "no update for seq " << m["seq"];
      const json& u = updates[m["seq"].get<int64_t>()];
      EXPECT_EQ(u["deleted"], true) << u.dump();
      EXPECT_FALSE(u.contains("text")) << u.dump();
      EXPECT_FALSE(u.contains("images")) << u.dump();
      EXPECT_EQ(u["id"], m["id"]);
    }
  }
  auto hist = own.http.get("/api/rooms/" + id + "/messages");
  ASSERT_EQ(hist.json["items"].size(), 3u) << "deleted messages keep their seq";
  EXPECT_EQ(hist.json["items"][0]["deleted"], true);
  EXPECT_FALSE(hist.json["items"][0].contains("text"));
  EXPECT_EQ(hist.json["items"][1]["deleted"], true);
  EXPECT_EQ(hist.json["items"][2]["text"], "owner's");
  // A deleted message cannot be edited back.
  a->send({{"type", "edit"}, {"seq", m1["seq"]}, {"text", "resurrected"}});
  json e = a->expect("error");
  EXPECT_TRUE(e["code"] == "not_found" || e["code"] == "forbidden") << e.dump();
}

TEST_F(RoomSocket, StatusIsMergedIntoTheUsersPresenceAndSentToAll) {
  TestUser oz = newUser();
  TestUser pia = newUser();
  std::string id = createRoom(oz, "status")["id"];
  Joined a = join(oz, id);
  Joined b = join(pia, id);
  expectPresence(*a, pia.id, 1);

  a->send({{"type", "status"}, {"user", "idle"}});
  auto idle = [&](const json& f) { return presenceOf(f, oz.id).value("user", "") == "idle"; };
  EXPECT_FALSE(b->expectWhere("presence", idle).is_null());
  EXPECT_FALSE(a->expectWhere("presence", idle).is_null());

  a->send({{"type", "status"}, {"screen", "locked"}});
  json p = b->expectWhere("presence", [&](const json& f) {
    return presenceOf(f, oz.id).value("screen", "") == "locked";
  });
  ASSERT_FALSE(p.is_null());
  json e = presenceOf(p, oz.id);
  EXPECT_EQ(e["user"], "idle") << "status fields are merged, not replaced: " << p.dump();
  EXPECT_EQ(e["connections"], 1);

  a->send({{"type", "status"}, {"user", "sleepy"}});
  EXPECT_EQ(a->expect("error")["code"], "invalid_field");
  a->send({{"type", "status"}, {"screen", 1}});
  EXPECT_EQ(a->expect("error")["code"], "invalid_field");
}

TEST_F(RoomSocket, PresenceHasOneEntryPerUserWithItsConnectionCount) {
  TestUser quo = newUser();
  TestUser ray = newUser();
  std::string id = createRoom(quo, "presence")["id"];
  Joined watcher = join(ray, id, "r");
  Joined t1 = join(quo, id, "q1");
  Joined t2 = join(quo, id, "q2");
  json p = expectPresence(*watcher, quo.id, 2);
  ASSERT_FALSE(p.is_null());
  std::map<std::string, int> perUser;
  for (const auto& e : p["users"]) perUser[e.value("userId", "")]++;
  EXPECT_EQ(perUser.size(), 2u) << p.dump();
  for (const auto& [user, n] : perUser) EXPECT_EQ(n, 1) << user << " listed " << n << " times";
  EXPECT_EQ(presenceOf(p, ray.id)["connections"], 1);
  // The second tab's welcome already counts both sockets.
  EXPECT_EQ(presenceOf(t2.welcome["presence"], quo.id)["connections"], 2) << t2.welcome["presence"].dump();

  t2->close();
  EXPECT_FALSE(expectPresence(*watcher, quo.id, 1).is_null());
  t1->close();
  EXPECT_FALSE(expectPresence(*watcher, quo.id, 0).is_null()) << "a user with no socket left is still present";
}

TEST_F(RoomSocket, TypingGoesToEveryoneElseButNotTheTypist) {
  TestUser sal = newUser();
  TestUser tom = newUser();
  std::string id = createRoom(sal, "typing")["id"];
  Joined a1 = join(sal, id, "a1");
  Joined a2 = join(sal, id, "a2");
  Joined b = join(tom, id, "b");

  a1->send({{"type", "typing"}, {"active", true}});
  json t = b->expect("typing");
  EXPECT_EQ(t["userId"], sal.id);
  EXPECT_EQ(t["active"], true);
  EXPECT_FALSE(hasType(a1->roundTrip(), "typing")) << "the typist got its own typing";

  a1->send({{"type", "typing"}, {"active", false}});
  t = b->expect("typing");
  EXPECT_EQ(t["active"], false);

  a1->send({{"type", "typing"}, {"active", "yes"}});
  EXPECT_EQ(a1->expect("error")["code"], "invalid_field");
}

TEST_F(RoomSocket, TypingIsClearedWhenTheUsersLastSocketLeaves) {
  TestUser uli = newUser();
  TestUser val = newUser();
  std::string id = createRoom(uli, "typing")["id"];
  Joined b = join(val, id, "b");
  Joined a1 = join(uli, id, "a1");
  Joined a2 = join(uli, id, "a2");
  a1->send({{"type", "typing"}, {"active", true}});
  json on = b->expect("typing");
  ASSERT_EQ(on["active"], true);

  a1->close();
  a2->abort();  // the last one drops without a close frame
  json off = b->expectWhere("typing", [&](const json& f) {
    return f["userId"] == uli.id && f["active"] == false;
  });
  EXPECT_FALSE(off.is_null());
}

TEST_F(RoomSocket, PingIsAnsweredWithPong) {
  TestUser wyn = newUser();
  std::string id = createRoom(wyn, "ping")["id"];
  Joined a = join(wyn, id);
  for (int i = 0; i < 3; ++i) {
    a->send({{"type", "ping"}});
    json p = a->expect("pong");
    ASSERT_FALSE(p.is_null());
    EXPECT_EQ(p, json({{"type", "pong"}}));
  }
}

TEST_F(RoomSocket, TextOfExactly4000CharactersIsAcceptedAnd4001IsTooLong) {
  TestUser xia = newUser();
  std::string id = createRoom(xia, "long")["id"];
  Joined a = join(xia, id);
  json m = sendText(*a, "max", repeat('a', 4000));
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["text"].get<std::string>().size(), 4000u);

  // Characters, not bytes: 4000 two-byte characters fit.
  std::string wide;
  for (int i = 0; i < 4000; ++i) wide += "\xC3\xA9";
  json w = sendText(*a, "wide", wide);
  ASSERT_FALSE(w.is_null());
  EXPECT_EQ(w["text"], wide);
  // Surrounding white space does not count.
  EXPECT_FALSE(sendText(*a, "padded", "   " + repeat('b', 4000) + "\n ").is_null());

  a->send(textFrame("over", repeat('a', 4001)));
  json e = a->expect("error");
  EXPECT_EQ(e["code"], "too_long") << e.dump();
  EXPECT_EQ(e["clientId"], "over") << e.dump();
  auto hist = xia.http.get("/api/rooms/" + id + "/messages");
  EXPECT_EQ(hist.json["items"].size(), 3u) << "the refused message was stored";
}

TEST_F(RoomSocket, TheServerBuildsTheReplySnapshotFromTheReferencedMessage) {
  TestUser yul = newUser();
  TestUser zoe = newUser();
  std::string id = createRoom(yul, "replies")["id"];
  Joined a = join(yul, id);
  Joined b = join(zoe, id);
  std::string longText = repeat('r', 150);
  json orig = sendText(*a, "o1", longText);
  ASSERT_FALSE(orig.is_null());

  json frame = textFrame("r1", "a reply");
  frame["replyToSeq"] = orig["seq"];
  frame["replyTo"] = {{"seq", 77}, {"authorId", "forged"}, {"kind", "text"}, {"snippet", "forged"}};
  b->send(frame);
  json ack = b->expect("ack");
  ASSERT_FALSE(ack.is_null());
  const json& r = ack["message"]["replyTo"];
  ASSERT_TRUE(r.is_object()) << ack.dump();
  EXPECT_EQ(r["seq"], orig["seq"]);
  EXPECT_EQ(r["authorId"], yul.id);
  EXPECT_EQ(r["kind"], "text");
  std::string snippet = r.value("snippet", "");
  EXPECT_FALSE(snippet.empty());
  size_t chars = 0;
  for (unsigned char ch : snippet) chars += (ch & 0xC0) != 0x80;  // UTF-8 code points
  EXPECT_LE(chars, 100u) << "snippet of " << chars << " chars: " << snippet;
  EXPECT_EQ(longText.rfind(snippet.substr(0, std::min<size_t>(snippet.size(), 90)), 0), 0u)
      << "the snippet is not taken from the message: " << snippet;
  json seen = a->expect("message");
  EXPECT_EQ(seen["message"]["replyTo"], r);

  json missing = textFrame("r2", "reply to nothing");
  missing["replyToSeq"] = 999;
  b->send(missing);
  json e = b->expect("error");
  EXPECT_EQ(e["code"], "not_found") << e.dump();
  EXPECT_EQ(e["clientId"], "r2") << e.dump();
  EXPECT_EQ(yul.http.get("/api/rooms/" + id + "/messages").json["items"].size(), 2u);
}

}  // namespace
}  // namespace roomchat::test
