// HttpServer on real loopback sockets with a handler the test controls.
#include "net/http_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace roomchat::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// An endpoint that only records how it ended.
class RecordingEndpoint : public WsEndpoint {
 public:
  explicit RecordingEndpoint(Strand strand) : strand_(std::move(strand)) {}
  Strand strand() const override { return strand_; }
  void onOpen(std::shared_ptr<WsChannel>) override { opened = true; }
  void onText(std::string&&) override {}
  void onBinary(std::string&&) override {}
  void onClose() override {
    closedOnStrand = strand_.running_in_this_thread();
    closed.set_value();
  }

  Strand strand_;
  std::atomic<bool> opened{false};
  bool closedOnStrand = false;
  std::promise<void> closed;
};

// Keeps every upgrade's `decide` for the test to call when it likes.
class SlowHandler : public HttpHandler {
 public:
  size_t bodyLimit(const RequestHeader&) const override { return 1024; }
  void handle(Request&&, const Peer&, std::function<void(Reply)>) override {}
  void upgrade(const Request&, const Peer&, std::function<void(UpgradeDecision)> decide) override {
    pending.set_value(std::move(decide));
  }
  std::promise<std::function<void(UpgradeDecision)>> pending;
};

// The authorization of an upgrade runs on the application's threads; a
// decision that does not come within the handshake timeout is answered 503,
// and the endpoint it brings later is closed without opening (its onClose
// releases what it reserved, e.g. the user's connection slot).
TEST(HttpServer, AnUpgradeNotDecidedInTimeIs503AndTheLateEndpointIsClosed) {
  IoShards shards(1);
  SlowHandler handler;
  ServerLimits limits;
  limits.wsHandshakeTimeout = 1s;
  HttpServer server(shards, handler, limits);
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  std::thread io([&] { shards.run(); });

  asio::io_context client;
  tcp::socket socket(client);
  socket.connect({asio::ip::make_address("127.0.0.1"), *port});
  asio::write(socket, asio::buffer(std::string(
                          "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")));
  auto decide = handler.pending.get_future().get();
  const auto asked = std::chrono::steady_clock::now();
  asio::streambuf answer;
  asio::read_until(socket, answer, "\r\n\r\n");
  const auto waited = std::chrono::steady_clock::now() - asked;
  std::string head(asio::buffers_begin(answer.data()), asio::buffers_end(answer.data()));
  EXPECT_EQ(head.rfind("HTTP/1.1 503", 0), 0u) << head;
  EXPECT_LT(waited, 5s);

  auto endpoint = std::make_shared<RecordingEndpoint>(asio::make_strand(shards.at(0)));
  decide(endpoint);  // too late
  ASSERT_EQ(endpoint->closed.get_future().wait_for(5s), std::future_status::ready)
      << "the late endpoint was never closed";
  EXPECT_FALSE(endpoint->opened);
  EXPECT_TRUE(endpoint->closedOnStrand);

  shards.stop();
  io.join();
}

}  // namespace
}  // namespace roomchat::net
