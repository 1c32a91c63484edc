// WsClient is a synchronous WebSocket client for the room socket
// (`/api/rooms/<id>/ws?tab=<tab>`). It owns its own io_context and drives it
// only from the calling thread: reads happen while the test waits in next(),
// expect() or send(), and frames that arrive meanwhile are queued in order.
//
// It never throws. A refused upgrade keeps the HTTP status and JSON body;
// a close from the server keeps the close code. expect() reports a clear
// gtest failure (with the frames it skipped) when the frame does not come.
//
// Not thread-safe: one WsClient per thread.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace roomchat::test {

using namespace std::chrono_literals;

class WsClient {
 public:
  using Predicate = std::function<bool(const nlohmann::json&)>;
  static constexpr std::chrono::milliseconds kDefaultTimeout = 15s;

  explicit WsClient(int port, std::string host = "127.0.0.1");
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects and upgrades. `cookie` is a whole Cookie header value ("" for
  // none), `origin` the Origin header (nullopt: none). True when upgraded
  // (101); otherwise upgradeStatus() holds the HTTP status (0: transport).
  bool connect(const std::string& target, const std::string& cookie,
               const std::optional<std::string>& origin,
               std::chrono::milliseconds timeout = kDefaultTimeout);
  // Room socket target: /api/rooms/<roomId>/ws?tab=<tab>.
  static std::string roomTarget(const std::string& roomId, const std::string& tab);

  int upgradeStatus() const { return upgradeStatus_; }
  const std::string& upgradeBody() const { return upgradeBody_; }
  nlohmann::json upgradeJson() const;  // parsed body of a refused upgrade (null if none)
  std::string upgradeErrorCode() const;
  // A header of the upgrade's answer (case-insensitive name), or "".
  std::string upgradeHeader(std::string_view name) const;
  const std::string& transportError() const { return transportError_; }

  // Sends one text frame. False when it cannot (closed, not connected,
  // timed out); no gtest failure, since some tests expect the server to have
  // closed the socket already.
  bool send(const nlohmann::json& frame);
  bool sendRaw(const std::string& text);
  bool sendBinary(const std::string& bytes);

  // Next frame in arrival order; nullopt on timeout or when closed and no
  // queued frame is left. Frames that are not JSON come back as
  // {"type":"<non-json>","raw":...}.
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout = kDefaultTimeout);
  // Skips frames of other types until one of `type` (matching `pred`, if
  // given) arrives; an empty `type` matches any type. On timeout or close: ADD_FAILURE with the skipped frames
  // and returns null.
  nlohmann::json expect(const std::string& type,
                        std::chrono::milliseconds timeout = kDefaultTimeout);
  nlohmann::json expectWhere(const std::string& type, const Predicate& pred,
                             std::chrono::milliseconds timeout = kDefaultTimeout,
                             const std::string& what = "");
  // Frames before the first one of `type` (which is the last element). On
  // timeout: ADD_FAILURE, the frames seen so far.
  std::vector<nlohmann::json> collectUntil(const std::string& type,
                                           std::chrono::milliseconds timeout = kDefaultTimeout);
  // Every frame that arrives within `window` (a quiet period, used only to
  // check that something does NOT arrive).
  std::vector<nlohmann::json> drain(std::chrono::milliseconds window);
  // ping, then everything up to the pong (exclusive): all the frames the
  // server had queued for this socket before it answered the ping.
  std::vector<nlohmann::json> roundTrip(std::chrono::milliseconds timeout = kDefaultTimeout);

  // Waits until the server closes (skipping frames; they stay available in
  // skipped()) and returns its close code, or nullopt on timeout / abrupt end.
  std::optional<int> waitClose(std::chrono::milliseconds timeout = kDefaultTimeout);
  bool closed() const { return closed_; }
  std::optional<int> closeCode() const { return closeCode_; }
  const std::string& closeReason() const { return closeReason_; }
  const std::string& readError() const { return readError_; }

  // Graceful close from our side (waits a little for the server's answer).
  void close(std::chrono::milliseconds timeout = 5s);
  // Drops the TCP connection without a close frame.
  void abort();

  // Frames expect()/waitClose() passed over, for diagnostics.
  const std::vector<nlohmann::json>& skipped() const { return skipped_; }

 private:
  struct Impl;
  void startRead();
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  std::string describeSkipped(size_t from) const;

  std::unique_ptr<Impl> impl_;
  int upgradeStatus_ = 0;
  std::string upgradeBody_;
  std::vector<std::pair<std::string, std::string>> upgradeHeaders_;
  std::string transportError_;
  std::deque<nlohmann::json> queue_;
  std::vector<nlohmann::json> skipped_;
  bool readPending_ = false;
  bool closed_ = false;
  std::optional<int> closeCode_;
  std::string closeReason_;
  std::string readError_;
};

}  // namespace roomchat::test
