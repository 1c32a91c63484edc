// The room actor driven directly: real RoomStore files, fake connections that
// record what the room sends, and an io_context polled by the test.
#include "room/room.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/ids.h"
#include "base/metrics.h"
#include "store/test_support.h"

namespace roomchat::room {
namespace {

using nlohmann::json;
namespace asio = boost::asio;
using namespace std::chrono_literals;

class FakeConnection : public Connection {
 public:
  void send(std::shared_ptr<const std::string> frame) override {
    frames.push_back(json::parse(*frame));
  }
  void close(uint16_t code, std::string) override { closedWith = code; }

  // Frames of `type`, removed from the record.
  std::vector<json> take(const std::string& type) {
    std::vector<json> out, rest;
    for (auto& f : frames) (f["type"] == type ? out : rest).push_back(f);
    frames = rest;
    return out;
  }

  std::vector<json> frames;
  uint16_t closedWith = 0;
};

model::User user(const std::string& id) { return {id, id, id, std::nullopt}; }

proto::Send text(const std::string& clientId, const std::string& body) {
  proto::Send s;
  s.clientId = clientId;
  s.text = body;
  return s;
}

class RoomTest : public ::testing::Test {
 protected:
  void SetUp() override { room_ = openRoom(); }

  static RoomLimits immediatePresence() {
    RoomLimits limits;
    limits.presenceWindowMs = 0;
    limits.presenceWindowUsPerConnection = 0;
    return limits;
  }

  std::shared_ptr<Room> openRoom(RoomLimits limits = immediatePresence()) {
    auto store = store::RoomStore::open(dir_ / "room.db", "r1", true);
    EXPECT_TRUE(store.ok());
    model::Room info{"r1", "Room", model::Visibility::kPublic, "owner", 1, 1};
    RoomHooks hooks{[this](const std::string&, int64_t at) {
      lastActivity_ = at;
      ++activityReports_;
    }};
    return std::make_shared<Room>("r1", ioc_.get_executor(), ioc_.get_executor(),
                                  std::move(store.value()), info,
                                  hooks, limits);
  }

  // Attaches and greets a connection for `userId`.
  std::shared_ptr<FakeConnection> join(const std::string& connId, const std::string& userId,
                                       model::Role role = model::Role::kMember,
                                       std::optional<int64_t> lastSeq = std::nullopt,
                                       const std::string& tab = "tab") {
    auto c = std::make_shared<FakeConnection>();
    run([&] {
      room_->attach(c, connId, Member{user(userId), role, false, tab});
      room_->handle(connId, proto::Hello{lastSeq});
    });
    return c;
  }

  // Runs f on the room's strand, then everything it posted (not timers).
  template <class F>
  void run(F f) {
    asio::post(room_->strand(), f);
    do ioc_.restart();
    while (ioc_.poll() > 0);
  }

  // Runs a blocking HTTP-side read (history, search) on another thread, as
  // the work pool does, while this thread serves the strand.
  template <class F>
  auto httpRead(F f) {
    auto result = std::async(std::launch::async, f);
    while (result.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
      ioc_.restart();
      ioc_.poll();
    }
    return result.get();
  }

  void sendAll(const std::string& connId, std::vector<proto::Send> sends) {
    run([&] {
      for (auto& s : sends) room_->handle(connId, std::move(s));
    });
  }

  store::testutil::TempDir dir_;
  asio::io_context ioc_;
  std::shared_ptr<Room> room_;
  int64_t lastActivity_ = 0;
  int activityReports_ = 0;
};

TEST_F(RoomTest, FramesBeforeHelloAreRefusedWithHelloRequired) {
  auto c = std::make_shared<FakeConnection>();
  run([&] {
    room_->attach(c, "c1", Member{user("ann"), model::Role::kMember, false, ""});
    room_->handle("c1", text("m1", "hi"));
  });
  auto errors = c->take("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["code"], "hello_required");
  EXPECT_EQ(errors[0]["clientId"], "m1");
}

TEST_F(RoomTest, SendIsAckedToSenderAndBroadcastToEveryoneElse) {
  auto ann = join("c1", "ann");
  auto annTab2 = join("c2", "ann");
  auto bob = join("c3", "bob");
  sendAll("c1", {text("m1", "hello")});

  auto acks = ann->take("ack");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]["clientId"], "m1");
  EXPECT_EQ(acks[0]["message"]["seq"], 1);
  EXPECT_TRUE(ann->take("message").empty());
  EXPECT_EQ(annTab2->take("message").size(), 1u);
  EXPECT_EQ(bob->take("message")[0]["message"]["text"], "hello");
  EXPECT_GT(lastActivity_, 0);
}

TEST_F(RoomTest, FramesOfOneStrandTurnAreCommittedInOneTransaction) {
  auto ann = join("c1", "ann");
  const uint64_t commitsBefore = metrics().batchSize.count();
  sendAll("c1", {text("a", "1"), text("b", "2"), text("c", "3")});
  EXPECT_EQ(metrics().batchSize.count(), commitsBefore + 1);
  auto acks = ann->take("ack");
  ASSERT_EQ(acks.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(acks[i]["message"]["seq"], i + 1);
}

TEST_F(RoomTest, SameClientIdGivesOneMessageAndIdenticalAcks) {
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  sendAll("c1", {text("m1", "once"), text("m1", "twice in the same turn")});
  sendAll("c1", {text("m1", "again after the commit")});
  auto acks = ann->take("ack");
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0], acks[1]);
  EXPECT_EQ(acks[0], acks[2]);
  EXPECT_EQ(bob->take("message").size(), 1u);
}

TEST_F(RoomTest, SameClientIdFromAnotherUserIsAnotherMessage) {
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  sendAll("c1", {text("m1", "ann's")});
  sendAll("c2", {text("m1", "bob's")});
  EXPECT_EQ(ann->take("ack")[0]["message"]["seq"], 1);
  EXPECT_EQ(bob->take("ack")[0]["message"]["seq"], 2);
}

TEST_F(RoomTest, HelloWithLastSeqReturnsExactlyTheMissedMessages) {
  auto ann = join("c1", "ann");
  std::vector<proto::Send> sends;
  for (int i = 0; i < 40; ++i) sends.push_back(text("m" + std::to_string(i), std::to_string(i)));
  sendAll("c1", sends);
  auto bob = join("c2", "bob", model::Role::kMember, 30);
  auto welcome = bob->take("welcome").at(0);
  ASSERT_EQ(welcome["messages"].size(), 10u);
  EXPECT_EQ(welcome["messages"][0]["seq"], 31);
  EXPECT_EQ(welcome["messages"][9]["seq"], 40);
  EXPECT_EQ(welcome["lastSeq"], 40);
  EXPECT_FALSE(welcome.contains("reset"));
}

TEST_F(RoomTest, TooManyMissedMessagesResetToTheLatestPage) {
  RoomLimits limits = immediatePresence();
  limits.catchUpMax = 10;
  limits.pageSize = 5;
  room_ = openRoom(limits);
  join("c1", "ann");
  std::vector<proto::Send> sends;
  for (int i = 0; i < 20; ++i) sends.push_back(text("m" + std::to_string(i), "x"));
  sendAll("c1", sends);
  auto bob = join("c2", "bob", model::Role::kMember, 5);
  auto welcome = bob->take("welcome").at(0);
  EXPECT_EQ(welcome["reset"], true);
  ASSERT_EQ(welcome["messages"].size(), 5u);
  EXPECT_EQ(welcome["messages"][4]["seq"], 20);
  EXPECT_EQ(welcome["hasMore"], true);
}

TEST_F(RoomTest, ReplyCarriesAServerBuiltSnapshot) {
  auto ann = join("c1", "ann");
  sendAll("c1", {text("m1", std::string(150, 'a'))});
  auto reply = text("m2", "re");
  reply.replyToSeq = 1;
  sendAll("c1", {reply});
  auto missing = text("m3", "re");
  missing.replyToSeq = 99;
  sendAll("c1", {missing});
  auto acks = ann->take("ack");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1]["message"]["replyTo"]["seq"], 1);
  EXPECT_EQ(acks[1]["message"]["replyTo"]["authorId"], "ann");
  EXPECT_EQ(acks[1]["message"]["replyTo"]["snippet"].get<std::string>().size(), 100u);
  auto errors = ann->take("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["code"], "not_found");
  EXPECT_EQ(errors[0]["clientId"], "m3");
}

TEST_F(RoomTest, OnlyTheAuthorEditsAndTheOwnerMayDelete) {
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  auto owner = join("c3", "boss", model::Role::kOwner);
  sendAll("c1", {text("m1", "original")});
  run([&] { room_->handle("c2", proto::Edit{1, "hijacked"}); });
  EXPECT_EQ(bob->take("error").at(0)["code"], "forbidden");
  run([&] { room_->handle("c1", proto::Edit{1, "edited"}); });
  EXPECT_EQ(bob->take("messageUpdated").at(0)["message"]["text"], "edited");
  run([&] { room_->handle("c2", proto::Delete{1}); });
  EXPECT_EQ(bob->take("error").at(0)["code"], "forbidden");
  run([&] { room_->handle("c3", proto::Delete{1}); });
  auto deleted = ann->take("messageUpdated").back()["message"];
  EXPECT_EQ(deleted["deleted"], true);
  EXPECT_FALSE(deleted.contains("text"));
}

TEST_F(RoomTest, PresenceHasOneEntryPerUserWithConnectionCounts) {
  auto ann = join("c1", "ann");
  join("c2", "ann");
  join("c3", "bob");
  run([&] { room_->handle("c3", proto::Status{"idle", std::nullopt}); });
  auto entries = ann->take("presence").back()["users"];
  ASSERT_EQ(entries.size(), 2u);
  for (auto& e : entries) {
    if (e["userId"] == "ann") {
      EXPECT_EQ(e["connections"], 2);
    } else {
      EXPECT_EQ(e["userId"], "bob");
      EXPECT_EQ(e["user"], "idle");
    }
  }
  EXPECT_EQ(room_->online(), 2);
}

TEST_F(RoomTest, TypingGoesToOthersAndClearsWhenTheLastSocketLeaves) {
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  run([&] { room_->handle("c1", proto::Typing{true}); });
  EXPECT_TRUE(ann->take("typing").empty());
  EXPECT_EQ(bob->take("typing").at(0)["active"], true);
  run([&] { room_->detach("c1"); });
  auto cleared = bob->take("typing");
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0]["active"], false);
}

TEST_F(RoomTest, RemovedUserIsClosedWith4403) {
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  run([&] { room_->removeUser("bob", kCloseRemoved, "removed"); });
  EXPECT_EQ(bob->closedWith, kCloseRemoved);
  EXPECT_EQ(ann->closedWith, 0);
  EXPECT_EQ(room_->liveConnections(), 1);
}

TEST_F(RoomTest, DestroyTellsEveryoneAndClosesWith4404) {
  auto ann = join("c1", "ann");
  run([&] { room_->destroy(); });
  EXPECT_EQ(ann->take("roomDeleted").size(), 1u);
  EXPECT_EQ(ann->closedWith, kCloseRoomDeleted);
  auto late = std::make_shared<FakeConnection>();
  run([&] { room_->attach(late, "c9", Member{user("bob"), model::Role::kGuest, false, ""}); });
  EXPECT_EQ(late->closedWith, kCloseRoomDeleted);
}

// A socket holds its room until it finishes; if the room held the socket past
// shutdown, a peer that never answers the close would keep both (and the
// room's database) alive forever.
TEST_F(RoomTest, ShutdownClosesWith1012AndReleasesEveryConnection) {
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  std::weak_ptr<FakeConnection> annWeak = ann, bobWeak = bob;
  sendAll("c1", {text("m1", "last words")});
  run([&] { room_->handle("c1", text("m2", "pending at shutdown")); room_->shutdown(); });
  EXPECT_EQ(ann->closedWith, kCloseRestarting);
  EXPECT_EQ(bob->closedWith, kCloseRestarting);
  EXPECT_EQ(ann->take("ack").size(), 2u) << "the pending send is committed before the close";
  EXPECT_EQ(room_->liveConnections(), 0);
  ann.reset();
  bob.reset();
  EXPECT_TRUE(annWeak.expired());
  EXPECT_TRUE(bobWeak.expired());
  run([&] { room_->detach("c1"); });  // the socket finishing later is harmless
}

TEST_F(RoomTest, FullDiskRefusesMessagesWithAnErrorInsteadOfAnAck) {
  store::testutil::FaultVfs::install();
  room_ = openRoom();
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  store::testutil::FaultVfs::failWrites = true;
  sendAll("c1", {text("m1", "lost?")});
  store::testutil::FaultVfs::failWrites = false;
  EXPECT_TRUE(ann->take("ack").empty());
  auto errors = ann->take("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["code"], "storage_unavailable");
  EXPECT_EQ(errors[0]["clientId"], "m1");
  EXPECT_TRUE(bob->take("message").empty());
  sendAll("c1", {text("m1", "retried")});
  EXPECT_EQ(ann->take("ack").at(0)["message"]["seq"], 1);
}

TEST_F(RoomTest, ALaterTabTakesTheCallSeatAndTheEarlierIsKicked) {
  auto tab1 = join("c1", "ann", model::Role::kMember, std::nullopt, "t1");
  auto tab2 = join("c2", "ann", model::Role::kMember, std::nullopt, "t2");
  auto bob = join("c3", "bob");
  run([&] { room_->handle("c1", proto::CallJoin{}); });
  run([&] { room_->handle("c2", proto::CallJoin{}); });
  EXPECT_EQ(tab1->take("callKicked").at(0)["reason"], "joined_elsewhere");
  auto call = bob->take("call").back()["participants"];
  ASSERT_EQ(call.size(), 1u);
  EXPECT_EQ(call[0]["connId"], "c2");
  run([&] { room_->handle("c1", proto::CallUpdate{"s", "t", true}); });
  EXPECT_EQ(tab1->take("error").at(0)["code"], "not_in_call");
}

TEST_F(RoomTest, SignalsPassOnlyBetweenParticipants) {
  auto ann = join("c1", "ann");
  auto bob = join("c2", "bob");
  auto eve = join("c3", "eve");
  run([&] {
    room_->handle("c1", proto::CallJoin{});
    room_->handle("c2", proto::CallJoin{});
    room_->handle("c1", proto::CallSignal{"c2", R"({"sdp":"offer"})"});
    room_->handle("c3", proto::CallSignal{"c2", R"({"sdp":"evil"})"});
    room_->handle("c1", proto::CallSignal{"c3", R"({"sdp":"leak"})"});
  });
  auto signals = bob->take("callSignal");
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_EQ(signals[0]["from"], "c1");
  EXPECT_EQ(signals[0]["payload"]["sdp"], "offer");
  EXPECT_EQ(eve->take("error").at(0)["code"], "not_in_call");
  EXPECT_TRUE(eve->take("callSignal").empty());
  EXPECT_EQ(ann->take("error").at(0)["code"], "not_in_call");
}

TEST_F(RoomTest, ADroppedParticipantIsRestoredByTheSameTabWithinTheGrace) {
  auto ann = join("c1", "ann", model::Role::kMember, std::nullopt, "t1");
  auto bob = join("c2", "bob");
  run([&] { room_->handle("c1", proto::CallJoin{}); });
  bob->take("call");
  run([&] { room_->detach("c1"); });
  EXPECT_TRUE(bob->take("call").empty());  // no leave seen during the grace
  join("c9", "ann", model::Role::kMember, std::nullopt, "t1");
  auto call = bob->take("call").back()["participants"];
  ASSERT_EQ(call.size(), 1u);
  EXPECT_EQ(call[0]["connId"], "c9");
}

TEST_F(RoomTest, ADroppedParticipantLeavesAfterTheGrace) {
  RoomLimits limits = immediatePresence();
  limits.callGraceMs = 50;
  room_ = openRoom(limits);
  join("c1", "ann");
  auto bob = join("c2", "bob");
  run([&] { room_->handle("c1", proto::CallJoin{}); });
  run([&] { room_->detach("c1"); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::vector<json> calls;
  while (calls.empty() && std::chrono::steady_clock::now() < deadline) {
    ioc_.restart();
    ioc_.run_for(std::chrono::milliseconds(20));
    for (auto& f : bob->take("call"))
      if (f["participants"].empty()) calls.push_back(f);
  }
  EXPECT_EQ(calls.size(), 1u);
}

// A room whose WAL is checkpointed by hand on `work`, with a low threshold.
class CheckpointTest : public RoomTest {
 protected:
  void SetUp() override {
    auto store = store::RoomStore::open(dir_ / "big.db", "r1", true,
                                        store::RoomStoreOptions{.manualCheckpoints = true});
    ASSERT_TRUE(store.ok());
    RoomLimits limits = immediatePresence();
    limits.checkpointPages = 5;
    model::Room info{"r1", "Room", model::Visibility::kPublic, "owner", 1, 1};
    room_ = std::make_shared<Room>("r1", ioc_.get_executor(), work_.get_executor(),
                                   std::move(store.value()), info, RoomHooks{}, limits);
  }

  void sendBig(const std::string& connId, const std::string& clientId) {
    sendAll(connId, {text(clientId, std::string(3000, 'x'))});
  }

  // Runs what was posted to the work pool; the number of tasks run.
  size_t runWork() {
    work_.restart();
    return work_.poll();
  }

  asio::io_context work_;  // the work pool, run by hand
};

TEST_F(CheckpointTest, CommitsNeverWaitForACheckpointAndOneRunsAtATime) {
  auto ann = join("c1", "ann");
  const uint64_t before = metrics().checkpointSeconds.count();
  for (int i = 0; i < 20; ++i) sendBig("c1", "m" + std::to_string(i));
  EXPECT_EQ(ann->take("ack").size(), 20u) << "every commit acked, no checkpoint ran yet";
  EXPECT_EQ(metrics().checkpointSeconds.count(), before);

  EXPECT_EQ(runWork(), 1u) << "one checkpoint in flight, however many commits passed the mark";
  EXPECT_EQ(metrics().checkpointSeconds.count(), before + 1);
  // The completion reaches the strand first; the WAL starts over, fills
  // past the mark again, and the next checkpoint may start.
  for (int i = 0; i < 10; ++i) sendBig("c1", "again" + std::to_string(i));
  EXPECT_EQ(runWork(), 1u);
  EXPECT_EQ(metrics().checkpointSeconds.count(), before + 2);
}

TEST_F(CheckpointTest, HibernationClosesEveryFileAndLeavesNoWal) {
  auto ann = join("c1", "ann");
  for (int i = 0; i < 3; ++i) sendBig("c1", "m" + std::to_string(i));
  ASSERT_TRUE(httpRead([&] { return room_->history(0, 10); }).ok());  // opens the reader
  run([&] { room_->detach("c1"); });
  runWork();
  run([] {});
  const int64_t filesBefore = metrics().roomFilesOpen.value();
  room_->hibernate();
  EXPECT_EQ(metrics().roomFilesOpen.value(), filesBefore - 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "big.db-wal"));
  EXPECT_FALSE(room_->history(0, 10).ok()) << "the reader stays closed";
  room_.reset();
  auto reopened = store::RoomStore::open(dir_ / "big.db", "r1", false);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->lastSeq(), 3);
}

TEST_F(RoomTest, ReadFailuresAnswerStorageUnavailable) {
  store::testutil::FaultVfs::install();
  room_ = openRoom();  // through the fault VFS
  auto ann = join("c1", "ann");
  std::vector<proto::Send> sends;
  for (int i = 0; i < 100; ++i) sends.push_back(text("m" + std::to_string(i), std::string(300, 'y')));
  sendAll("c1", std::move(sends));
  room_ = openRoom();  // a fresh page cache: old pages come from the file
  auto bob = join("c2", "bob");
  ASSERT_EQ(bob->take("welcome").size(), 1u);

  store::testutil::FaultVfs::failReads = true;
  run([&] { room_->handle("c2", proto::History{2, 25}); });
  auto page = httpRead([&] { return room_->history(2, 25); });
  store::testutil::FaultVfs::failReads = false;

  auto errors = bob->take("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["code"], "storage_unavailable");
  EXPECT_TRUE(bob->take("history").empty()) << "no empty page in place of the error";
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code, "storage_unavailable");
}

// HTTP reads (history pages, search) take the room's read connection from the
// pool thread and never wait for the strand, which may be busy committing.
TEST_F(RoomTest, HttpReadsNeverWaitForTheStrand) {
  auto ann = join("c1", "ann");
  sendAll("c1", {text("m1", "hello"), text("m2", "again")});
  const auto file = std::filesystem::canonical(dir_ / "room.db");
  // Nobody serves the strand meanwhile: a read that waited for it would not
  // come back (it is let through afterwards, so the test cannot hang).
  auto pending = std::async(std::launch::async, [&] {
    return std::pair(room_->history(0, 25), room_->search("again", 0, 25));
  });
  const bool alone = pending.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  EXPECT_TRUE(alone) << "a read waited for the strand";
  auto [page, found] = httpRead([&] { return pending.get(); });
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->messages.size(), 2u);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->messages.size(), 1u);
  EXPECT_EQ(found->messages[0].seq, 2);
  EXPECT_EQ(store::testutil::openDescriptors(file), 2) << "the writer's and the reader's";
}

// The meta store hears of a busy room about once a second, not once a
// message, and the closing room hands over the newest time it has not told.
TEST_F(RoomTest, ActivityIsReportedAtMostOncePerIntervalAndInFullOnClose) {
  RoomLimits limits = immediatePresence();
  limits.activityReportMs = 3600 * 1000;
  room_ = openRoom(limits);
  auto ann = join("c1", "ann");
  sendAll("c1", {text("m1", "one")});
  ASSERT_EQ(activityReports_, 1);
  const int64_t first = lastActivity_;
  sendAll("c1", {text("m2", "two")});
  sendAll("c1", {text("m3", "three")});
  auto acks = ann->take("ack");
  ASSERT_EQ(acks.size(), 3u);
  const int64_t newest = acks[2]["message"]["createdAt"];
  EXPECT_EQ(activityReports_, 1) << "a report per message";
  EXPECT_EQ(lastActivity_, first);
  room_->hibernate();
  EXPECT_EQ(lastActivity_, newest) << "closing lost the newest activity";
  EXPECT_EQ(activityReports_, newest > first ? 2 : 1);
}

// A search may hold the room's reader for long (a huge room, a slow disk);
// deleting the room runs on the strand and must not wait for it.
TEST_F(RoomTest, DestroyDoesNotWaitForASearchInProgress) {
  store::testutil::FaultVfs::install();
  room_ = openRoom();  // its connections go through the shim
  auto ann = join("c1", "ann");
  sendAll("c1", {text("m1", "needle")});
  store::testutil::FaultVfs::stallReads = true;
  auto search = std::async(std::launch::async, [room = room_] { return room->search("needle", 0, 10); });
  while (store::testutil::FaultVfs::stalledReads == 0) std::this_thread::sleep_for(1ms);
  auto destroyed = std::async(std::launch::async, [&] { run([&] { room_->destroy(); }); });
  const bool returned = destroyed.wait_for(2s) == std::future_status::ready;
  store::testutil::FaultVfs::stallReads = false;
  EXPECT_TRUE(returned) << "destroy waited on the strand for the search";
  destroyed.get();
  (void)search.get();  // either result; it must only finish
  auto after = room_->search("needle", 0, 10);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, "storage_unavailable");
}

// The upgrade checked membership, then the owner removed the user, then the
// socket attaches: the removal wins. A later, fresh authorization does not.
TEST_F(RoomTest, AnAttachAuthorizedBeforeARemovalIsRefused) {
  const int64_t checked = nowMs();
  run([&] { room_->removeUser("ann", kCloseRemoved, "removed from the room"); });
  auto stale = std::make_shared<FakeConnection>();
  run([&] {
    Member m{user("ann"), model::Role::kMember, false, "t"};
    m.authorizedAt = checked;
    room_->attach(stale, "c1", m);
    room_->handle("c1", proto::Hello{});
  });
  EXPECT_EQ(stale->closedWith, kCloseRemoved);
  EXPECT_TRUE(stale->take("welcome").empty()) << "a removed member was let in";

  std::this_thread::sleep_for(2ms);
  auto fresh = std::make_shared<FakeConnection>();
  run([&] {
    Member m{user("ann"), model::Role::kMember, false, "t"};
    m.authorizedAt = nowMs();  // re-invited and checked again
    room_->attach(fresh, "c2", m);
    room_->handle("c2", proto::Hello{});
  });
  EXPECT_EQ(fresh->closedWith, 0);
  EXPECT_EQ(fresh->take("welcome").size(), 1u);
}

#ifdef ROOMCHAT_CHECK_STRANDS
// In the checked builds (sanitizers, debug) a strand-only method called from
// elsewhere stops the process with its name instead of racing.
TEST_F(RoomTest, StrandOnlyMethodsAbortOffTheStrand) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(room_->detach("nobody"), "Room::detach.* called off the room's strand");
}
#endif

}  // namespace
}  // namespace roomchat::room
