// WsSession runs one accepted WebSocket over a plain TCP socket with our own
// RFC 6455 framing (ws_frame.h; docs/decisions/0001-websocket-framing.md says
// why not beast::websocket). It reads whole text messages (at most
// maxFrameBytes; larger closes 1009) and hands them to its WsEndpoint one at
// a time; it answers pings and the close handshake itself.
//
// Everything runs on the endpoint's strand. Frames queued during one strand
// turn leave in one gathered write, tried at once without waiting for the
// reactor; only what the kernel does not take waits for writability. The
// outbound queue is bounded: a peer that stops reading is closed with 1008,
// and cut off if even that cannot be written. An idle socket holds no buffer
// and one pending readiness wait, not a read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/http.h"
#include "net/http_server.h"
#include "net/ws_frame.h"

namespace roomchat::net {

class WsSession : public WsChannel, public std::enable_shared_from_this<WsSession> {
 public:
  // `socket` carries an upgrade request that was already accepted.
  WsSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<WsEndpoint> endpoint,
            const ServerLimits& limits);
  ~WsSession() override;

  // Sends the 101 answer to `upgrade`, then serves the socket. `early` holds
  // bytes the client sent right after its request.
  void run(const Request& upgrade, std::string early);

  void send(std::shared_ptr<const std::string> frame) override;
  void close(uint16_t code, std::string reason) override;

 private:
  struct Outgoing {
    std::shared_ptr<const std::string> bytes;
    bool framed;  // already a whole frame (handshake, control frames)
  };

  void start(std::string handshake, std::string early);
  void waitReadable();
  void onReadable(boost::system::error_code ec);
  void consume(std::string_view bytes);
  void onEvent(ws::Event&& event);

  void enqueue(Outgoing out);
  void scheduleFlush();
  void flush();
  size_t gather(std::vector<boost::asio::const_buffer>& buffers, std::string& headers) const;
  void onWritten(boost::system::error_code ec);
  size_t queued() const { return queue_.size() - head_; }
  void pop(size_t n);

  void requestClose(uint16_t code, std::string_view reason);
  void onCloseSent();
  void armKeepAlive();
  void onKeepAlive(boost::system::error_code ec);
  void overflow();
  void finish();

  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<WsEndpoint> endpoint_;
  ws::FrameReader reader_;
  // A vector drained from `head_` rather than a deque: an idle socket holds no
  // queue memory at all (an empty std::deque still keeps a 512-byte block).
  std::vector<Outgoing> queue_;
  size_t head_ = 0;
  size_t maxQueue_;
  std::string unsent_;  // the tail of a gathered write the kernel did not take
  boost::asio::steady_timer keepAlive_;
  std::unique_ptr<boost::asio::steady_timer> closeDeadline_;  // only while closing
  std::chrono::steady_clock::duration idleTimeout_;
  bool opened_ = false;
  bool heard_ = false;      // something arrived since the last keep-alive tick
  bool pinged_ = false;     // a ping is out and unanswered
  bool flushScheduled_ = false;
  bool writing_ = false;    // unsent_ is being written
  bool closeQueued_ = false;
  bool closeSent_ = false;
  bool peerClosed_ = false;  // the peer's close frame arrived
  bool finished_ = false;
};

}  // namespace roomchat::net
