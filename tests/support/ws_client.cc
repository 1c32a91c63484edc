#include "support/ws_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace roomchat::test {

struct WsClient::Impl {
  explicit Impl(int port, std::string host) : port(port), host(std::move(host)), ws(ioc) {}
  int port;
  std::string host;
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer readBuf;
  std::string writeBuf;
  bool writePending = false;
  beast::error_code writeEc;
  bool open = false;
};

WsClient::WsClient(int port, std::string host)
    : impl_(std::make_unique<Impl>(port, std::move(host))) {}

WsClient::~WsClient() { abort(); }

std::string WsClient::roomTarget(const std::string& roomId, const std::string& tab) {
  return "/api/rooms/" + roomId + "/ws?tab=" + tab;
}

bool WsClient::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (impl_->ioc.stopped()) impl_->ioc.restart();
    size_t n = impl_->ioc.run_one_until(deadline);
    if (n == 0 && impl_->ioc.stopped() && std::chrono::steady_clock::now() < deadline) {
      return done();  // no work left: nothing can change any more
    }
  }
  return true;
}

bool WsClient::connect(const std::string& target, const std::string& cookie,
                       const std::optional<std::string>& origin,
                       std::chrono::milliseconds timeout) {
  auto& ws = impl_->ws;
  beast::error_code ec;
  bool done = false;
  tcp::endpoint ep(asio::ip::make_address(impl_->host), static_cast<unsigned short>(impl_->port));
  beast::get_lowest_layer(ws).expires_after(timeout);
  beast::get_lowest_layer(ws).async_connect(ep, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  runUntil([&] { return done; }, timeout + 1s);
  if (!done || ec) {
    transportError_ = "connect: " + (done ? ec.message() : std::string("timeout"));
    abort();  // completes the pending operation while its captures live
    return false;
  }

  ws.set_option(websocket::stream_base::decorator([cookie, origin](websocket::request_type& req) {
    req.set(http::field::user_agent, "roomchat-integration-tests");
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    if (origin) req.set(http::field::origin, *origin);
  }));
  websocket::response_type res;
  done = false;
  std::string hostHeader = impl_->host + ":" + std::to_string(impl_->port);
  beast::get_lowest_layer(ws).expires_after(timeout);
  ws.async_handshake(res, hostHeader, target, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  runUntil([&] { return done; }, timeout + 1s);
  if (!done) {
    transportError_ = "handshake: timeout";
    abort();
    return false;
  }
  upgradeStatus_ = static_cast<int>(res.result_int());
  upgradeBody_ = res.body();
  upgradeHeaders_.clear();
  for (const auto& field : res)
    upgradeHeaders_.emplace_back(std::string(field.name_string()), std::string(field.value()));
  if (ec) {
    transportError_ = "handshake: " + ec.message();
    if (upgradeStatus_ == 101) upgradeStatus_ = 0;
    return false;
  }
  beast::get_lowest_layer(ws).expires_never();
  ws.read_message_max(64 * 1024 * 1024);
  ws.auto_fragment(false);
  ws.text(true);
  impl_->open = true;
  startRead();
  return true;
}

json WsClient::upgradeJson() const {
  json j = json::parse(upgradeBody_, nullptr, false);
  if (j.is_discarded()) return nullptr;
  return j;
}

std::string WsClient::upgradeHeader(std::string_view name) const {
  for (const auto& [k, v] : upgradeHeaders_)
    if (beast::iequals(k, name)) return v;
  return "";
}

std::string WsClient::upgradeErrorCode() const {
  json j = upgradeJson();
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("code") && j["error"]["code"].is_string()) {
    return j["error"]["code"].get<std::string>();
  }
  return {};
}

void WsClient::startRead() {
  if (readPending_ || closed_ || !impl_->open) return;
  readPending_ = true;
  impl_->ws.async_read(impl_->readBuf, [this](beast::error_code ec, size_t) {
    readPending_ = false;
    if (ec) {
      closed_ = true;
      // The close frame may have been read even when the read ends with
      // another error (e.g. our own large write failing meanwhile).
      const auto& reason = impl_->ws.reason();
      if (ec == websocket::error::closed || reason.code != websocket::close_code::none) {
        closeCode_ = static_cast<int>(reason.code);
        closeReason_ = std::string(reason.reason.c_str());
      }
      if (ec != websocket::error::closed) readError_ = ec.message();
      return;
    }
    std::string text = beast::buffers_to_string(impl_->readBuf.data());
    impl_->readBuf.consume(impl_->readBuf.size());
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      j = json{{"type", "<non-json>"}, {"raw", text}};
    }
    queue_.push_back(std::move(j));
    startRead();
  });
}

bool WsClient::sendRaw(const std::string& text) {
  if (!impl_->open || closed_ || impl_->writePending) return false;
  impl_->ws.text(true);
  impl_->writeBuf = text;
  impl_->writePending = true;
  impl_->writeEc = {};
  impl_->ws.async_write(asio::buffer(impl_->writeBuf), [this](beast::error_code e, size_t) {
    impl_->writeEc = e;
    impl_->writePending = false;
  });
  if (!runUntil([&] { return !impl_->writePending; }, kDefaultTimeout)) return false;
  return !impl_->writeEc;
}

bool WsClient::sendBinary(const std::string& bytes) {
  if (!impl_->open || closed_ || impl_->writePending) return false;
  impl_->ws.binary(true);
  impl_->writeBuf = bytes;
  impl_->writePending = true;
  impl_->writeEc = {};
  impl_->ws.async_write(asio::buffer(impl_->writeBuf), [this](beast::error_code e, size_t) {
    impl_->writeEc = e;
    impl_->writePending = false;
  });
  bool ok = runUntil([&] { return !impl_->writePending; }, kDefaultTimeout);
  impl_->ws.text(true);
  return ok && !impl_->writeEc;
}

bool WsClient::send(const json& frame) { return sendRaw(frame.dump()); }

std::optional<json> WsClient::next(std::chrono::milliseconds timeout) {
  runUntil([&] { return !queue_.empty() || closed_; }, timeout);
  if (queue_.empty()) return std::nullopt;
  json j = std::move(queue_.front());
  queue_.pop_front();
  return j;
}

std::string WsClient::describeSkipped(size_t from) const {
  std::string out;
  size_t n = 0;
  for (size_t i = from; i < skipped_.size(); ++i) {
    std::string s = skipped_[i].dump();
    if (s.size() > 300) s = s.substr(0, 300) + "...";
    out += "\n    " + s;
    if (++n >= 30) {
      out += "\n    ... (" + std::to_string(skipped_.size() - i - 1) + " more)";
      break;
    }
  }
  return out.empty() ? " (none)" : out;
}

json WsClient::expectWhere(const std::string& type, const Predicate& pred,
                           std::chrono::milliseconds timeout, const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t firstSkipped = skipped_.size();
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = 0ms;
    auto f = next(left);
    if (!f) break;
    if ((type.empty() || f->value("type", "") == type) && (!pred || pred(*f))) return *f;
    skipped_.push_back(std::move(*f));
  }
  std::string state = closed_ ? ("socket closed, code " +
                                 (closeCode_ ? std::to_string(*closeCode_) : std::string("none")) +
                                 (readError_.empty() ? "" : " (" + readError_ + ")"))
                              : "timed out after " + std::to_string(timeout.count()) + " ms";
  ADD_FAILURE() << "expected a '" << type << "' frame" << (what.empty() ? "" : " " + what)
                << ": " << state << "; frames skipped meanwhile:" << describeSkipped(firstSkipped);
  return nullptr;
}

json WsClient::expect(const std::string& type, std::chrono::milliseconds timeout) {
  return expectWhere(type, nullptr, timeout);
}

std::vector<json> WsClient::collectUntil(const std::string& type,
                                         std::chrono::milliseconds timeout) {
  std::vector<json> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = 0ms;
    auto f = next(left);
    if (!f) {
      ADD_FAILURE() << "expected a '" << type << "' frame: "
                    << (closed_ ? "socket closed" : "timed out") << " after " << out.size()
                    << " other frames";
      return out;
    }
    bool last = f->value("type", "") == type;
    out.push_back(std::move(*f));
    if (last) return out;
  }
}

std::vector<json> WsClient::drain(std::chrono::milliseconds window) {
  std::vector<json> out;
  auto deadline = std::chrono::steady_clock::now() + window;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto f = next(left);
    if (!f) {
      if (closed_) break;
      continue;
    }
    out.push_back(std::move(*f));
  }
  while (!queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

std::vector<json> WsClient::roundTrip(std::chrono::milliseconds timeout) {
  send(json{{"type", "ping"}});
  auto frames = collectUntil("pong", timeout);
  if (!frames.empty() && frames.back().value("type", "") == "pong") frames.pop_back();
  return frames;
}

std::optional<int> WsClient::waitClose(std::chrono::milliseconds timeout) {
  runUntil(
      [&] {
        while (!queue_.empty()) {
          skipped_.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        return closed_;
      },
      timeout);
  while (!queue_.empty()) {
    skipped_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return closed_ ? closeCode_ : std::nullopt;
}

void WsClient::close(std::chrono::milliseconds timeout) {
  if (!impl_->open || closed_) return;
  bool done = false;
  impl_->ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  runUntil([&] { return done; }, timeout);
  runUntil([&] { return closed_ || !readPending_; }, timeout);
  abort();
}

void WsClient::abort() {
  if (!impl_) return;
  beast::error_code ec;
  auto& sock = beast::get_lowest_layer(impl_->ws).socket();
  if (sock.is_open()) {
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }
  // Let the aborted operations finish while `this` is alive.
  impl_->ioc.restart();
  impl_->ioc.run_for(200ms);
  impl_->open = false;
  if (!closed_) closed_ = true;
}

}  // namespace roomchat::test
