#include "net/ws_session.h"

#include <array>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "base/metrics.h"

namespace roomchat::net {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

// How long a close may wait for the peer (a stuck write, or its close frame)
// before the TCP connection is cut.
constexpr auto kCloseDeadline = std::chrono::seconds(5);
// One gathered write: asio passes at most 64 iovecs to sendmsg, two per frame.
constexpr size_t kBatchFrames = 32;
constexpr size_t kBatchBytes = 256 * 1024;
// Reads per strand turn before other work on the strand gets its turn.
constexpr int kReadRounds = 4;
constexpr size_t kReadChunk = 64 * 1024;

// The socket moves from the HTTP session's executor to the endpoint's strand,
// so its completions run there without a hop.
tcp::socket rebind(tcp::socket&& from, const Strand& strand) {
  tcp::socket to(strand);
  error_code ec;
  auto local = from.local_endpoint(ec);
  if (ec) return to;
  auto fd = from.release(ec);
  if (!ec) to.assign(local.protocol(), fd, ec);
  if (!ec) to.non_blocking(true, ec);
  if (ec) to.close(ec);
  return to;
}

std::string handshakeResponse(const Request& upgrade) {
  return "HTTP/1.1 101 Switching Protocols\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         ws::acceptKey(upgrade[http::field::sec_websocket_key]) +
         "\r\n"
         "Server: roomchat\r\n\r\n";
}

std::shared_ptr<const std::string> controlFrame(ws::Opcode opcode, std::string_view payload) {
  char header[ws::kMaxHeaderBytes];
  std::string frame(header, ws::writeHeader(opcode, payload.size(), header));
  frame += payload;
  return std::make_shared<const std::string>(std::move(frame));
}

}  // namespace

WsSession::WsSession(tcp::socket&& socket, std::shared_ptr<WsEndpoint> endpoint,
                     const ServerLimits& limits)
    : strand_(endpoint->strand()),
      socket_(rebind(std::move(socket), strand_)),
      endpoint_(std::move(endpoint)),
      reader_(limits.wsMaxFrameBytes),
      maxQueue_(limits.wsOutboundFrames),
      keepAlive_(strand_),
      idleTimeout_(limits.wsIdleTimeout) {}

WsSession::~WsSession() = default;

void WsSession::run(const Request& upgrade, std::string early) {
  asio::post(strand_, [self = shared_from_this(), h = handshakeResponse(upgrade),
                       e = std::move(early)]() mutable { self->start(std::move(h), std::move(e)); });
}

void WsSession::start(std::string handshake, std::string early) {
  if (!socket_.is_open()) return finish();
  opened_ = true;
  metrics().connections.add(1);
  enqueue({std::make_shared<const std::string>(std::move(handshake)), true});
  endpoint_->onOpen(shared_from_this());
  armKeepAlive();
  if (!early.empty()) consume(early);
  if (!finished_) waitReadable();
}

// ---- reading -----------------------------------------------------------

void WsSession::waitReadable() {
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](error_code ec) { self->onReadable(ec); });
}

void WsSession::onReadable(error_code ec) {
  if (finished_) return;
  if (ec) return finish();
  static thread_local std::array<char, kReadChunk> chunk;
  for (int round = 0; round < kReadRounds; ++round) {
    size_t n = socket_.read_some(asio::buffer(chunk), ec);
    if (ec == asio::error::would_block) return waitReadable();
    if (ec) return finish();  // EOF or reset: while closing, the expected end
    heard_ = true;
    consume({chunk.data(), n});
    if (finished_) return;
  }
  // Still more to read: let the strand's other work (the room) run first.
  asio::post(strand_, [self = shared_from_this()] { self->onReadable({}); });
}

void WsSession::consume(std::string_view bytes) {
  while (!finished_) {
    auto event = reader_.next(bytes);
    if (!event) break;
    onEvent(std::move(*event));
  }
  reader_.shrink();
}

void WsSession::onEvent(ws::Event&& event) {
  using Kind = ws::Event::Kind;
  switch (event.kind) {
    case Kind::kText:
      if (!closeQueued_) endpoint_->onText(std::move(event.payload));
      break;
    case Kind::kBinary:
      if (!closeQueued_) endpoint_->onBinary(std::move(event.payload));
      break;
    case Kind::kPing:
      enqueue({controlFrame(ws::Opcode::kPong, event.payload), true});
      break;
    case Kind::kPong:
      pinged_ = false;
      break;
    case Kind::kClose:
      peerClosed_ = true;
      if (closeSent_) return finish();  // both close frames seen: the server cuts TCP first
      if (!closeQueued_) queue_.resize(head_);  // what the peer will not read any more
      requestClose(event.code, "");             // echo its code
      break;
    case Kind::kFail:
      requestClose(event.code, event.payload);
      break;
  }
}

// ---- writing -----------------------------------------------------------

void WsSession::send(std::shared_ptr<const std::string> frame) {
  if (strand_.running_in_this_thread()) return enqueue({std::move(frame), false});
  asio::post(strand_, [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->enqueue({std::move(f), false});
  });
}

void WsSession::enqueue(Outgoing out) {
  if (closeQueued_ || finished_) return;
  if (queued() >= maxQueue_) return overflow();
  queue_.push_back(std::move(out));
  scheduleFlush();
}

// Writing waits for the end of the strand turn, so that a room broadcasting a
// batch of messages costs each socket one write, not one per message.
void WsSession::scheduleFlush() {
  if (flushScheduled_ || writing_) return;
  flushScheduled_ = true;
  asio::post(strand_, [self = shared_from_this()] {
    self->flushScheduled_ = false;
    self->flush();
  });
}

void WsSession::flush() {
  static thread_local std::vector<asio::const_buffer> buffers;
  static thread_local std::string headers;
  while (!writing_ && !finished_ && queued() > 0) {
    const size_t count = gather(buffers, headers);
    const size_t total = asio::buffer_size(buffers);
    error_code ec;
    size_t written = socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block) written = 0, ec = {};
    if (ec) return finish();
    if (written < total) {  // the kernel is full: keep the rest, wait for room
      unsent_.reserve(total - written);
      for (const auto& b : buffers) {
        const size_t skip = std::min(written, b.size());
        written -= skip;
        unsent_.append(static_cast<const char*>(b.data()) + skip, b.size() - skip);
      }
      writing_ = true;
      asio::async_write(socket_, asio::buffer(unsent_),
                        [self = shared_from_this()](error_code e, size_t) { self->onWritten(e); });
    }
    pop(count);
  }
  if (writing_ || finished_) return;
  std::vector<Outgoing>().swap(queue_);  // idle sockets keep no queue memory
  head_ = 0;
  if (closeQueued_ && !closeSent_) onCloseSent();
}

// Collects the next frames (headers and shared payloads) into `buffers`;
// answers how many queue entries they cover.
size_t WsSession::gather(std::vector<asio::const_buffer>& buffers, std::string& headers) const {
  buffers.clear();
  headers.resize(kBatchFrames * ws::kMaxHeaderBytes);  // sized once: buffers point into it
  size_t count = 0, bytes = 0;
  while (count < kBatchFrames && head_ + count < queue_.size() && (count == 0 || bytes < kBatchBytes)) {
    const Outgoing& out = queue_[head_ + count];
    if (!out.framed) {
      char* header = headers.data() + count * ws::kMaxHeaderBytes;
      const size_t n = ws::writeHeader(ws::Opcode::kText, out.bytes->size(), header);
      buffers.emplace_back(header, n);
      bytes += n;
    }
    buffers.emplace_back(out.bytes->data(), out.bytes->size());
    bytes += out.bytes->size();
    ++count;
  }
  return count;
}

void WsSession::onWritten(error_code ec) {
  writing_ = false;
  if (finished_) return;
  if (ec) return finish();
  std::string().swap(unsent_);
  flush();
}

void WsSession::pop(size_t n) {
  for (size_t i = 0; i < n; ++i) queue_[head_ + i].bytes.reset();
  head_ += n;
  if (head_ >= 64 && head_ * 2 >= queue_.size()) {  // amortized compaction
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

// ---- closing -----------------------------------------------------------

void WsSession::close(uint16_t code, std::string reason) {
  if (strand_.running_in_this_thread()) return requestClose(code, reason);
  asio::post(strand_, [self = shared_from_this(), code, r = std::move(reason)] {
    self->requestClose(code, r);
  });
}

// Queues the close frame behind what is already queued; nothing is queued
// after it. The peer then has kCloseDeadline to take it and answer.
void WsSession::requestClose(uint16_t code, std::string_view reason) {
  if (closeQueued_ || finished_) return;
  queue_.push_back({std::make_shared<const std::string>(ws::closeFrame(code, reason)), true});
  closeQueued_ = true;
  scheduleFlush();
  closeDeadline_ = std::make_unique<asio::steady_timer>(strand_, kCloseDeadline);
  closeDeadline_->async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->finish();
  });
}

// Our close frame is out. If the peer's close came first we are done;
// otherwise its answer (or EOF) ends the session, or the deadline does.
// Lingering matters after a protocol failure too: closing at once while the
// peer is still sending would reset the connection and could destroy our
// close frame before the peer reads it.
void WsSession::onCloseSent() {
  closeSent_ = true;
  if (peerClosed_) return finish();
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

// The peer stopped reading: drop what it has not taken and close with 1008;
// if even that cannot be written, the close deadline cuts the connection.
void WsSession::overflow() {
  metrics().slowConsumersClosed.inc();
  queue_.resize(head_);
  requestClose(1008, "outbound queue overflow");
}

// Keep-alive: every half idle-timeout, a silent peer gets a ping; a peer
// silent for a whole timeout is cut.
void WsSession::armKeepAlive() {
  keepAlive_.expires_after(idleTimeout_ / 2);
  keepAlive_.async_wait([self = shared_from_this()](error_code ec) { self->onKeepAlive(ec); });
}

void WsSession::onKeepAlive(error_code ec) {
  if (ec || finished_) return;
  if (heard_) {
    heard_ = false;
    pinged_ = false;
  } else if (!pinged_) {
    static const auto ping = controlFrame(ws::Opcode::kPing, "");
    pinged_ = true;
    enqueue({ping, true});
  } else {
    return finish();
  }
  armKeepAlive();
}

void WsSession::finish() {
  if (finished_) return;
  finished_ = true;
  std::vector<Outgoing>().swap(queue_);
  head_ = 0;
  error_code ignored;
  keepAlive_.cancel();
  if (closeDeadline_) closeDeadline_->cancel();
  socket_.close(ignored);
  if (opened_) metrics().connections.add(-1);
  auto endpoint = std::move(endpoint_);  // the endpoint may hold this session: break the cycle
  endpoint->onClose();
}

}  // namespace roomchat::net
