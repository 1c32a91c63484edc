// WsSession runs one accepted WebSocket: it reads complete text frames (at
// most maxFrameBytes; larger closes 1009) and hands them to its WsEndpoint one
// at a time, and writes queued frames with one write in flight. The outbound
// queue is bounded: a peer that stops reading is closed with 1008 instead of
// growing memory or stalling its senders. Everything runs on the socket's strand.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/http.h"
#include "net/http_server.h"

namespace roomchat::net {

class WsSession : public WsChannel, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<WsEndpoint> endpoint,
            const ServerLimits& limits);
  ~WsSession() override;

  // Completes the handshake for `upgrade` (the request already read).
  void run(Request&& upgrade);

  void send(std::shared_ptr<const std::string> frame) override;
  void close(uint16_t code, std::string reason) override;

 private:
  void onAccept(boost::beast::error_code ec);
  void doRead();
  void onRead(boost::beast::error_code ec, size_t bytes);
  void enqueue(std::shared_ptr<const std::string> frame);
  size_t queued() const { return queue_.size() - head_; }
  void doWrite();
  void onWrite(boost::beast::error_code ec, size_t bytes);
  void requestClose(uint16_t code, std::string reason);
  void doClose();
  void overflow();
  void finish();

  // A plain socket, not a beast::tcp_stream: the websocket has its own
  // timeouts, and each connection saves the stream's timers (~0.5 KiB).
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<WsEndpoint> endpoint_;
  Request upgrade_;
  // A vector drained from `head_` rather than a deque: an idle socket holds no
  // queue memory at all (an empty std::deque still keeps a 512-byte block).
  std::vector<std::shared_ptr<const std::string>> queue_;
  size_t head_ = 0;
  size_t maxQueue_;
  std::unique_ptr<boost::asio::steady_timer> killTimer_;  // only while a close is stuck
  uint16_t closeCode_ = 1000;
  std::string closeReason_;
  bool opened_ = false;
  bool writing_ = false;
  bool closeRequested_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace roomchat::net
