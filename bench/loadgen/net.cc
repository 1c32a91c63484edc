#include "net.h"

#include <netinet/in.h>

#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http.hpp>

namespace loadgen {

namespace http = beast::http;

namespace {
constexpr auto kHttpTimeout = std::chrono::seconds(30);
constexpr auto kConnectTimeout = std::chrono::seconds(30);
}  // namespace

// ---- IoPool

IoPool::IoPool(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (auto& c : contexts_) threads_.emplace_back([ctx = c.get()] { ctx->run(); });
}

IoPool::~IoPool() { stop(); }

void IoPool::stop() {
  guards_.clear();
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

// ---- HttpClient

nlohmann::json HttpReply::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

HttpClient::HttpClient(std::string host, uint16_t port, std::string origin)
    : ioc_(1), host_(std::move(host)), port_(port), origin_(std::move(origin)) {}

bool HttpClient::ensureConnected(std::string& error) {
  if (stream_ && stream_->socket().is_open()) return true;
  stream_ = std::make_unique<beast::tcp_stream>(ioc_);
  beast::error_code ec;
  stream_->socket().connect(tcp::endpoint(asio::ip::make_address(host_), port_), ec);
  if (ec) error = "connect: " + ec.message();
  return !ec;
}

HttpReply HttpClient::request(http::verb method, const std::string& target,
                              const std::string& body) {
  HttpReply reply;
  for (int attempt = 0; attempt < 2 && reply.status == 0; ++attempt) {
    if (!ensureConnected(reply.error)) continue;
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
    if (!origin_.empty()) req.set(http::field::origin, origin_);
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.keep_alive(true);
    req.prepare_payload();

    http::response<http::string_body> res;
    beast::error_code ec;
    stream_->expires_after(kHttpTimeout);
    http::async_write(*stream_, req, [&](beast::error_code e, size_t) {
      if ((ec = e)) return;
      http::async_read(*stream_, buffer_, res, [&](beast::error_code e2, size_t) { ec = e2; });
    });
    ioc_.restart();
    ioc_.run();
    if (ec) {  // a keep-alive connection the server closed: retry once on a new one
      reply.error = ec.message();
      stream_.reset();
      continue;
    }
    reply.status = static_cast<int>(res.result_int());
    reply.body = std::move(res.body());
    if (auto c = res.find(http::field::set_cookie); c != res.end()) {
      std::string v(c->value());
      cookie = v.substr(0, v.find(';'));
    }
    if (!res.keep_alive()) stream_.reset();
  }
  return reply;
}

// ---- WsClient (RFC 6455 client side: frames to the server are masked)

namespace {
constexpr size_t kReadChunk = 16 * 1024;
constexpr uint8_t kText = 0x1, kClose = 0x8, kPing = 0x9, kPong = 0xA;
}  // namespace

WsClient::WsClient(asio::io_context& ioc, WsTarget target)
    : stream_(ioc.get_executor()),
      target_(std::move(target)),
      maskState_(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this) >> 4) | 1) {}

void WsClient::start() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    auto& sock = self->stream_.socket();
    beast::error_code ec;
    if (self->target_.source) {
      sock.open(tcp::v4(), ec);
      int one = 1;  // choose the port at connect time: many servers per source address
      if (!ec) setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                          sizeof one);
      if (!ec) sock.bind(tcp::endpoint(*self->target_.source, 0), ec);
      if (ec) return self->finish("bind: " + ec.message());
    }
    self->stream_.expires_after(kConnectTimeout);
    self->stream_.async_connect(self->target_.server,
                                beast::bind_front_handler(&WsClient::onConnect, self));
  });
}

void WsClient::onConnect(beast::error_code ec) {
  if (ec) return finish("connect: " + ec.message());
  stream_.socket().set_option(tcp::no_delay(true), ec);
  auto req = std::make_shared<http::request<http::empty_body>>(http::verb::get, target_.path, 11);
  req->set(http::field::host, target_.host);
  req->set(http::field::upgrade, "websocket");
  req->set(http::field::connection, "Upgrade");
  req->set(http::field::sec_websocket_key, "cm9vbWNoYXQtYmVuY2gtMQ==");
  req->set(http::field::sec_websocket_version, "13");
  if (!target_.cookie.empty()) req->set(http::field::cookie, target_.cookie);
  if (!target_.origin.empty()) req->set(http::field::origin, target_.origin);
  http::async_write(stream_, *req, [self = shared_from_this(), req](beast::error_code e, size_t) {
    if (e) return self->finish("upgrade write: " + e.message());
    self->upgrade_ = std::make_unique<http::response_parser<http::string_body>>();
    http::async_read(self->stream_, self->buffer_, *self->upgrade_,
                     beast::bind_front_handler(&WsClient::onUpgraded, self));
  });
}

void WsClient::onUpgraded(beast::error_code ec, size_t) {
  if (ec) return finish("upgrade read: " + ec.message());
  const auto& res = upgrade_->get();
  if (res.result() != http::status::switching_protocols)
    return finish("upgrade refused: " + std::to_string(res.result_int()) + " " + res.body());
  upgrade_.reset();
  stream_.expires_never();
  open_ = true;
  if (onOpen) onOpen();
  const auto left = buffer_.cdata();  // frames that came with the 101
  buffer_.consume(parseFrames({static_cast<const char*>(left.data()), left.size()}));
  if (finished_) return;
  doRead();
  doWrite();
}

void WsClient::doRead() {
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&WsClient::onRead, shared_from_this()));
}

void WsClient::onRead(beast::error_code ec, size_t bytes) {
  if (ec) return finish(ec == asio::error::eof ? "eof" : "read: " + ec.message());
  buffer_.commit(bytes);
  const auto data = buffer_.cdata();
  buffer_.consume(parseFrames({static_cast<const char*>(data.data()), data.size()}));
  if (!finished_) doRead();
}

// Every complete frame in `d`; a partial one stays for the next read.
size_t WsClient::parseFrames(std::string_view d) {
  size_t at = 0;
  while (!finished_ && d.size() - at >= 2) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(d[at + i]); };
    uint64_t length = byte(1) & 0x7f;
    size_t header = 2;
    if (length == 126) {
      if (d.size() - at < 4) break;
      length = (uint64_t{byte(2)} << 8) | byte(3);
      header = 4;
    } else if (length == 127) {
      if (d.size() - at < 10) break;
      length = 0;
      for (size_t i = 0; i < 8; ++i) length = (length << 8) | byte(2 + i);
      header = 10;
    }
    const bool masked = byte(1) & 0x80;  // servers must not mask; tolerated
    const size_t maskAt = header;
    header += masked ? 4 : 0;
    if (d.size() - at < header + length) break;
    std::string_view payload = d.substr(at + header, length);
    std::string unmasked;
    if (masked) {
      unmasked.assign(payload);
      for (size_t i = 0; i < unmasked.size(); ++i) unmasked[i] ^= d[at + maskAt + (i & 3)];
      payload = unmasked;
    }
    const uint8_t opcode = byte(0) & 0x0f;
    const bool fin = byte(0) & 0x80;
    at += header + length;
    if (opcode >= kClose) {
      onControl(opcode, payload);
    } else if (fin && opcode != 0 && fragments_.empty()) {
      if (onText) onText(payload);
    } else {
      fragments_.append(payload);
      if (fin && onText) onText(fragments_);
      if (fin) fragments_.clear();
    }
  }
  return at;
}

void WsClient::onControl(uint8_t opcode, std::string_view payload) {
  if (opcode == kPing) {
    queueFrame(kPong, payload);
    doWrite();
  } else if (opcode == kClose) {
    const int code = payload.size() >= 2
                         ? (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1])
                         : 1005;
    finish("closed " + std::to_string(code));
  }
}

void WsClient::queueFrame(uint8_t opcode, std::string_view payload) {
  char header[14];
  size_t h = 0;
  const uint64_t n = payload.size();
  header[h++] = static_cast<char>(0x80 | opcode);
  if (n < 126) {
    header[h++] = static_cast<char>(0x80 | n);
  } else if (n <= 0xffff) {
    header[h++] = static_cast<char>(0x80 | 126);
    header[h++] = static_cast<char>(n >> 8);
    header[h++] = static_cast<char>(n & 0xff);
  } else {
    header[h++] = static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) header[h++] = static_cast<char>((n >> (8 * i)) & 0xff);
  }
  maskState_ ^= maskState_ << 13;  // xorshift32: masks need not be secret here
  maskState_ ^= maskState_ >> 17;
  maskState_ ^= maskState_ << 5;
  std::memcpy(header + h, &maskState_, 4);
  const char* mask = header + h;
  h += 4;
  const size_t body = outbox_.size() + h;
  outbox_.append(header, h);
  outbox_.append(payload);
  for (size_t i = 0; i < n; ++i) outbox_[body + i] ^= mask[i & 3];
}

void WsClient::send(std::string_view text) {
  if (finished_ || closeSent_) return;
  queueFrame(kText, text);
  if (open_) doWrite();
}

void WsClient::doWrite() {
  if (!writing_.empty() || outbox_.empty() || finished_) return;
  writing_.swap(outbox_);
  asio::async_write(stream_, asio::buffer(writing_),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_.clear();
                      if (ec) return self->finish("write: " + ec.message());
                      self->doWrite();
                    });
}

void WsClient::close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->finished_ || self->closeSent_) return;
    if (!self->open_) {  // still connecting: cancel, which ends in finish()
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
      return;
    }
    const char normal[2] = {0x03, static_cast<char>(0xe8)};  // 1000
    self->queueFrame(kClose, {normal, 2});
    self->closeSent_ = true;
    self->doWrite();  // the server's close frame ends the read loop
  });
}

void WsClient::finish(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  open_ = false;
  beast::error_code ignored;
  stream_.socket().close(ignored);
  if (onClosed) onClosed(why);
  onOpen = nullptr;  // break cycles through captured pointers
  onText = nullptr;
  onClosed = nullptr;
}

}  // namespace loadgen
