// The load generator's network side, all on 127.0.0.0/8:
// - IoPool: one io_context per thread; a client lives on one of them, so its
//   handlers never run concurrently and per-thread statistics need no locks.
// - HttpClient: a small synchronous HTTP/1.1 client (keep-alive, a cookie,
//   an Origin header, a timeout on every request). One per thread.
// - WsClient: one asynchronous WebSocket (RFC 6455 framing done here),
//   optionally bound to a source address, with callbacks for open/text/close.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

namespace loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();  // stops and joins
  int size() const { return static_cast<int>(contexts_.size()); }
  asio::io_context& at(int i) { return *contexts_[i % contexts_.size()]; }
  void stop();

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

struct HttpReply {
  int status = 0;       // 0: transport failure (see error)
  std::string body;
  std::string error;
  nlohmann::json json() const;  // null when not JSON
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port, std::string origin);
  HttpReply get(const std::string& target) { return request(beast::http::verb::get, target, ""); }
  HttpReply post(const std::string& target, const std::string& body) {
    return request(beast::http::verb::post, target, body);
  }
  HttpReply request(beast::http::verb method, const std::string& target, const std::string& body);

  std::string cookie;  // "name=value" from the last Set-Cookie, sent back on every request
  std::string bearer;  // sent as "Authorization: Bearer <bearer>" when set (/metrics)

 private:
  bool ensureConnected(std::string& error);

  asio::io_context ioc_;
  std::string host_;
  uint16_t port_;
  std::string origin_;
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

struct WsTarget {
  tcp::endpoint server;
  std::optional<asio::ip::address> source;  // bind to this local address first
  std::string host;                         // Host header, "127.0.0.1:port"
  std::string path;                         // "/api/rooms/<id>/ws?tab=t1"
  std::string cookie;                       // may be empty
  std::string origin;                       // may be empty
};

// The WebSocket framing is done here rather than by beast::websocket: the
// load generator shares the machine's cores with the server, so a delivery
// must cost it far less than it costs the server. One read takes every frame
// the kernel has (up to kReadChunk), and queued frames leave in one write.
class WsClient : public std::enable_shared_from_this<WsClient> {
 public:
  WsClient(asio::io_context& ioc, WsTarget target);

  std::function<void()> onOpen;
  std::function<void(std::string_view)> onText;
  std::function<void(const std::string& why)> onClosed;  // once, for any end

  void start();                  // connect, upgrade, then read until closed
  // REQUIRES: on this client's io_context thread. Queued until the upgrade.
  void send(std::string_view text);
  void close();                  // close frame 1000; the socket ends when the server answers
  bool open() const { return open_; }

 private:
  void onConnect(beast::error_code ec);
  void onUpgraded(beast::error_code ec, size_t);
  void doRead();
  void onRead(beast::error_code ec, size_t bytes);
  size_t parseFrames(std::string_view data);  // returns the bytes consumed
  void onControl(uint8_t opcode, std::string_view payload);
  void queueFrame(uint8_t opcode, std::string_view payload);
  void doWrite();
  void finish(const std::string& why);

  beast::tcp_stream stream_;
  WsTarget target_;
  beast::flat_buffer buffer_;
  std::unique_ptr<beast::http::response_parser<beast::http::string_body>> upgrade_;
  std::string fragments_;  // a fragmented message being assembled (servers here never do)
  std::string outbox_;     // encoded frames waiting for the write in flight
  std::string writing_;    // the bytes of the write in flight
  uint32_t maskState_;
  bool open_ = false;
  bool closeSent_ = false;
  bool finished_ = false;
};

}  // namespace loadgen
