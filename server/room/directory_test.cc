// The local directory: waking, hibernating and deleting rooms on real files.
#include "room/directory.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <boost/asio/io_context.hpp>

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

}  // namespace
}  // namespace roomchat::room
