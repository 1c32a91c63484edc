// RoomSocket on a real room and store, driven on the room's strand by an io
// thread of the test, with a blob store whose checks the test holds.
#include "api/room_socket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "store/test_support.h"

namespace roomchat::api {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

// reference() waits until the test opens the gate; a key is stored unless
// it starts with "0".
class GatedBlobs : public blob::ImageReferences {
 public:
  Result<std::optional<std::string>> reference(const std::string&,
                                               const std::vector<std::string>& keys) override {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    for (const auto& key : keys)
      if (key[0] == '0') return std::optional<std::string>(key);
    return std::optional<std::string>();
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool waitForCheck(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return waiting_ > 0; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable int waiting_ = 0;
  bool open_ = false;
};

// Records every frame the socket is sent, for the test thread to read.
class RecordingChannel : public net::WsChannel {
 public:
  void send(std::shared_ptr<const std::string> frame) override {
    std::lock_guard lock(mu_);
    frames_.push_back(json::parse(*frame));
    cv_.notify_all();
  }
  void close(uint16_t, std::string) override {}

  // The frames of `type` once there are `count` of them (empty on timeout).
  std::vector<json> await(const std::string& type, size_t count,
                          std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mu_);
    std::vector<json> found;
    cv_.wait_for(lock, limit, [&] {
      found.clear();
      for (const auto& f : frames_)
        if (f["type"] == type) found.push_back(f);
      return found.size() >= count;
    });
    return found.size() >= count ? found : std::vector<json>{};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> frames_;
};

std::string key(char first) { return std::string(1, first) + std::string(63, 'a'); }

std::string sendFrame(const std::string& clientId, const std::string& text,
                      std::vector<std::string> images = {}) {
  json f = {{"type", "send"}, {"clientId", clientId}};
  if (images.empty()) f["text"] = text, f["kind"] = "text";
  else f["images"] = images, f["kind"] = "image";
  return f.dump();
}

class RoomSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::RoomStore::open(dir_ / "room.db", "r1", true);
    ASSERT_TRUE(store.ok());
    room_ = std::make_shared<room::Room>(
        "r1", ioc_.get_executor(), work_.get_executor(), std::move(store.value()),
        model::Room{"r1", "Room", model::Visibility::kPublic, "owner", 1, 1}, room::RoomHooks{});
    io_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    blobs_.open();
    onStrand([this] { room_->shutdown(); });
    guard_.reset();
    ioc_.stop();
    io_.join();
    work_.join();
  }

  // Runs f on the room's strand and waits for it.
  void onStrand(std::function<void()> f) {
    std::promise<void> done;
    asio::post(room_->strand(), [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  std::pair<std::shared_ptr<RoomSocket>, std::shared_ptr<RecordingChannel>> open(
      const std::string& userId) {
    room::Member member{{userId, userId, userId, std::nullopt}, model::Role::kMember, false, "t"};
    member.authorizedAt = 0;
    auto socket = std::make_shared<RoomSocket>(room_, member, "hash-" + userId, registry_, blobs_,
                                               SocketLimits{}, work_.get_executor());
    auto channel = std::make_shared<RecordingChannel>();
    onStrand([&] {
      socket->onOpen(channel);
      socket->onText(R"({"type":"hello"})");
    });
    EXPECT_EQ(channel->await("welcome", 1).size(), 1u);
    return {socket, channel};
  }

  void text(const std::shared_ptr<RoomSocket>& s, const std::string& frame) {
    asio::post(room_->strand(), [s, f = frame]() mutable { s->onText(std::move(f)); });
  }

  store::testutil::TempDir dir_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(ioc_);
  asio::thread_pool work_{1};
  std::thread io_;
  std::shared_ptr<room::Room> room_;
  ConnectionRegistry registry_;
  GatedBlobs blobs_;
};

// Checking that a message's images are stored can block (a stat, a remote
// store): it must not hold the room's strand, and the sender's next frames
// must keep their order behind it.
TEST_F(RoomSocketTest, AnImageCheckNeitherBlocksTheRoomNorReordersTheSendersFrames) {
  auto [ann, annSees] = open("ann");
  auto [bob, bobSees] = open("bob");
  text(ann, sendFrame("a1", "", {key('b')}));
  ASSERT_TRUE(blobs_.waitForCheck(5s));
  text(ann, sendFrame("a2", "after the image"));
  text(bob, sendFrame("b1", "meanwhile"));
  auto bobAcks = bobSees->await("ack", 1);
  EXPECT_EQ(bobAcks.size(), 1u) << "the room waited for ann's image check";
  EXPECT_TRUE(annSees->await("ack", 1, 200ms).empty()) << "a2 overtook the image message";

  blobs_.open();
  auto annAcks = annSees->await("ack", 2);
  ASSERT_EQ(annAcks.size(), 2u);
  EXPECT_EQ(annAcks[0]["clientId"], "a1");
  EXPECT_EQ(annAcks[1]["clientId"], "a2");
  EXPECT_LT(annAcks[0]["message"]["seq"], annAcks[1]["message"]["seq"]);
}

TEST_F(RoomSocketTest, AMessageWithAnImageNeverUploadedIsRefusedAndTheNextOneGoesOn) {
  blobs_.open();
  auto [ann, annSees] = open("ann");
  text(ann, sendFrame("a1", "", {key('b'), key('0')}));
  text(ann, sendFrame("a2", "still here"));
  auto errors = annSees->await("error", 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["code"], "not_found");
  EXPECT_EQ(errors[0]["clientId"], "a1");
  auto acks = annSees->await("ack", 1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]["clientId"], "a2");
}

}  // namespace
}  // namespace roomchat::api
