// Every client frame that is not understood gets an `error` frame back, and
// the socket's limits hold: hello first, bad/unknown/invalid frames, abuse
// (1008), oversized frames (1009), the message rate and the number of
// sockets per user.
#include <set>
#include <thread>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

class FrameErrors : public ServerTest {
 protected:
  // A user, a room and an upgraded socket that has not said hello yet.
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    user_ = newUser();
    roomId_ = createRoom(user_, "errors")["id"];
    ws_ = openSocket(user_, roomId_);
    ASSERT_EQ(ws_->upgradeStatus(), 101) << ws_->upgradeBody();
  }
  void hello() {
    ws_->send({{"type", "hello"}});
    ASSERT_FALSE(ws_->expect("welcome").is_null());
  }
  // Sends one frame and returns the error it got (null if none came).
  json errorFor(const std::string& raw) {
    ws_->sendRaw(raw);
    return ws_->expect("error");
  }

  TestUser user_;
  std::string roomId_;
  std::unique_ptr<WsClient> ws_;
};

TEST_F(FrameErrors, FramesBeforeHelloGetHelloRequiredAndTheSocketStaysOpen) {
  for (const json& f : {json{{"type", "ping"}}, json{{"type", "typing"}, {"active", true}},
                        json(textFrame("c1", "too early"))}) {
    ws_->send(f);
    json e = ws_->expect("error");
    EXPECT_EQ(e["code"], "hello_required") << f.dump() << " -> " << e.dump();
    EXPECT_TRUE(e["message"].is_string()) << e.dump();
  }
  EXPECT_FALSE(ws_->closed());
  hello();
  ws_->send({{"type", "ping"}});
  EXPECT_FALSE(ws_->expect("pong").is_null());
  EXPECT_TRUE(user_.http.get("/api/rooms/" + roomId_ + "/messages").json["items"].empty())
      << "a send before hello was stored";
}

TEST_F(FrameErrors, FramesThatAreNotJsonObjectsAreBadFrames) {
  hello();
  for (const std::string raw : {"not json", "{\"type\": \"ping\"", "[1,2,3]", "\"ping\"", "42",
                                "null", ""}) {
    json e = errorFor(raw);
    EXPECT_EQ(e["code"], "bad_frame") << "'" << raw << "' -> " << e.dump();
  }
  // A frame without a usable type.
  for (const std::string raw : {"{}", "{\"type\": 5}", "{\"type\": null}"}) {
    json e = errorFor(raw);
    EXPECT_TRUE(e["code"] == "bad_frame" || e["code"] == "unknown_type" ||
                e["code"] == "invalid_field")
        << "'" << raw << "' -> " << e.dump();
  }
  // Binary frames are not part of the protocol.
  ws_->sendBinary(std::string("\x00\x01\x02", 3));
  EXPECT_FALSE(ws_->expect("error").is_null()) << "a binary frame got no error";
  EXPECT_FALSE(ws_->closed());
}

TEST_F(FrameErrors, AnUnknownTypeIsUnknownType) {
  hello();
  for (const std::string t : {"dance", "PING", "welcome", "ack"}) {
    json e = errorFor(json{{"type", t}}.dump());
    EXPECT_EQ(e["code"], "unknown_type") << t << " -> " << e.dump();
  }
}

TEST_F(FrameErrors, InvalidSendFieldsAreInvalidFieldWithTheClientIdEchoed) {
  hello();
  struct Case {
    json frame;
    std::string code;
    bool echoes;
  };
  const std::vector<Case> cases = {
      {{{"type", "send"}, {"kind", "text"}, {"text", "no client id"}}, "invalid_field", false},
      {{{"type", "send"}, {"clientId", ""}, {"kind", "text"}, {"text", "x"}}, "invalid_field", false},
      {{{"type", "send"}, {"clientId", repeat('c', 65)}, {"kind", "text"}, {"text", "x"}},
       "invalid_field", false},
      {{{"type", "send"}, {"clientId", 12}, {"kind", "text"}, {"text", "x"}}, "invalid_field", false},
      {{{"type", "send"}, {"clientId", "k1"}, {"kind", "video"}, {"text", "x"}}, "invalid_field", true},
      {{{"type", "send"}, {"clientId", "k2"}, {"kind", "text"}}, "invalid_field", true},
      {{{"type", "send"}, {"clientId", "k3"}, {"kind", "text"}, {"text", "   \n\t "}},
       "invalid_field", true},
      {{{"type", "send"}, {"clientId", "k4"}, {"kind", "text"}, {"text", 5}}, "invalid_field", true},
      {{{"type", "send"}, {"clientId", "k5"}, {"kind", "text"}, {"text", "x"}, {"replyToSeq", "one"}},
       "invalid_field", true},
      {{{"type", "send"}, {"clientId", "k6"}, {"kind", "image"}, {"images", json::array()}},
       "invalid_field", true},
      {{{"type", "send"}, {"clientId", "k7"}, {"kind", "image"}, {"images", {"not-a-key"}}},
       "invalid_field", true},
      {{{"type", "send"}, {"clientId", "k8"}, {"kind", "text"}, {"text", repeat('t', 4001)}},
       "too_long", true},
  };
  for (const auto& c : cases) {
    json e = errorFor(c.frame.dump());
    EXPECT_EQ(e["code"], c.code) << c.frame.dump().substr(0, 200) << " -> " << e.dump();
    if (c.echoes) {
      EXPECT_EQ(e["clientId"], c.frame["clientId"]) << e.dump();
    }
  }
  // Eleven images, and an image key that is well-formed but not stored.
  json eleven = json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back(std::string(63, 'a') + std::to_string(i % 10));
  json e = errorFor(json{{"type", "send"}, {"clientId", "k9"}, {"kind", "image"}, {"images", eleven}}.dump());
  EXPECT_TRUE(e["code"] == "invalid_field" || e["code"] == "too_long") << e.dump();
  EXPECT_EQ(e["clientId"], "k9");

  EXPECT_FALSE(ws_->closed()) << "fewer than 20 invalid frames closed the socket";
  EXPECT_TRUE(user_.http.get("/api/rooms/" + roomId_ + "/messages").json["items"].empty())
      << "an invalid send was stored";
}

TEST_F(FrameErrors, ImageKeysThatAreNotInTheBlobStoreAreRefused) {
  hello();
  // Well-formed keys (64 lowercase hex) of blobs that were never uploaded.
  ws_->send({{"type", "send"}, {"clientId", "img1"}, {"kind", "image"},
             {"images", {std::string(64, 'b')}}});
  json reply = ws_->expectWhere("", [](const json& f) {
    return f.value("type", "") == "ack" || f.value("type", "") == "error";
  });
  ASSERT_EQ(reply.value("type", ""), "error") << "accepted: " << reply.dump();
  EXPECT_TRUE(reply["code"] == "invalid_field" || reply["code"] == "not_found") << reply.dump();
  EXPECT_EQ(reply["clientId"], "img1") << reply.dump();
  EXPECT_TRUE(user_.http.get("/api/rooms/" + roomId_ + "/messages").json["items"].empty())
      << "a message with a missing image was stored";
}

TEST_F(FrameErrors, InvalidFieldsOfOtherFramesAreInvalidField) {
  hello();
  for (const json& f : {json{{"type", "edit"}, {"seq", "1"}, {"text", "x"}},
                        json{{"type", "edit"}, {"text", "x"}},
                        json{{"type", "delete"}},
                        json{{"type", "delete"}, {"seq", -1.5}},
                        json{{"type", "typing"}},
                        json{{"type", "history"}, {"beforeSeq", 1}, {"limit", "ten"}}}) {
    json e = errorFor(f.dump());
    EXPECT_EQ(e["code"], "invalid_field") << f.dump() << " -> " << e.dump();
  }
  EXPECT_FALSE(ws_->closed());
}

TEST_F(FrameErrors, RepeatedInvalidFramesCloseTheSocketWith1008) {
  hello();
  for (int i = 0; i < 60 && !ws_->closed(); ++i) {
    if (!ws_->sendRaw("garbage " + std::to_string(i))) break;
  }
  auto code = ws_->waitClose();
  EXPECT_EQ(code, std::optional<int>(1008)) << "reason: " << ws_->closeReason() << " "
                                           << ws_->readError();
  int errors = 0;
  for (const auto& f : ws_->skipped()) errors += f.value("type", "") == "error";
  EXPECT_GE(errors, 10) << "invalid frames before the close got no error frames";
  // The user is not locked out: a new socket works.
  Joined again = join(user_, roomId_, "fresh");
  EXPECT_FALSE(again.welcome.is_null());
}

TEST_F(FrameErrors, AFrameOverSixtyFourKibibytesClosesWith1009) {
  hello();
  ws_->sendRaw(textFrame("big", repeat('x', 70000)).dump());
  EXPECT_EQ(ws_->waitClose(), std::optional<int>(1009))
      << "reason: " << ws_->closeReason() << " " << ws_->readError();
  EXPECT_TRUE(user_.http.get("/api/rooms/" + roomId_ + "/messages").json["items"].empty());
}

TEST_F(FrameErrors, AFrameJustUnderTheLimitIsReadAndJudgedOnItsFields) {
  hello();
  // About 60 KiB: read whole, refused as too long text, socket stays open.
  json e = errorFor(textFrame("almost", repeat('x', 60000)).dump());
  EXPECT_EQ(e["code"], "too_long") << e.dump();
  EXPECT_FALSE(ws_->closed());
}

class SmallFrames : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--max-frame-bytes", "1000"});
    return args;
  }
};

TEST_F(SmallFrames, TheFrameLimitIsConfigurable) {
  TestUser u = newUser();
  std::string id = createRoom(u, "small")["id"];
  Joined a = join(u, id);
  EXPECT_FALSE(sendText(*a, "fits", repeat('s', 800)).is_null());
  a->sendRaw(textFrame("over", repeat('s', 1200)).dump());
  EXPECT_EQ(a->waitClose(), std::optional<int>(1009));
}

class MessageRate : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    return {"--message-rate", "1", "--message-burst", "3", "--signup-per-minute", "100000",
            "--signup-burst", "100000"};
  }
};

TEST_F(MessageRate, SendsOverTheBucketAreRateLimitedAndNotStored) {
  TestUser u = newUser();
  std::string id = createRoom(u, "rate")["id"];
  Joined a = join(u, id);
  auto start = std::chrono::steady_clock::now();
  constexpr int kSends = 8;
  for (int i = 0; i < kSends; ++i) a->send(textFrame("r" + std::to_string(i), "msg " + std::to_string(i)));
  std::set<std::string> acked, limited;
  for (int i = 0; i < kSends; ++i) {
    json f = a->expectWhere("", [](const json& f) {
      return f.value("type", "") == "ack" || f.value("type", "") == "error";
    });
    ASSERT_FALSE(f.is_null());
    std::string cid = f.value("clientId", "");
    if (f["type"] == "ack") {
      acked.insert(cid);
    } else {
      EXPECT_EQ(f["code"], "rate_limited") << f.dump();
      EXPECT_FALSE(cid.empty()) << "rate_limited error without the send's clientId: " << f.dump();
      limited.insert(cid);
    }
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(acked.size() + limited.size(), static_cast<size_t>(kSends));
  EXPECT_GE(acked.size(), 3u) << "the burst of 3 was not honoured";
  EXPECT_LE(acked.size(), 3u + static_cast<size_t>(elapsed) + 1) << "rate limit not enforced";
  EXPECT_GE(limited.size(), 1u);

  auto hist = u.http.get("/api/rooms/" + id + "/messages");
  std::set<std::string> stored;
  for (const auto& m : hist.json["items"]) stored.insert(m.value("text", ""));
  EXPECT_EQ(hist.json["items"].size(), acked.size()) << hist.body;
  for (const auto& cid : limited) {
    EXPECT_EQ(stored.count("msg " + cid.substr(1)), 0u) << cid << " was rate limited but stored";
  }
  for (const auto& cid : acked) {
    EXPECT_EQ(stored.count("msg " + cid.substr(1)), 1u) << cid << " was acked but not stored";
  }
  // Non-message frames are not charged to the message bucket.
  a->send({{"type", "ping"}});
  EXPECT_FALSE(a->expect("pong").is_null());
}

// The flood test found that a fresh socket came with a fresh burst; the room
// now keeps one budget per user as well. A slow refill (one token per 4 s)
// keeps the check independent of how long the joins take here.
class UserMessageRate : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    return {"--message-rate", "0.25", "--message-burst", "3", "--signup-per-minute", "100000",
            "--signup-burst", "100000"};
  }
};

TEST_F(UserMessageRate, NeitherReconnectingNorASecondTabRefillsTheBudget) {
  TestUser u = newUser();
  std::string id = createRoom(u, "rate")["id"];
  Joined first = join(u, id);
  for (int i = 0; i < 3; ++i) {
    first->send(textFrame("a" + std::to_string(i), "burst " + std::to_string(i)));
    EXPECT_FALSE(first->expect("ack").is_null());
  }
  first->close();
  Joined second = join(u, id);
  Joined third = join(u, id);
  second->send(textFrame("b0", "after reconnecting"));
  json e = second->expect("error");
  EXPECT_EQ(e["code"], "rate_limited") << e.dump();
  EXPECT_EQ(e["clientId"], "b0");
  third->send(textFrame("c0", "from a second tab"));
  EXPECT_EQ(third->expect("error")["code"], "rate_limited");
  // The budget refills at the configured rate for the user as a whole.
  std::this_thread::sleep_for(4200ms);
  second->send(textFrame("b1", "a second later"));
  EXPECT_FALSE(second->expect("ack").is_null());
}

class ConnectionLimit : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--max-connections-per-user", "2"});
    return args;
  }
};

TEST_F(ConnectionLimit, AUserPastTheSocketLimitIsRefusedWith429) {
  TestUser u = newUser();
  TestUser other = newUser();
  std::string id = createRoom(u, "conns")["id"];
  std::string id2 = createRoom(u, "conns 2")["id"];
  Joined a = join(u, id, "t1");
  Joined b = join(u, id2, "t2");  // the limit counts sockets across rooms
  auto third = openSocket(u, id, "t3");
  EXPECT_EQ(third->upgradeStatus(), 429) << third->upgradeBody();
  EXPECT_EQ(third->upgradeErrorCode(), "rate_limited") << third->upgradeBody();
  // Other users are not affected.
  Joined c = join(other, id, "o1");
  EXPECT_FALSE(c.welcome.is_null());
  // Closing one frees a slot.
  a->close();
  EXPECT_TRUE(eventually(
      [&] {
        auto s = openSocket(u, id, "t4");
        return s->upgradeStatus() == 101;
      },
      10s))
      << "a closed socket still counts against the limit";
}

}  // namespace
}  // namespace roomchat::test

namespace roomchat::test {
namespace {

class SlowReader : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--outbound-queue-frames", "64"});
    return args;
  }
};

TEST_F(SlowReader, AReaderThatFallsTooFarBehindIsClosedAndDoesNotStallTheRoom) {
  TestUser w = newUser("writer");
  TestUser r = newUser("reader");
  std::string id = createRoom(w, "firehose")["id"];
  Joined writer = join(w, id, "w");
  Joined stalled = join(r, id, "r");  // never read until the end
  ASSERT_FALSE(stalled.welcome.is_null());

  // ~12 MB of fan-out: more than the socket buffers can hide.
  const std::string text = repeat('f', 4000);
  constexpr int kMessages = 3000;
  // The writer keeps at most 16 sends in flight, so its own queue of acks
  // stays far below the bound: only the reader is slow.
  constexpr int kWindow = 16;
  int sent = 0, acked = 0;
  while (acked < kMessages) {
    while (sent < kMessages && sent - acked < kWindow) {
      writer->sendRaw(textFrame("f" + std::to_string(sent), text).dump());
      ++sent;
    }
    json a = writer->expect("ack", 30s);
    if (a.is_null()) break;
    ++acked;
  }
  EXPECT_EQ(acked, kMessages) << "the writer stalled behind the slow reader";

  EXPECT_EQ(metric("roomchat_slow_consumers_closed_total"), std::optional<double>(1));
  // The reader gets what was buffered, then the close frame; or, when the
  // writes took longer than the server's 5 s close deadline (a slow,
  // sanitized build), the connection cut without it. Either way it ends.
  auto code = stalled->waitClose(30s);
  EXPECT_TRUE(stalled->closed()) << "the slow reader was never disconnected";
  if (code) {
    EXPECT_EQ(*code, 1008) << "received " << stalled->skipped().size() << " frames";
  }
}

}  // namespace
}  // namespace roomchat::test
