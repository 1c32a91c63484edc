#include "net/ws_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "base/metrics.h"

namespace roomchat::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;

namespace {
// How long a close may wait for a stuck write before the TCP socket is shut.
constexpr auto kStuckCloseDeadline = std::chrono::seconds(5);
}  // namespace

WsSession::WsSession(asio::ip::tcp::socket&& socket, std::shared_ptr<WsEndpoint> endpoint,
                     const ServerLimits& limits)
    : ws_(std::move(socket)), endpoint_(std::move(endpoint)), maxQueue_(limits.wsOutboundFrames) {
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = limits.wsHandshakeTimeout;
  timeouts.idle_timeout = limits.wsIdleTimeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(limits.wsMaxFrameBytes);
  ws_.auto_fragment(false);
}

WsSession::~WsSession() = default;

void WsSession::run(Request&& upgrade) {
  upgrade_ = std::move(upgrade);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "roomchat");
  }));
  ws_.async_accept(upgrade_, beast::bind_front_handler(&WsSession::onAccept, shared_from_this()));
}

void WsSession::onAccept(beast::error_code ec) {
  upgrade_ = {};
  if (ec) return finish();
  opened_ = true;
  metrics().connections.add(1);
  endpoint_->onOpen(shared_from_this());
  doRead();
}

void WsSession::doRead() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::onRead, shared_from_this()));
}

void WsSession::onRead(beast::error_code ec, size_t bytes) {
  if (ec) return finish();  // closed, failed, or too big (Beast answered 1009)
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(bytes);
  buffer_.shrink_to_fit();  // idle sockets keep no read buffer
  endpoint_->onText(std::move(text));
  if (!finished_) doRead();
}

void WsSession::send(std::shared_ptr<const std::string> frame) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->enqueue(std::move(f));
  });
}

void WsSession::enqueue(std::shared_ptr<const std::string> frame) {
  if (closeRequested_ || finished_) return;
  if (queued() >= maxQueue_) return overflow();
  queue_.push_back(std::move(frame));
  if (!writing_) doWrite();
}

void WsSession::doWrite() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_[head_]),
                  beast::bind_front_handler(&WsSession::onWrite, shared_from_this()));
}

void WsSession::onWrite(beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) return finish();
  queue_[head_++].reset();
  if (queued() > 0) {
    if (head_ >= 64 && head_ * 2 >= queue_.size()) {  // amortized compaction
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return doWrite();
  }
  std::vector<std::shared_ptr<const std::string>>().swap(queue_);
  head_ = 0;
  if (closeRequested_) doClose();
}

void WsSession::close(uint16_t code, std::string reason) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
    self->requestClose(code, std::move(r));
  });
}

void WsSession::requestClose(uint16_t code, std::string reason) {
  if (closeRequested_ || finished_) return;
  closeRequested_ = true;
  closeCode_ = code;
  closeReason_ = std::move(reason);
  if (!writing_) doClose();
}

void WsSession::doClose() {
  if (closing_ || finished_) return;
  closing_ = true;
  websocket::close_reason reason;
  reason.code = closeCode_;
  reason.reason = closeReason_;
  ws_.async_close(reason,
                  [self = shared_from_this()](beast::error_code) { self->finish(); });
}

// The peer stopped reading: drop what it has not taken, close with 1008, and
// if even the frame being written never drains, cut the TCP connection.
void WsSession::overflow() {
  metrics().slowConsumersClosed.inc();
  queue_.resize(head_ + (writing_ ? 1u : 0u));
  requestClose(1008, "outbound queue overflow");
  if (!writing_) return;
  killTimer_ = std::make_unique<asio::steady_timer>(ws_.get_executor(), kStuckCloseDeadline);
  killTimer_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->finished_) return;
    beast::error_code ignored;
    self->ws_.next_layer().close(ignored);
  });
}

void WsSession::finish() {
  if (finished_) return;
  finished_ = true;
  std::vector<std::shared_ptr<const std::string>>().swap(queue_);
  head_ = 0;
  if (killTimer_) killTimer_->cancel();
  beast::error_code ignored;
  ws_.next_layer().close(ignored);
  if (opened_) metrics().connections.add(-1);
  endpoint_->onClose();
}

}  // namespace roomchat::net
