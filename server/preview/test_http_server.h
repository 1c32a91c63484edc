// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 for the link-preview
// tests (the unit tests here and the integration tests in tests/), header-only
// so the build keeps it out of rc_preview. Each test routes paths to canned
// replies; the server counts the requests it gets and keeps their method,
// path and headers.
//
// One thread accepts, one thread serves each connection (one request, then
// Connection: close). A reply can stream a large body (a client that hangs up
// early is fine) or never answer at all, until the server stops. The
// destructor stops accepting, releases the silent connections and joins every
// thread. Thread-safe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace roomchat::preview::testing {

struct TestRequest {
  std::string method;
  std::string path;                            // the request target
  std::map<std::string, std::string> headers;  // lower-case names
};

struct TestReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool silent = false;  // read the request, then never answer

  static TestReply html(std::string body) {
    return {200, {{"Content-Type", "text/html; charset=utf-8"}}, std::move(body)};
  }
  static TestReply typed(std::string type, std::string body = "x") {
    return {200, {{"Content-Type", std::move(type)}}, std::move(body)};
  }
  static TestReply redirect(std::string location, int status = 302) {
    return {status, {{"Location", std::move(location)}}, "moved"};
  }
};

class TestHttpServer {
 public:
  using Route = std::function<TestReply(const TestRequest&)>;

  TestHttpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len);
    ::listen(listener_, 64);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }

  ~TestHttpServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(listener_);
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mu_);
      workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
  }

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Exact request targets; "*" answers anything not routed (default 404).
  void route(const std::string& path, Route r) {
    std::lock_guard lock(mu_);
    routes_[path] = std::move(r);
  }
  void route(const std::string& path, TestReply reply) {
    route(path, [reply](const TestRequest&) { return reply; });
  }

  int requests() const { return requests_.load(); }
  int requestsTo(const std::string& path) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(seen_.begin(), seen_.end(),
                                          [&](const TestRequest& r) { return r.path == path; }));
  }
  std::vector<TestRequest> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void acceptLoop() {
    while (!stopping_) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static bool readRequest(int fd, std::string& raw) {
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buf[4096];
    while (raw.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0 || raw.size() > 65536) return false;
      raw.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  static TestRequest parse(const std::string& raw) {
    TestRequest r;
    size_t lineEnd = raw.find("\r\n");
    const std::string first = raw.substr(0, lineEnd);
    const size_t sp1 = first.find(' '), sp2 = first.find(' ', sp1 + 1);
    r.method = first.substr(0, sp1);
    r.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
    for (size_t at = lineEnd + 2; at < raw.size();) {
      const size_t end = raw.find("\r\n", at);
      if (end == std::string::npos || end == at) break;
      const std::string line = raw.substr(at, end - at);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      at = end + 2;
    }
    return r;
  }

  TestReply answer(const TestRequest& request) {
    Route r;
    {
      std::lock_guard lock(mu_);
      seen_.push_back(request);
      auto it = routes_.find(request.path);
      if (it == routes_.end()) it = routes_.find("*");
      if (it != routes_.end()) r = it->second;
    }
    ++requests_;
    return r ? r(request) : TestReply{404, {}, "not found"};
  }

  static void sendAll(int fd, const std::string& data) {
    for (size_t sent = 0; sent < data.size();) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the client hung up (a capped body): fine
      sent += static_cast<size_t>(n);
    }
  }

  void serve(int fd) {
    std::string raw;
    if (readRequest(fd, raw)) {
      const TestRequest request = parse(raw);
      const TestReply reply = answer(request);
      if (reply.silent) {
        while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      } else {
        std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
        for (const auto& [name, value] : reply.headers) head += name + ": " + value + "\r\n";
        head += "Content-Length: " + std::to_string(reply.body.size()) +
                "\r\nConnection: close\r\n\r\n";
        sendAll(fd, request.method == "HEAD" ? head : head + reply.body);
      }
    }
    ::close(fd);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::map<std::string, Route> routes_;
  std::vector<TestRequest> seen_;
  std::vector<std::thread> workers_;
};

}  // namespace roomchat::preview::testing
