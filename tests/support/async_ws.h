// AsyncWs is a callback-driven room socket client for tests that need many
// sockets at once (reconnect storms, chaos runs, readers that must keep
// reading while the test thread does something else). Any number of them
// share one io_context run by one test-owned thread (IoThread below): no
// thread per socket, so thousands of sockets cost a few KiB each.
//
// Each socket connects (optionally from a chosen local address, so storms
// can spread over 127.0.0.x and not run out of ephemeral ports), upgrades
// with a Cookie and Origin, then reports every text frame as parsed JSON.
// Writes are queued, one in flight. Every callback runs on the io thread;
// call send()/close() from anywhere (they post to the io thread).
//
// It never throws and never fails a test by itself: the owner decides what
// a refused upgrade or a close means.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace boost::asio {
class io_context;
}

namespace roomchat::test {

class AsyncWs : public std::enable_shared_from_this<AsyncWs> {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string sourceAddress;  // "" : let the kernel choose
    std::string target;         // e.g. WsClient::roomTarget(room, tab)
    std::string cookie;         // whole Cookie header value, "" for none
    std::optional<std::string> origin;
    std::chrono::milliseconds timeout{15000};  // connect + upgrade
  };
  struct Handlers {
    // Upgrade finished: 101 when open; otherwise the HTTP status (0 when the
    // connection itself failed) and a description. onClose follows a failure.
    std::function<void(int status, const std::string& error)> onOpen;
    std::function<void(nlohmann::json&& frame)> onFrame;
    // Called once at the end: the server's close code if it sent one.
    std::function<void(std::optional<int> code, const std::string& error)> onClose;
  };

  static std::shared_ptr<AsyncWs> create(boost::asio::io_context& ioc, Options options,
                                         Handlers handlers);
  ~AsyncWs();

  void start();
  void send(std::string text);
  void send(const nlohmann::json& frame) { send(frame.dump()); }
  // Graceful close (code 1000); onClose follows.
  void close();
  // Drops the TCP connection at once; onClose follows.
  void abort();

 private:
  struct Impl;
  AsyncWs(boost::asio::io_context& ioc, Options options, Handlers handlers);
  std::unique_ptr<Impl> impl_;
};

// Runs an io_context on `threads` threads until destroyed (or stop()).
// post() and call() run work on it; call() waits for the result.
class IoThread {
 public:
  explicit IoThread(int threads = 1);
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& context();
  void post(std::function<void()> fn);
  // Runs fn on the io thread and waits for it (fn must not block on the io thread).
  void call(const std::function<void()>& fn);
  // Stops the context and joins; pending handlers are dropped.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomchat::test
