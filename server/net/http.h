// The seam between the network layer and the application. net/ owns sockets,
// HTTP/1.1 parsing, WebSocket framing, timeouts and back-pressure; it knows
// nothing about chat. The application implements HttpHandler (requests and
// upgrade decisions) and WsEndpoint (one WebSocket's events), and talks back
// through WsChannel.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http.hpp>

namespace roomchat::net {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using RequestHeader = http::request_header<>;
using Response = http::response<http::string_body>;
using Reply = http::message_generator;

using Strand = boost::asio::strand<boost::asio::any_io_executor>;

struct Peer {
  std::string ip;
};

// The application's side of one WebSocket, as seen by net/.
class WsChannel {
 public:
  virtual ~WsChannel() = default;
  // Queues a text frame. Frames are shared and immutable, so a broadcast
  // serializes once. A peer whose queue passes the bound is closed with 1008
  // and later frames are dropped. Safe from any thread; on the endpoint's
  // strand it is a plain enqueue, and every frame queued in one strand turn
  // goes out in one write.
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // Closes after the frames already queued. Safe from any thread; idempotent.
  virtual void close(uint16_t code, std::string reason) = 0;
};

class WsEndpoint {
 public:
  virtual ~WsEndpoint() = default;
  // The strand every callback below runs on and the socket's I/O completes
  // on. A room's sockets share the room's strand, so the room writes to them
  // directly and one room never waits on another.
  virtual Strand strand() const = 0;
  // The handshake succeeded. Called once, before any onText.
  virtual void onOpen(std::shared_ptr<WsChannel> channel) = 0;
  // One complete text message; the next is not read until this returns.
  virtual void onText(std::string&& text) = 0;
  // One complete binary message, under the same rules.
  virtual void onBinary(std::string&& bytes) = 0;
  // The socket is gone (closed by either side or failed). Called exactly once,
  // also when the handshake failed (then without onOpen).
  virtual void onClose() = 0;
};

// Answer to an upgrade request: a refusal (plain HTTP) or the endpoint that
// will own the accepted socket.
using UpgradeDecision = std::variant<Reply, std::shared_ptr<WsEndpoint>>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // The largest body accepted for this request (413 beyond it).
  virtual size_t bodyLimit(const RequestHeader& header) const = 0;
  // A refusal decided from the header alone (a bad upload signature), sent
  // without reading the body, which is why the connection closes after it.
  virtual std::optional<Response> screen(const RequestHeader&) { return std::nullopt; }
  // Answers a request by calling `reply` exactly once, from any thread.
  virtual void handle(Request&& request, const Peer& peer, std::function<void(Reply)> reply) = 0;
  // Decides a WebSocket upgrade by calling `decide` exactly once, from any thread.
  virtual void upgrade(const Request& request, const Peer& peer,
                       std::function<void(UpgradeDecision)> decide) = 0;
};

}  // namespace roomchat::net
