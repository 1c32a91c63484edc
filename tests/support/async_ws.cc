#include "support/async_ws.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <deque>
#include <future>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
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

struct AsyncWs::Impl {
  Impl(asio::io_context& ioc, Options o, Handlers h)
      : ioc(ioc), options(std::move(o)), handlers(std::move(h)), ws(ioc) {}
  asio::io_context& ioc;
  Options options;
  Handlers handlers;
  websocket::stream<beast::tcp_stream> ws;
  websocket::response_type response;
  beast::flat_buffer readBuf;
  std::deque<std::string> outbox;
  bool writing = false;
  bool open = false;
  bool closing = false;
  bool ended = false;
};

std::shared_ptr<AsyncWs> AsyncWs::create(asio::io_context& ioc, Options options,
                                         Handlers handlers) {
  return std::shared_ptr<AsyncWs>(new AsyncWs(ioc, std::move(options), std::move(handlers)));
}

AsyncWs::AsyncWs(asio::io_context& ioc, Options options, Handlers handlers)
    : impl_(std::make_unique<Impl>(ioc, std::move(options), std::move(handlers))) {}

AsyncWs::~AsyncWs() = default;

namespace {

// Ends the socket once: closes TCP and tells the owner. Safe to call twice.
void finish(const std::shared_ptr<AsyncWs>& self, AsyncWs::Handlers& handlers, bool& ended,
            std::optional<int> code, const std::string& error) {
  if (ended) return;
  ended = true;
  if (handlers.onClose) handlers.onClose(code, error);
  // Drop the callbacks: they may hold the owner's state alive.
  handlers = {};
  (void)self;
}

}  // namespace

void AsyncWs::start() {
  auto self = shared_from_this();
  asio::post(impl_->ioc, [self] {
    Impl& d = *self->impl_;
    beast::error_code ec;
    auto& sock = beast::get_lowest_layer(d.ws).socket();
    sock.open(tcp::v4(), ec);
    if (!ec && !d.options.sourceAddress.empty()) {
      // Let connect() pick the port for the (source, destination) pair, so
      // each source address has its own ephemeral port range.
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sock.bind(tcp::endpoint(asio::ip::make_address(d.options.sourceAddress, ec), 0), ec);
    }
    if (ec) {
      if (d.handlers.onOpen) d.handlers.onOpen(0, "socket: " + ec.message());
      return finish(self, d.handlers, d.ended, std::nullopt, ec.message());
    }
    tcp::endpoint ep(asio::ip::make_address(d.options.host),
                     static_cast<unsigned short>(d.options.port));
    beast::get_lowest_layer(d.ws).expires_after(d.options.timeout);
    beast::get_lowest_layer(d.ws).async_connect(ep, [self](beast::error_code ec) {
      Impl& d = *self->impl_;
      if (ec) {
        if (d.handlers.onOpen) d.handlers.onOpen(0, "connect: " + ec.message());
        return finish(self, d.handlers, d.ended, std::nullopt, ec.message());
      }
      std::string cookie = d.options.cookie;
      auto origin = d.options.origin;
      d.ws.set_option(
          websocket::stream_base::decorator([cookie, origin](websocket::request_type& req) {
            req.set(http::field::user_agent, "roomchat-integration-tests-async");
            if (!cookie.empty()) req.set(http::field::cookie, cookie);
            if (origin) req.set(http::field::origin, *origin);
          }));
      std::string host = d.options.host + ":" + std::to_string(d.options.port);
      d.ws.async_handshake(d.response, host, d.options.target, [self](beast::error_code ec) {
        Impl& d = *self->impl_;
        int status = static_cast<int>(d.response.result_int());
        if (ec) {
          // Only a complete answer that is not 101 is a refusal; a connection
          // that breaks mid-handshake (the server killed) is a transport error.
          if (status == 101 || ec != websocket::error::upgrade_declined) status = 0;
          if (d.handlers.onOpen) d.handlers.onOpen(status, "upgrade: " + ec.message() + " " + d.response.body());
          beast::error_code ignored;
          beast::get_lowest_layer(d.ws).socket().close(ignored);
          return finish(self, d.handlers, d.ended, std::nullopt, ec.message());
        }
        beast::get_lowest_layer(d.ws).expires_never();
        d.ws.read_message_max(64 * 1024 * 1024);
        d.ws.auto_fragment(false);
        d.ws.text(true);
        d.open = true;
        if (d.handlers.onOpen) d.handlers.onOpen(101, "");
        struct Loop {
          static void read(const std::shared_ptr<AsyncWs>& self) {
            Impl& d = *self->impl_;
            d.ws.async_read(d.readBuf, [self](beast::error_code ec, size_t) {
              Impl& d = *self->impl_;
              if (ec) {
                std::optional<int> code;
                const auto& reason = d.ws.reason();
                if (ec == websocket::error::closed || reason.code != websocket::close_code::none)
                  code = static_cast<int>(reason.code);
                d.open = false;
                beast::error_code ignored;
                beast::get_lowest_layer(d.ws).socket().close(ignored);
                return finish(self, d.handlers, d.ended, code,
                              ec == websocket::error::closed ? "" : ec.message());
              }
              std::string text = beast::buffers_to_string(d.readBuf.data());
              d.readBuf.consume(d.readBuf.size());
              json j = json::parse(text, nullptr, false);
              if (j.is_discarded() || !j.is_object()) j = json{{"type", "<non-json>"}, {"raw", text}};
              if (d.handlers.onFrame && !d.ended) d.handlers.onFrame(std::move(j));
              if (!d.ended) read(self);
            });
          }
        };
        Loop::read(self);
        self->send(std::string());  // flushes anything queued before the upgrade
      });
    });
  });
}

void AsyncWs::send(std::string text) {
  auto self = shared_from_this();
  asio::post(impl_->ioc, [self, t = std::move(text)]() mutable {
    Impl& d = *self->impl_;
    if (!t.empty()) d.outbox.push_back(std::move(t));
    if (!d.open || d.writing || d.closing || d.ended || d.outbox.empty()) return;
    struct Writer {
      static void next(const std::shared_ptr<AsyncWs>& self) {
        Impl& d = *self->impl_;
        if (d.outbox.empty() || !d.open || d.closing || d.ended) {
          d.writing = false;
          return;
        }
        d.writing = true;
        d.ws.async_write(asio::buffer(d.outbox.front()), [self](beast::error_code ec, size_t) {
          Impl& d = *self->impl_;
          d.writing = false;
          if (ec) return;  // the read side reports the end
          d.outbox.pop_front();
          next(self);
        });
      }
    };
    Writer::next(self);
  });
}

void AsyncWs::close() {
  auto self = shared_from_this();
  asio::post(impl_->ioc, [self] {
    Impl& d = *self->impl_;
    if (!d.open || d.closing || d.ended) return;
    d.closing = true;
    d.ws.async_close(websocket::close_code::normal, [self](beast::error_code) {
      // The pending read ends with `closed` and calls finish().
    });
  });
}

void AsyncWs::abort() {
  auto self = shared_from_this();
  asio::post(impl_->ioc, [self] {
    Impl& d = *self->impl_;
    beast::error_code ignored;
    auto& sock = beast::get_lowest_layer(d.ws).socket();
    if (sock.is_open()) {
      sock.shutdown(tcp::socket::shutdown_both, ignored);
      sock.close(ignored);
    }
    d.open = false;
    // The pending connect, handshake or read completes with an error and
    // calls finish().
  });
}

struct IoThread::Impl {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  std::vector<std::thread> threads;
};

IoThread::IoThread(int threads) : impl_(std::make_unique<Impl>()) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
}

IoThread::~IoThread() { stop(); }

asio::io_context& IoThread::context() { return impl_->ioc; }

void IoThread::post(std::function<void()> fn) { asio::post(impl_->ioc, std::move(fn)); }

void IoThread::call(const std::function<void()>& fn) {
  std::promise<void> done;
  asio::post(impl_->ioc, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void IoThread::stop() {
  if (!impl_ || impl_->threads.empty()) return;
  impl_->guard.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace roomchat::test
