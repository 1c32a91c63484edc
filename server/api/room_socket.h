// RoomSocket joins one WebSocket to one room. The socket lives on the room's
// strand (a room's connections are part of the room's shard), so frames reach
// the room and the room's broadcasts reach the socket without a hop. Each
// frame is parsed and validated (proto) and rate-limited here; malformed or
// excess frames are answered here and never reach the room's state. Repeated
// abuse closes the socket (1008), and the socket layer reads a bounded amount
// per strand turn, so a flooder cannot monopolize its room.
//
// Nothing here blocks the strand: a send with images has its keys checked on
// the work executor (a stat, or a request to a remote store), and the
// socket's later frames wait behind it in order (at most kMaxHeldFrames).
#pragma once

#include <deque>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "api/connection_registry.h"
#include "auth/rate_limiter.h"
#include "blob/blob_service.h"
#include "net/http.h"
#include "proto/client_frames.h"
#include "room/connection.h"
#include "room/room.h"

namespace roomchat::api {

struct SocketLimits {
  double messageRate = 10;   // send/edit/delete per second
  double messageBurst = 30;
  proto::Limits frames;
};

class RoomSocket : public net::WsEndpoint,
                   public room::Connection,
                   public std::enable_shared_from_this<RoomSocket> {
 public:
  // `work` runs the image checks (it may block); `images` outlives the socket.
  RoomSocket(std::shared_ptr<room::Room> room, room::Member member, std::string sessionHash,
             ConnectionRegistry& registry, blob::ImageReferences& images,
             const SocketLimits& limits, boost::asio::any_io_executor work);

  static constexpr size_t kMaxHeldFrames = 64;

  // net::WsEndpoint, on the room's strand.
  net::Strand strand() const override { return room_->strand(); }
  void onOpen(std::shared_ptr<net::WsChannel> channel) override;
  void onText(std::string&& text) override;
  void onBinary(std::string&& bytes) override;
  void onClose() override;

  // room::Connection. send: on the room's strand. close: from any thread
  // (the registry closes a session's sockets at logout).
  void send(std::shared_ptr<const std::string> frame) override;
  void close(uint16_t code, std::string reason) override;

 private:
  bool admit(const proto::ClientFrame& frame);
  // Hands the frame to the room, or starts the image check of a send.
  void process(proto::ClientFrame&& frame);
  void checkImages(proto::Send&& send);
  void checked(proto::Send&& send, Result<std::optional<std::string>> missing);
  void reject(const std::string& code, const std::string& message,
              const std::optional<std::string>& clientId);

  std::shared_ptr<room::Room> room_;
  std::optional<room::Member> member_;  // handed to the room on open
  std::string userId_;
  std::string sessionHash_;
  std::string connId_;
  ConnectionRegistry& registry_;
  blob::ImageReferences& images_;
  proto::Limits frameLimits_;
  // Weak: the session owns this endpoint, and a session that never finishes
  // (the io threads stopped first) must not keep itself alive through us.
  std::weak_ptr<net::WsChannel> channel_;
  auth::TokenBucket messages_;
  auth::TokenBucket frames_;
  auth::TokenBucket abuse_;
  boost::asio::any_io_executor work_;
  bool checking_ = false;                 // an image check is out
  std::deque<proto::ClientFrame> held_;   // frames that arrived meanwhile
};

}  // namespace roomchat::api
