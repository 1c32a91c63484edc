#include "net/http_server.h"

#include <utility>

#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "net/ws_session.h"

namespace roomchat::net {

namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

Reply plainError(http::status status, const std::string& code, const std::string& message,
                 unsigned version) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
  res.keep_alive(false);
  res.prepare_payload();
  return Reply(std::move(res));
}

}  // namespace

// One HTTP/1.1 connection: read a request, let the handler answer, write the
// answer, repeat while keep-alive holds. An upgrade leaves this session and
// continues as a WsSession.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, HttpHandler& handler, const ServerLimits& limits)
      : stream_(std::move(socket)), handler_(handler), limits_(limits) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_.ip = endpoint.address().to_string();
  }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&HttpSession::readHeader, shared_from_this()));
  }

 private:
  void readHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.headerBytes));
    parser_->body_limit(boost::none);  // checked per route once the header is known
    stream_.expires_after(limits_.requestTimeout);
    readHeaderBytes();
  }

  // The raw header is read first: Beast joins obsolete line folds into the
  // value, so only the bytes show them (see foldedHeader). Bytes already
  // buffered (a pipelined request) are looked at before reading more.
  void readHeaderBytes() {
    std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (size_t blank = data.find("\r\n\r\n"); blank != std::string_view::npos)
      return onHeaderBytes(blank + 4);
    const size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) return failRead(http::error::header_limit);  // no blank line fits
    stream_.async_read_some(buffer_.prepare(std::min<size_t>(room, 4096)),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->failRead(ec);
                              self->buffer_.commit(n);
                              self->readHeaderBytes();
                            });
  }

  void onHeaderBytes(size_t bytes) {
    std::string_view header(static_cast<const char*>(buffer_.data().data()), bytes);
    // Only empty lines so far (allowed before a request line): dropped, and
    // the header is read on under the same deadline.
    if (header.find_first_not_of("\r\n") == std::string_view::npos) {
      buffer_.consume(bytes);
      return readHeaderBytes();
    }
    if (foldedHeader(header))
      return write(plainError(http::status::bad_request, "bad_request",
                              "obsolete line folding is not accepted", 11));
    // The whole header is buffered: Beast parses it without another read.
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::onHeader, shared_from_this()));
  }

  void onHeader(beast::error_code ec, size_t bytes) {
    if (ec) return failRead(ec);
    // Beast applies its header limit to the fields alone when the request
    // line arrived in the same read: the limit must not depend on how TCP
    // split the bytes (found by fuzz/http_request_fuzz).
    if (bytes > limits_.headerBytes) return failRead(http::error::header_limit);
    if (auto refusal = checkFraming(parser_->get())) return write(std::move(*refusal));
    if (beast::websocket::is_upgrade(parser_->get())) return upgrade();
    if (auto refusal = handler_.screen(parser_->get().base())) {
      refusal->version(parser_->get().version());
      refusal->keep_alive(false);
      refusal->prepare_payload();
      return write(Reply(std::move(*refusal)));
    }
    const size_t limit = handler_.bodyLimit(parser_->get().base());
    if (parser_->content_length() && *parser_->content_length() > limit)
      return failRead(http::error::body_limit);
    parser_->body_limit(limit);
    // No new deadline: the one set before the header covers the whole request.
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::onBody, shared_from_this()));
  }

  void onBody(beast::error_code ec, size_t) {
    if (ec) return failRead(ec);
    stream_.expires_never();  // the handler may take a while; the write sets its own deadline
    Request request = parser_->release();
    handler_.handle(std::move(request), peer_, [self = shared_from_this()](Reply reply) {
      asio::post(self->stream_.get_executor(), [self, r = std::move(reply)]() mutable {
        self->write(std::move(r));
      });
    });
  }

  // Limits and malformed requests get a JSON answer; dead or slow peers are cut.
  void failRead(beast::error_code ec) {
    unsigned version = parser_ ? parser_->get().version() : 11;
    if (ec == http::error::body_limit)
      return write(plainError(http::status::payload_too_large, "too_large", "body too large", version));
    if (ec == http::error::header_limit)
      return write(plainError(http::status::request_header_fields_too_large, "too_large",
                              "headers too large", version));
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == http::error::partial_message)
      return shutdown();
    write(plainError(http::status::bad_request, "bad_request", "malformed HTTP request", version));
  }

  void write(Reply reply) {
    keepAlive_ = reply.keep_alive();
    stream_.expires_after(limits_.idleTimeout);
    beast::async_write(stream_, std::move(reply),
                       beast::bind_front_handler(&HttpSession::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, size_t) {
    if (ec || !keepAlive_) return shutdown();
    readHeader();
  }

  // The handler decides on its own threads; if it has not within the
  // handshake timeout (a work pool stuck behind slow calls), the client gets
  // a 503 and the late decision is dropped: an endpoint it made is closed on
  // its strand without ever opening.
  void upgrade() {
    stream_.expires_never();
    auto request = std::make_shared<Request>(parser_->release());
    if (auto refusal = checkHandshake(*request)) return onUpgradeDecision(std::move(*request), std::move(*refusal));
    upgradeDeadline_ = std::make_unique<asio::steady_timer>(stream_.get_executor(),
                                                            limits_.wsHandshakeTimeout);
    upgradeDeadline_->async_wait([self = shared_from_this(), version = request->version()](
                                     beast::error_code ec) {
      if (ec || self->upgradeDecided_) return;
      self->upgradeDecided_ = true;
      self->onUpgradeDecision({}, plainError(http::status::service_unavailable, "unavailable",
                                             "the server is too busy to open a socket", version));
    });
    handler_.upgrade(*request, peer_, [self = shared_from_this(), request](UpgradeDecision d) {
      asio::post(self->stream_.get_executor(), [self, request, d = std::move(d)]() mutable {
        if (std::exchange(self->upgradeDecided_, true)) return abandon(std::move(d));
        self->upgradeDeadline_->cancel();
        self->onUpgradeDecision(std::move(*request), std::move(d));
      });
    });
  }

  static void abandon(UpgradeDecision late) {
    auto* endpoint = std::get_if<std::shared_ptr<WsEndpoint>>(&late);
    if (!endpoint) return;
    auto strand = (*endpoint)->strand();
    asio::post(strand, [e = std::move(*endpoint)] { e->onClose(); });
  }

  void onUpgradeDecision(Request&& request, UpgradeDecision decision) {
    if (auto* refusal = std::get_if<Reply>(&decision)) {
      keepAlive_ = false;
      stream_.expires_after(limits_.idleTimeout);
      beast::async_write(stream_, std::move(*refusal),
                         beast::bind_front_handler(&HttpSession::onWrite, shared_from_this()));
      return;
    }
    auto endpoint = std::get<std::shared_ptr<WsEndpoint>>(std::move(decision));
    std::string early = beast::buffers_to_string(buffer_.data());
    auto ws = std::make_shared<WsSession>(stream_.release_socket(), std::move(endpoint), limits_);
    ws->run(request, std::move(early));
  }

  // True when a header line continues the one before it (obs-fold, RFC 9112
  // §5.2): a proxy may read the continuation as a header of its own.
  static bool foldedHeader(std::string_view header) {
    size_t start = header.find_first_not_of("\r\n");  // empty lines before the request line
    for (size_t eol = header.find("\r\n", start); eol != std::string_view::npos &&
                                                   eol + 2 < header.size();
         eol = header.find("\r\n", eol + 2)) {
      if (header[eol + 2] == ' ' || header[eol + 2] == '\t') return true;
    }
    return false;
  }

  // What a proxy in front of us could read differently (request smuggling):
  // a transfer coding we do not implement, a second Host, a method in the
  // wrong case (methods are case-sensitive; a proxy may fold it). Each is
  // refused before any route runs; the answer closes the connection.
  static std::optional<Reply> checkFraming(const Request& request) {
    const unsigned version = request.version();
    for (char c : request.method_string())
      if (c >= 'a' && c <= 'z')
        return plainError(http::status::bad_request, "bad_request",
                          "methods are uppercase", version);
    if (request.count(http::field::host) > 1)
      return plainError(http::status::bad_request, "bad_request", "more than one Host header",
                        version);
    if (request.count(http::field::transfer_encoding) == 0) return std::nullopt;
    auto [first, last] = request.equal_range(http::field::transfer_encoding);
    for (auto field = first; field != last; ++field)
      for (const auto& coding : http::token_list(field->value()))
        if (!beast::iequals(coding, "chunked"))
          return plainError(http::status::not_implemented, "not_implemented",
                            "unsupported transfer coding", version);
    // No client of ours sends a chunked body (browsers send Content-Length),
    // and Beast 1.81's chunk parser trips its own assertion on some TCP
    // splits (found by fuzz/http_request_fuzz): a body must say its length.
    // The body stays unread, so the answer closes the connection.
    return plainError(http::status::length_required, "length_required",
                      "send the body with a Content-Length", version);
  }

  // The parts of an upgrade request the framing relies on (RFC 6455 §4.2.1);
  // is_upgrade() already checked the method, version and Upgrade headers.
  static std::optional<UpgradeDecision> checkHandshake(const Request& request) {
    if (request[http::field::sec_websocket_version] != "13") {
      Response res{http::status::upgrade_required, request.version()};
      res.set(http::field::sec_websocket_version, "13");
      res.set(http::field::content_type, "application/json");
      res.body() = R"({"error":{"code":"bad_request","message":"WebSocket version 13 only"}})";
      res.keep_alive(false);
      res.prepare_payload();
      return UpgradeDecision(Reply(std::move(res)));
    }
    if (!ws::isValidClientKey(request[http::field::sec_websocket_key]))
      return UpgradeDecision(plainError(http::status::bad_request, "bad_request",
                                        "bad Sec-WebSocket-Key", request.version()));
    return std::nullopt;
  }

  void shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{8192};
  HttpHandler& handler_;
  const ServerLimits& limits_;
  Peer peer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keepAlive_ = true;
  std::unique_ptr<asio::steady_timer> upgradeDeadline_;  // only while an upgrade is decided
  bool upgradeDecided_ = false;
};

class HttpServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(IoShards& shards, HttpHandler& handler, const ServerLimits& limits)
      : shards_(shards), acceptor_(asio::make_strand(shards.at(0))), handler_(handler),
        limits_(limits) {}

  Result<unsigned short> open(const std::string& host, unsigned short port) {
    beast::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return makeError("invalid_listen", "bad listen address: " + host);
    tcp::endpoint endpoint{address, port};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return makeError("listen_failed", "cannot listen on " + host + ":" +
                                                  std::to_string(port) + ": " + ec.message());
    return acceptor_.local_endpoint().port();
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(shards_.next()),
                           beast::bind_front_handler(&Listener::onAccept, shared_from_this()));
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void onAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of file descriptors and the like: log, back off a little, go on.
      spdlog::warn("accept failed: {}", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(acceptor_.get_executor(),
                                                        std::chrono::milliseconds(50));
      timer->async_wait([self = shared_from_this(), timer](beast::error_code) { self->accept(); });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<HttpSession>(std::move(socket), handler_, limits_)->run();
    accept();
  }

  IoShards& shards_;
  tcp::acceptor acceptor_;
  HttpHandler& handler_;
  const ServerLimits& limits_;
};

HttpServer::HttpServer(IoShards& shards, HttpHandler& handler, ServerLimits limits)
    : shards_(shards), handler_(handler), limits_(limits) {}

HttpServer::~HttpServer() = default;

Result<unsigned short> HttpServer::listen(const std::string& host, unsigned short port) {
  listener_ = std::make_shared<Listener>(shards_, handler_, limits_);
  auto bound = listener_->open(host, port);
  if (bound.ok()) listener_->accept();
  return bound;
}

void HttpServer::stopAccepting() {
  if (listener_) listener_->stop();
}

}  // namespace roomchat::net
