// A deleted message is gone, not hidden: its text leaves the reply quotes
// that cite it (what history returns and what is stored) and the room's
// files on disk (the database and its WAL), so a copy of the data folder or
// a backup taken after the delete does not hold it.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

namespace fs = std::filesystem;

class Deletion : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--room-idle-seconds", "1"});
    return args;
  }

  fs::path roomFile(const std::string& roomId) { return server().roomFile(roomId); }

  // Which of the room's files (database, WAL) hold `needle`, as raw bytes.
  std::vector<std::string> filesHolding(const fs::path& db, const std::string& needle) {
    std::vector<std::string> found;
    for (const std::string suffix : {"", "-wal"}) {
      std::ifstream in(db.string() + suffix, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (bytes.find(needle) != std::string::npos) found.push_back(db.filename().string() + suffix);
    }
    return found;
  }
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

TEST_F(Deletion, TheRepliesQuotingADeletedMessageLoseTheQuote) {
  TestUser ann = newUser();
  TestUser bob = newUser();
  std::string id = createRoom(ann, "quotes")["id"];
  Joined a = join(ann, id, "a");
  Joined b = join(bob, id, "b");
  json secret = sendText(*a, "s1", "my door code is 4417 quokka");
  ASSERT_FALSE(secret.is_null());
  json frame = textFrame("r1", "noted");
  frame["replyToSeq"] = secret["seq"];
  b->send(frame);
  json reply = b->expect("ack")["message"];
  ASSERT_EQ(reply["replyTo"]["snippet"], "my door code is 4417 quokka") << reply.dump();

  a->send({{"type", "delete"}, {"seq", secret["seq"]}});
  ASSERT_EQ(a->expect("messageUpdated")["message"]["deleted"], true);

  auto page = bob.http.get("/api/rooms/" + id + "/messages");
  ASSERT_EQ(page.status, 200) << page.describe();
  ASSERT_EQ(page.json["items"].size(), 2u) << page.body;
  const json& quoted = page.json["items"][1];
  ASSERT_EQ(quoted["seq"], reply["seq"]);
  EXPECT_EQ(quoted["replyTo"]["seq"], secret["seq"]) << "the reply still says what it answered";
  EXPECT_EQ(quoted["replyTo"].value("snippet", "?"), "") << quoted.dump();
  EXPECT_EQ(page.body.find("quokka"), std::string::npos) << page.body;
  // Over the socket too (the writer's own connection reads it).
  b->send({{"type", "history"}, {"beforeSeq", reply["seq"].get<int64_t>() + 1}, {"limit", 10}});
  json history = b->expect("history");
  EXPECT_EQ(history.dump().find("quokka"), std::string::npos) << history.dump();
  // And after a restart of the room: it is what is stored.
  a->close();
  b->close();
  ASSERT_TRUE(eventually([&] { return metric("roomchat_rooms_awake") == std::optional<double>(0); },
                         10s));
  auto cold = ann.http.get("/api/rooms/" + id + "/messages");
  EXPECT_EQ(cold.body.find("quokka"), std::string::npos) << cold.body;
}

TEST_F(Deletion, ADeletedMessagesTextLeavesTheDatabaseAndTheWal) {
  TestUser ann = newUser();
  std::string id = createRoom(ann, "forget me")["id"];
  Joined a = join(ann, id);
  for (int i = 0; i < 5; ++i) sendText(*a, "before" + std::to_string(i), "filler " + std::to_string(i));
  const std::string text = "the launch word is zanzibarquux";
  json secret = sendText(*a, "secret", text);
  ASSERT_FALSE(secret.is_null());
  for (int i = 0; i < 5; ++i) sendText(*a, "after" + std::to_string(i), "filler " + std::to_string(i));
  fs::path db = roomFile(id);
  ASSERT_FALSE(db.empty());
  ASSERT_FALSE(filesHolding(db, text).empty()) << "the detector works: the text is on disk";

  a->send({{"type", "delete"}, {"seq", secret["seq"]}});
  ASSERT_EQ(a->expect("messageUpdated")["message"]["deleted"], true);
  // While the room stays open (the socket is still here).
  EXPECT_TRUE(eventually([&] { return filesHolding(db, text).empty(); }, 5s))
      << "the text is still in " << joined(filesHolding(db, text));
  EXPECT_EQ(sendText(*a, "later", "life goes on")["text"], "life goes on");

  // Once the room hibernates, not even the search index keeps its words.
  a->close();
  ASSERT_TRUE(eventually([&] { return metric("roomchat_rooms_awake") == std::optional<double>(0); },
                         10s));
  EXPECT_TRUE(filesHolding(db, "zanzibarquux").empty())
      << "a word of it is still in " << joined(filesHolding(db, "zanzibarquux"));
  auto search = ann.http.get("/api/rooms/" + id + "/search?q=zanzibarquux");
  ASSERT_EQ(search.status, 200);
  EXPECT_TRUE(search.json["items"].empty()) << search.body;
  auto page = ann.http.get("/api/rooms/" + id + "/messages");
  EXPECT_EQ(page.json["items"].size(), 12u) << page.body;
}

}  // namespace
}  // namespace roomchat::test
