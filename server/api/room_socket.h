// RoomSocket joins one WebSocket to one room. On the socket's strand it parses
// and validates each frame (proto), applies the per-connection rate limits,
// answers malformed frames itself, and posts only well-formed frames to the
// room's strand; the room sends back through it. A flood therefore costs the
// flooder's strand, never the room's. Repeated abuse closes the socket (1008).
#pragma once

#include <memory>
#include <string>

#include "api/connection_registry.h"
#include "auth/rate_limiter.h"
#include "blob/blob_store.h"
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
  RoomSocket(std::shared_ptr<room::Room> room, room::Member member, std::string sessionHash,
             ConnectionRegistry& registry, const blob::BlobStore& blobs,
             const SocketLimits& limits);

  // net::WsEndpoint, on the socket's strand.
  void onOpen(std::shared_ptr<net::WsChannel> channel) override;
  void onText(std::string&& text) override;
  void onClose() override;

  // room::Connection, from the room's strand (or the registry).
  void send(std::shared_ptr<const std::string> frame) override;
  void close(uint16_t code, std::string reason) override;

 private:
  bool admit(const proto::ClientFrame& frame);
  bool imagesExist(const proto::ClientFrame& frame);
  void reject(const std::string& code, const std::string& message,
              const std::optional<std::string>& clientId);

  std::shared_ptr<room::Room> room_;
  std::optional<room::Member> member_;  // handed to the room on open
  std::string userId_;
  std::string sessionHash_;
  std::string connId_;
  ConnectionRegistry& registry_;
  const blob::BlobStore& blobs_;
  proto::Limits frameLimits_;
  std::weak_ptr<net::WsChannel> channel_;  // set once in onOpen
  auth::TokenBucket messages_;
  auth::TokenBucket frames_;
  auth::TokenBucket abuse_;
};

}  // namespace roomchat::api
