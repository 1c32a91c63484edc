// HttpServer accepts TCP connections on one address and runs an HTTP/1.1
// session per connection: keep-alive, header and body limits, read timeouts
// (slow headers and slow bodies are cut off), one request in flight, and the
// hand-over of upgraded sockets to a WsSession. The listening socket runs on
// shard 0 of the given IoShards; accepted connections go to the shards in
// turn, each on its own strand.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "base/result.h"
#include "net/http.h"
#include "net/io_shards.h"

namespace roomchat::net {

struct ServerLimits {
  size_t headerBytes = 16 * 1024;
  std::chrono::seconds requestTimeout{15};  // whole request: headers and body
  std::chrono::seconds idleTimeout{60};     // keep-alive between requests
  size_t wsMaxFrameBytes = 64 * 1024;       // larger: close 1009
  size_t wsOutboundFrames = 1024;           // queue bound per socket
  std::chrono::seconds wsHandshakeTimeout{15};
  std::chrono::seconds wsIdleTimeout{75};   // no traffic (pings included)
};

class HttpServer {
 public:
  HttpServer(IoShards& shards, HttpHandler& handler, ServerLimits limits);
  ~HttpServer();

  // Binds and starts accepting. Answers the bound port.
  Result<unsigned short> listen(const std::string& host, unsigned short port);
  // Stops accepting new connections; open ones are left to the application.
  void stopAccepting();

 private:
  class Listener;
  IoShards& shards_;
  HttpHandler& handler_;
  ServerLimits limits_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace roomchat::net
