// Catching up after a disconnect (API.md §3.2 hello.lastSeq): the welcome
// holds every missed message in order, up to 1000; beyond that it says
// `reset` and holds the latest 25.
#include "support/fixture.h"

namespace roomchat::test {
namespace {

class CatchUp : public ServerTest {};

// Sends `n` messages pipelined over `ws` and waits for all the acks; returns
// the acked messages in ack order.
std::vector<json> sendMany(WsClient& ws, int n, const std::string& prefix) {
  for (int i = 0; i < n; ++i) {
    ws.sendRaw(textFrame(prefix + std::to_string(i), prefix + " text " + std::to_string(i)).dump());
  }
  std::vector<json> acks;
  while (static_cast<int>(acks.size()) < n) {
    json a = ws.expect("ack", 30s);
    if (a.is_null()) break;
    acks.push_back(a["message"]);
  }
  EXPECT_EQ(static_cast<int>(acks.size()), n);
  return acks;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t s = from; s <= to; ++s) out.push_back(s);
  return out;
}

TEST_F(CatchUp, AReconnectingClientGetsExactlyTheMessagesItMissedInOrder) {
  TestUser ada = newUser();
  TestUser bob = newUser();
  std::string id = createRoom(ada, "catch up")["id"];
  Joined writer = join(bob, id, "w");
  auto early = sendMany(*writer, 5, "early");

  int64_t lastSeq;
  {
    Joined reader = join(ada, id, "r");
    ASSERT_FALSE(reader.welcome.is_null());
    lastSeq = reader.welcome["lastSeq"];
    EXPECT_EQ(lastSeq, 5);
    reader->close();
  }
  auto missed = sendMany(*writer, 100, "missed");
  ASSERT_EQ(missed.size(), 100u);

  Joined back = join(ada, id, "r", lastSeq);
  const json& w = back.welcome;
  ASSERT_FALSE(w.is_null());
  EXPECT_TRUE(!w.contains("reset") || w["reset"] == false) << "reset after only 100 missed";
  EXPECT_EQ(seqsOf(w["messages"]), range(6, 105));
  ASSERT_EQ(w["messages"].size(), 100u);
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(w["messages"][i]["id"], missed[i]["id"]) << "at " << i;
    EXPECT_EQ(w["messages"][i]["text"], missed[i]["text"]) << "at " << i;
  }
  EXPECT_EQ(w["lastSeq"], 105);

  // Nothing missed: an empty catch-up.
  Joined upToDate = join(ada, id, "r2", 105);
  EXPECT_TRUE(upToDate.welcome["messages"].empty()) << upToDate.welcome["messages"].dump();
  EXPECT_EQ(upToDate.welcome["lastSeq"], 105);
  // And live messages keep coming after the catch-up.
  sendText(*writer, "live", "live one");
  EXPECT_EQ(back->expect("message")["message"]["seq"], 106);
}

TEST_F(CatchUp, MoreThanAThousandMissedGivesResetAndTheLatest25) {
  TestUser cam = newUser();
  std::string id = createRoom(cam, "flood")["id"];
  {
    Joined writer = join(cam, id, "w");
    auto acks = sendMany(*writer, 1011, "f");
    ASSERT_EQ(acks.size(), 1011u);
    EXPECT_EQ(acks.back()["seq"], 1011);
  }
  // 1011 missed: reset.
  Joined far = join(cam, id, "r1", 0);
  ASSERT_FALSE(far.welcome.is_null());
  EXPECT_EQ(far.welcome.value("reset", false), true) << "no reset with 1011 missed";
  EXPECT_EQ(seqsOf(far.welcome["messages"]), range(987, 1011));
  EXPECT_EQ(far.welcome["lastSeq"], 1011);
  EXPECT_EQ(far.welcome["hasMore"], true);

  // Exactly 1000 missed: every one of them, no reset.
  Joined edge = join(cam, id, "r2", 11);
  ASSERT_FALSE(edge.welcome.is_null());
  EXPECT_TRUE(!edge.welcome.contains("reset") || edge.welcome["reset"] == false);
  auto seqs = seqsOf(edge.welcome["messages"]);
  EXPECT_EQ(seqs.size(), 1000u);
  EXPECT_EQ(seqs, range(12, 1011));

  // 1001 missed: reset again.
  Joined over = join(cam, id, "r3", 10);
  EXPECT_EQ(over.welcome.value("reset", false), true) << "no reset with 1001 missed";
  EXPECT_EQ(seqsOf(over.welcome["messages"]), range(987, 1011));
}

TEST_F(CatchUp, HelloWithoutLastSeqGivesTheLatestMessages) {
  TestUser dee = newUser();
  std::string id = createRoom(dee, "fresh")["id"];
  {
    Joined writer = join(dee, id, "w");
    sendMany(*writer, 40, "m");
  }
  Joined fresh = join(dee, id, "r");
  auto seqs = seqsOf(fresh.welcome["messages"]);
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(seqs.back(), 40);
  EXPECT_LE(seqs.size(), 100u);
  EXPECT_EQ(seqs, range(seqs.front(), 40)) << "not a contiguous ascending tail";
  EXPECT_EQ(fresh.welcome["hasMore"], seqs.front() > 1);
  EXPECT_EQ(fresh.welcome["lastSeq"], 40);
}

TEST_F(CatchUp, ALastSeqAheadOfTheRoomGivesNothingAndNoError) {
  TestUser eli = newUser();
  std::string id = createRoom(eli, "ahead")["id"];
  {
    Joined writer = join(eli, id, "w");
    sendMany(*writer, 3, "a");
  }
  Joined j = join(eli, id, "r", 50);
  ASSERT_FALSE(j.welcome.is_null());
  EXPECT_EQ(j.welcome["lastSeq"], 3);
  // Either nothing, or a reset with the latest messages: never messages > 50.
  for (const auto& m : j.welcome["messages"]) EXPECT_LE(m["seq"].get<int64_t>(), 3);
}

}  // namespace
}  // namespace roomchat::test
