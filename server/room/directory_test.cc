// The local directory: waking, hibernating and deleting rooms on real files.
#include "room/directory.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/ids.h"
#include "base/metrics.h"
#include "store/test_support.h"

namespace roomchat::room {
namespace {

namespace asio = boost::asio;

class DirectoryTest : public ::testing::Test {
 protected:
  DirectoryTest() : directory_(ioc_, DirectoryOptions{dir_.path(), {}, 1, {}}) {}

  model::Room info(const std::string& id) {
    return {id, "Room", model::Visibility::kPublic, "owner", 1, 1};
  }

  // Runs the io_context until `done` or a deadline.
  template <class Pred>
  bool runUntil(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      ioc_.restart();
      ioc_.run_for(std::chrono::milliseconds(50));
    }
    return done();
  }

  store::testutil::TempDir dir_;
  asio::io_context ioc_;
  LocalRoomDirectory directory_;
};

TEST_F(DirectoryTest, AcquiringAnUnknownRoomCreatesNoFile) {
  auto room = directory_.acquire(info("abcdef"));
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().code, "not_found");
  EXPECT_FALSE(std::filesystem::exists(directory_.fileOf("abcdef")));
}

TEST_F(DirectoryTest, IdleRoomHibernatesAndWakesWithItsFile) {
  const int64_t filesBefore = metrics().roomFilesOpen.value();
  {
    auto room = directory_.create(info("qwerty"));
    ASSERT_TRUE(room.ok());
    EXPECT_EQ(directory_.ifAwake("qwerty"), *room);
  }
  EXPECT_EQ(metrics().roomFilesOpen.value(), filesBefore + 1);
  directory_.start();
  EXPECT_TRUE(runUntil([&] { return directory_.awake() == 0; }));
  EXPECT_TRUE(runUntil([&] { return metrics().roomFilesOpen.value() == filesBefore; }));
  EXPECT_EQ(directory_.ifAwake("qwerty"), nullptr);
  directory_.stop();

  auto again = directory_.acquire(info("qwerty"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(directory_.awake(), 1u);
}

// Closing files is the background executor's job alone: requests queued on the
// io_context (or the work pool) never wait behind a sweep's closings.
TEST_F(DirectoryTest, HibernationClosesFilesOnlyOnTheBackgroundExecutor) {
  asio::io_context background;
  DirectoryOptions options{dir_.path(), {}, 1, {}};
  options.background = background.get_executor();
  LocalRoomDirectory directory(ioc_, options);
  const int64_t filesBefore = metrics().roomFilesOpen.value();
  ASSERT_TRUE(directory.create(info("sleepy")).ok());
  directory.start();
  EXPECT_TRUE(runUntil([&] { return directory.awake() == 0; }));
  runUntil([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_EQ(metrics().roomFilesOpen.value(), filesBefore + 1) << "closed on the io_context";
  directory.stop();

  EXPECT_GE(background.poll(), 1u);
  EXPECT_EQ(metrics().roomFilesOpen.value(), filesBefore);
  EXPECT_TRUE(directory.acquire(info("sleepy")).ok()) << "wakes with its file";
}

// A page read as the room wakes uses the connection the wake opened, so a room
// woken for one page holds one connection; a room already awake is read by its
// own reader, and the hook does not run.
TEST_F(DirectoryTest, AReadAtWakeUsesTheConnectionTheWakeOpened) {
  ASSERT_TRUE(directory_.create(info("paged")).ok());
  directory_.start();
  ASSERT_TRUE(runUntil([&] { return directory_.awake() == 0; }));
  directory_.stop();
  {
    std::vector<model::Message> batch(2);
    for (auto& m : batch) {
      m.id = randomId();
      m.text = "hi";
    }
    auto db = store::RoomStore::open(directory_.fileOf("paged"), "paged", /*create=*/false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->append(batch).ok());
  }
  const auto file = std::filesystem::canonical(directory_.fileOf("paged"));
  ASSERT_EQ(store::testutil::openDescriptors(file), 0);

  int wakes = 0;
  size_t read = 0;
  auto readPage = [&](const store::RoomStore& db) {
    ++wakes;
    read = db.before(0, 25).value().messages.size();
  };
  auto room = directory_.acquire(info("paged"), readPage);
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(read, 2u);
  EXPECT_EQ(store::testutil::openDescriptors(file), 1) << "one connection for a cold page";

  ASSERT_TRUE(directory_.acquire(info("paged"), readPage).ok());
  EXPECT_EQ(wakes, 1) << "an awake room is not woken again";
  ASSERT_TRUE((*room)->history(0, 25).ok());
  EXPECT_EQ(store::testutil::openDescriptors(file), 2) << "an awake room reads on its reader";
}

TEST_F(DirectoryTest, ARoomInUseDoesNotHibernate) {
  auto room = directory_.create(info("busyroom"));
  ASSERT_TRUE(room.ok());
  directory_.start();
  runUntil([] { return false; }, std::chrono::milliseconds(1600));
  EXPECT_EQ(directory_.awake(), 1u);
  directory_.stop();
}

TEST_F(DirectoryTest, DestroyRemovesTheFileAndTheRoom) {
  {
    auto room = directory_.create(info("doomed"));
    ASSERT_TRUE(room.ok());
  }
  ASSERT_TRUE(std::filesystem::exists(directory_.fileOf("doomed")));
  EXPECT_TRUE(directory_.destroy("doomed").ok());
  runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_FALSE(std::filesystem::exists(directory_.fileOf("doomed")));
  EXPECT_EQ(directory_.ifAwake("doomed"), nullptr);
  EXPECT_EQ(directory_.acquire(info("doomed")).error().code, "not_found");
}

TEST_F(DirectoryTest, CorruptRoomFileIsAClearErrorAndAMetric) {
  std::filesystem::create_directories(directory_.fileOf("broken").parent_path());
  { std::ofstream(directory_.fileOf("broken")) << std::string(8192, 'x'); }
  const uint64_t failures = metrics().roomOpenFailures.value();
  auto room = directory_.acquire(info("broken"));
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().code, "storage_unavailable");
  EXPECT_EQ(metrics().roomOpenFailures.value(), failures + 1);
  EXPECT_TRUE(directory_.create(info("healthy")).ok());
}

class SilentConnection : public Connection {
 public:
  void send(std::shared_ptr<const std::string>) override {}
  void close(uint16_t, std::string) override {}
};

// Two ids that land in the same shard of a 16-shard directory.
std::pair<std::string, std::string> sameShardIds() {
  auto shardOf = [](const std::string& id) { return std::hash<std::string>{}(id) % 16; };
  const std::string first = "shardmate0";
  for (int i = 1;; ++i) {
    std::string other = "shardmate" + std::to_string(i);
    if (shardOf(other) == shardOf(first)) return {first, other};
  }
}

// A slow open (a slow disk, a migration, the wake-time read) holds up only
// callers for that room, not the other rooms of its shard.
TEST_F(DirectoryTest, ASlowWakeDoesNotStallOtherRoomsOfItsShard) {
  auto [slow, other] = sameShardIds();
  ASSERT_TRUE(directory_.create(info(slow)).ok());
  ASSERT_TRUE(directory_.create(info(other)).ok());
  directory_.start();
  ASSERT_TRUE(runUntil([&] { return directory_.awake() == 0; }));  // both asleep
  directory_.stop();
  runUntil([] { return false; }, std::chrono::milliseconds(100));

  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> waking;
  auto slowWake = std::async(std::launch::async, [&, slow = slow] {
    return directory_.acquire(info(slow), [&](const store::RoomStore&) {
      waking.set_value();
      released.wait();
    });
  });
  waking.get_future().wait();
  auto otherWake = std::async(std::launch::async, [&, other = other] {
    return directory_.acquire(info(other));
  });
  const bool otherDone =
      otherWake.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  // A second caller for the slow room waits for that one open and shares it.
  auto sameRoom = std::async(std::launch::async, [&, slow = slow] {
    return directory_.acquire(info(slow), [](const store::RoomStore&) {
      ADD_FAILURE() << "the room was opened twice";
    });
  });
  release.set_value();
  EXPECT_TRUE(otherDone) << "waking one room held up another room of its shard";
  auto first = slowWake.get();
  auto second = sameRoom.get();
  ASSERT_TRUE(first.ok() && second.ok() && otherWake.get().ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(directory_.awake(), 2u);
}

// Deleting a room whose open is in flight waits for it, then deletes: the
// opened room is told to destroy itself and nothing can wake it again.
TEST_F(DirectoryTest, DeletingARoomBeingWokenLeavesNoRoomBehind) {
  ASSERT_TRUE(directory_.create(info("doomed")).ok());
  directory_.start();
  ASSERT_TRUE(runUntil([&] { return directory_.awake() == 0; }));
  directory_.stop();
  runUntil([] { return false; }, std::chrono::milliseconds(100));

  std::promise<void> release, waking;
  std::shared_future<void> released = release.get_future().share();
  auto wake = std::async(std::launch::async, [&] {
    return directory_.acquire(info("doomed"), [&](const store::RoomStore&) {
      waking.set_value();
      released.wait();
    });
  });
  waking.get_future().wait();
  auto destroyed = std::async(std::launch::async, [&] { return directory_.destroy("doomed"); });
  EXPECT_EQ(destroyed.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "the files went while the room was being opened";
  release.set_value();
  ASSERT_TRUE(destroyed.get().ok());
  ASSERT_TRUE(wake.get().ok());
  EXPECT_EQ(directory_.ifAwake("doomed"), nullptr);
  EXPECT_FALSE(std::filesystem::exists(directory_.fileOf("doomed")));
  auto again = directory_.acquire(info("doomed"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "not_found");
  runUntil([] { return false; }, std::chrono::milliseconds(100));  // the room's destroy()
}

// A dropped call participant keeps its seat for the grace window; a room
// hibernated meanwhile would forget it. The pending expiry holds the room.
TEST_F(DirectoryTest, ACallSeatInItsGraceWindowKeepsTheRoomAwake) {
  DirectoryOptions options{dir_.path(), {}, 0, {}};  // idle at once: a sweep every 100 ms
  options.roomLimits.callGraceMs = 1500;
  LocalRoomDirectory directory(ioc_, options);
  {
    auto room = directory.create(info("caller"));
    ASSERT_TRUE(room.ok());
    asio::post((*room)->strand(), [r = *room, conn = std::make_shared<SilentConnection>()] {
      r->attach(conn, "c1", Member{{"u1", "u1", "u1", std::nullopt}, model::Role::kMember, false, "t"});
      r->handle("c1", proto::Hello{});
      r->handle("c1", proto::CallJoin{});
      r->detach("c1");  // dropped, not left: the seat waits for a rebind
    });
  }
  directory.start();
  runUntil([] { return false; }, std::chrono::milliseconds(700));  // several sweeps
  EXPECT_NE(directory.ifAwake("caller"), nullptr) << "hibernated with a seat in its grace window";
  EXPECT_TRUE(runUntil([&] { return directory.awake() == 0; })) << "never slept after the grace";
  directory.stop();
  runUntil([] { return false; }, std::chrono::milliseconds(100));
}

// stop() comes from the thread that handles SIGTERM while an io thread runs
// the sweep: a data race on the timer before (TSan reports it in make tsan).
TEST_F(DirectoryTest, StartAndStopFromOtherThreadsWhileSweepsRun) {
  DirectoryOptions options{dir_.path(), {}, 0, {}};
  LocalRoomDirectory directory(ioc_, options);
  auto guard = asio::make_work_guard(ioc_);
  std::thread io([&] { ioc_.run(); });
  for (int i = 0; i < 20; ++i) {
    directory.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    directory.stop();
  }
  std::promise<void> drained;
  asio::post(ioc_, [&] { drained.set_value(); });  // after the last stop() ran
  drained.get_future().wait();
  guard.reset();
  ioc_.stop();
  io.join();
  ioc_.restart();
}

}  // namespace
}  // namespace roomchat::room
