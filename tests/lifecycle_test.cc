// The server's life over time: idle rooms hibernate (memory and open files
// released, history intact), acked messages survive kill -9, SIGTERM closes
// sockets with 1012 and exits 0, and /metrics counts what happened.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <signal.h>
#include <thread>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

// Every stored message of a room, paging back with `before`.
std::vector<json> fullHistory(HttpClient& http, const std::string& roomId) {
  std::vector<json> out;
  int64_t before = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    std::string target = "/api/rooms/" + roomId + "/messages?limit=100";
    if (before) target += "&before=" + std::to_string(before);
    auto res = http.get(target);
    EXPECT_EQ(res.status, 200) << res.describe();
    if (res.status != 200 || res.json["items"].empty()) break;
    std::vector<json> page(res.json["items"].begin(), res.json["items"].end());
    out.insert(out.begin(), page.begin(), page.end());
    before = page.front()["seq"];
    if (!res.json["hasMore"].get<bool>()) break;
  }
  return out;
}

class Hibernation : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--room-idle-seconds", "1"});
    return args;
  }
};

TEST_F(Hibernation, AnIdleRoomReleasesItsMemoryAndFileAndWakesWithItsHistory) {
  TestUser ann = newUser();
  std::string id = createRoom(ann, "sleepy")["id"];
  std::vector<json> sent;
  int dbWhileAwake = 0;
  {
    Joined a = join(ann, id);
    for (int i = 1; i <= 5; ++i) sent.push_back(sendText(*a, "z" + std::to_string(i), "zzz " + std::to_string(i)));
    EXPECT_EQ(metric("roomchat_rooms_awake"), std::optional<double>(1));
    EXPECT_GE(metric("roomchat_room_files_open").value_or(0), 1);
    dbWhileAwake = server().openDbFiles();
    EXPECT_GE(dbWhileAwake, 1) << "no open .db file while the room is awake";
    EXPECT_GE(server().openFilesContaining(id), 1)
        << "no open file named after the awake room; open files: "
        << json(server().openFiles()).dump();
    a->close();
  }
  bool asleep = eventually(
      [&] {
        return metric("roomchat_rooms_awake") == std::optional<double>(0) &&
               metric("roomchat_room_files_open") == std::optional<double>(0) &&
               server().openFilesContaining(id) == 0 && server().openDbFiles() < dbWhileAwake;
      },
      15s);
  EXPECT_TRUE(asleep) << "after 15 s: rooms_awake=" << metric("roomchat_rooms_awake").value_or(-1)
                      << " room_files_open=" << metric("roomchat_room_files_open").value_or(-1)
                      << " open files naming the room=" << server().openFilesContaining(id)
                      << " open .db files=" << server().openDbFiles() << " (awake: " << dbWhileAwake
                      << ")";

  // Waking it up: the whole history is there and seq continues.
  Joined b = join(ann, id, "again", 0);
  ASSERT_FALSE(b.welcome.is_null());
  ASSERT_EQ(b.welcome["messages"].size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(b.welcome["messages"][i]["id"], sent[i]["id"]);
    EXPECT_EQ(b.welcome["messages"][i]["text"], sent[i]["text"]);
  }
  EXPECT_EQ(sendText(*b, "z6", "awake")["seq"], 6);
  EXPECT_EQ(metric("roomchat_rooms_awake"), std::optional<double>(1));
  EXPECT_EQ(seqsOf(ann.http.get("/api/rooms/" + id + "/messages").json["items"]),
            (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(Hibernation, DedupSurvivesHibernation) {
  TestUser bo = newUser();
  std::string id = createRoom(bo, "dedup")["id"];
  json first;
  {
    Joined a = join(bo, id);
    first = sendText(*a, "keep-me", "once");
    a->close();
  }
  ASSERT_TRUE(eventually([&] { return metric("roomchat_rooms_awake") == std::optional<double>(0); }, 15s));
  Joined b = join(bo, id, "t2");
  b->send(textFrame("keep-me", "once"));
  json ack = b->expect("ack");
  EXPECT_EQ(ack["message"], first) << "a retried clientId after hibernation made a new message";
  EXPECT_EQ(fullHistory(bo.http, id).size(), 1u);
}

class Durability : public ServerTest {};

TEST_F(Durability, EveryAckedMessageSurvivesKillNine) {
  // Four writers, each with up to 4 sends in flight, would send 4 x 250
  // messages; the server is killed once 200 of them are acked.
  constexpr int kClients = 4;
  constexpr int kEach = 250;
  constexpr int kWindow = 4;
  constexpr int kKillAfter = 200;
  TestUser owner = newUser();
  std::string id = createRoom(owner, "durable")["id"];
  std::vector<TestUser> users;
  std::vector<Joined> sockets;
  for (int i = 0; i < kClients; ++i) users.push_back(newUser("writer"));
  for (int i = 0; i < kClients; ++i) sockets.push_back(join(users[i], id, "t"));
  for (auto& s : sockets) ASSERT_FALSE(s.welcome.is_null());

  std::mutex mu;
  std::map<std::string, json> acked;  // clientId -> acked message
  std::atomic<int> ackCount{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      WsClient& ws = *sockets[t].ws;
      int sent = 0, got = 0;
      while (got < kEach) {
        while (sent < kEach && sent - got < kWindow) {
          std::string cid = "k" + std::to_string(t) + "-" + std::to_string(sent);
          if (!ws.sendRaw(textFrame(cid, "durable " + cid).dump())) return;
          ++sent;
        }
        auto f = ws.next(20s);
        if (!f) return;  // killed
        if (f->value("type", "") == "ack") {
          std::lock_guard<std::mutex> lock(mu);
          acked[f->value("clientId", "")] = (*f)["message"];
          ++ackCount;
          ++got;
        }
      }
    });
  }
  // Kill mid-stream.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (ackCount.load() < kKillAfter && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  server().kill9();
  int atKill = ackCount.load();
  for (auto& th : threads) th.join();
  ASSERT_GE(atKill, kKillAfter) << "too few acks before the kill";
  EXPECT_LT(atKill, kClients * kEach) << "the kill came after the last message: not mid-stream";
  for (auto& s : sockets) s.ws->abort();

  std::string token = *owner.http.session();
  ASSERT_TRUE(server().restart());
  owner.http = HttpClient(port());
  owner.http.setSession(token);  // sessions survive the restart too
  auto history = fullHistory(owner.http, id);
  std::map<std::string, json> byClientId;
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i]["seq"], static_cast<int64_t>(i + 1)) << "seq gap after restart at " << i;
    std::string text = history[i].value("text", "");
    byClientId[text.substr(std::string("durable ").size())] = history[i];
  }
  EXPECT_GE(history.size(), acked.size());
  std::cerr << "[ info ] killed after " << atKill << " acks (" << acked.size()
            << " recorded); " << history.size() << " messages stored\n";
  for (const auto& [cid, m] : acked) {
    auto it = byClientId.find(cid);
    ASSERT_NE(it, byClientId.end()) << "acked message " << cid << " (seq " << m["seq"]
                                    << ") is missing after kill -9";
    EXPECT_EQ(it->second["seq"], m["seq"]) << cid;
    EXPECT_EQ(it->second["id"], m["id"]) << cid;
    EXPECT_EQ(it->second["text"], m["text"]) << cid;
  }
  // The room goes on from the last stored seq.
  Joined again = join(users[1], id, "after");
  ASSERT_FALSE(again.welcome.is_null());
  EXPECT_EQ(again.welcome["lastSeq"], static_cast<int64_t>(history.size()));
  EXPECT_EQ(sendText(*again, "after-restart", "still here")["seq"],
            static_cast<int64_t>(history.size() + 1));
}

class Shutdown : public ServerTest {};

TEST_F(Shutdown, SigtermClosesSocketsWith1012AndExitsZero) {
  TestUser cy = newUser();
  TestUser di = newUser();
  std::string id = createRoom(cy, "bye")["id"];
  std::string id2 = createRoom(di, "bye 2")["id"];
  Joined a = join(cy, id, "a");
  Joined b = join(di, id, "b");
  Joined c = join(di, id2, "c");
  json m = sendText(*a, "before", "before shutdown");
  ASSERT_FALSE(m.is_null());

  server().sendSignal(SIGTERM);
  for (Joined* j : {&a, &b, &c}) {
    EXPECT_EQ((*j)->waitClose(20s), std::optional<int>(1012))
        << "reason: " << (*j)->closeReason() << " " << (*j)->readError();
  }
  EXPECT_EQ(server().waitForExit(20s), std::optional<int>(0));

  // Restart on the same data: the session and the message are still there.
  std::string token = *cy.http.session();
  ASSERT_TRUE(server().restart());
  cy.http = HttpClient(port());
  cy.http.setSession(token);
  auto session = cy.http.get("/api/auth/session");
  ASSERT_EQ(session.status, 200) << "the session did not survive a restart: " << session.describe();
  auto hist = fullHistory(cy.http, id);
  ASSERT_EQ(hist.size(), 1u);
  EXPECT_EQ(hist[0]["id"], m["id"]);
}

TEST_F(Shutdown, SigtermWithNoClientsExitsZeroQuickly) {
  EXPECT_EQ(server().terminate(20s), std::optional<int>(0));
}

class Metrics : public ServerTest {};

TEST_F(Metrics, CountConnectionsPersistedMessagesAndFanOut) {
  auto res = metrics();
  ASSERT_EQ(res.status, 200) << res.describe();
  EXPECT_NE(res.header("Content-Type").find("text/plain"), std::string::npos)
      << res.header("Content-Type");
  for (const auto& name : {"roomchat_rooms_awake", "roomchat_room_files_open",
                           "roomchat_connections", "roomchat_messages_persisted_total",
                           "roomchat_fanout_deliveries_total"}) {
    EXPECT_TRUE(metric(name).has_value()) << name << " missing from /metrics:\n" << res.body;
  }
  double persisted0 = metric("roomchat_messages_persisted_total").value_or(0);
  double fanout0 = metric("roomchat_fanout_deliveries_total").value_or(0);

  TestUser eve = newUser();
  TestUser fin = newUser();
  std::string id = createRoom(eve, "metrics")["id"];
  Joined a = join(eve, id, "a");
  Joined b = join(fin, id, "b");
  Joined c = join(fin, id, "c");
  EXPECT_EQ(metric("roomchat_connections"), std::optional<double>(3));
  EXPECT_EQ(metric("roomchat_rooms_awake"), std::optional<double>(1));
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(sendText(*a, "m" + std::to_string(i), "metric").is_null());
  for (int i = 0; i < 10; ++i) {
    b->expect("message");
    c->expect("message");
  }
  // Counters may be bumped just after the frames go out: poll briefly.
  EXPECT_TRUE(eventually(
      [&] { return metric("roomchat_messages_persisted_total").value_or(0) - persisted0 == 10; }, 10s))
      << "persisted went from " << persisted0 << " to "
      << metric("roomchat_messages_persisted_total").value_or(-1) << " for 10 messages";
  EXPECT_TRUE(eventually(
      [&] { return metric("roomchat_fanout_deliveries_total").value_or(0) - fanout0 >= 20; }, 10s))
      << "fan-out went from " << fanout0 << " to "
      << metric("roomchat_fanout_deliveries_total").value_or(-1) << " for 10 messages to 2 sockets";
  a->close();
  EXPECT_TRUE(eventually([&] { return metric("roomchat_connections") == std::optional<double>(2); }, 10s));
}

TEST_F(Metrics, MemoryStaysModestUnderAThousandMessages) {
  TestUser gil = newUser();
  std::string id = createRoom(gil, "rss")["id"];
  Joined a = join(gil, id);
  long before = server().rssKiB();
  ASSERT_GT(before, 0);
  for (int i = 0; i < 1000; ++i) a->sendRaw(textFrame("r" + std::to_string(i), repeat('m', 500)).dump());
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(a->expect("ack", 30s).is_null());
  long after = server().rssKiB();
  // 1000 x 500 bytes is 0.5 MB of text; allow generous slack for caches.
  EXPECT_LT(after - before, 200 * 1024) << "RSS grew from " << before << " KiB to " << after << " KiB";
}

}  // namespace
}  // namespace roomchat::test
