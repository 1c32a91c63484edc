// What a room sees of one client connection: a place to send frames and a way
// to close it. The room never touches sockets; api/ adapts a net WebSocket to
// this interface. Both calls are safe from the room's strand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/types.h"

namespace roomchat::room {

class Connection {
 public:
  virtual ~Connection() = default;
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  virtual void close(uint16_t code, std::string reason) = 0;
};

// Who is on a connection, settled when the upgrade was authorized.
struct Member {
  model::User user;
  model::Role role = model::Role::kGuest;
  bool isFavorite = false;
  std::string tabId;
  // When the membership behind this connection was last checked (ms): a
  // removal the room heard of at or after it wins over the attach.
  int64_t authorizedAt = 0;
};

// WebSocket close codes of the contract.
inline constexpr uint16_t kCloseSessionEnded = 4401;
inline constexpr uint16_t kCloseRemoved = 4403;
inline constexpr uint16_t kCloseRoomDeleted = 4404;
inline constexpr uint16_t kCloseRestarting = 1012;
inline constexpr uint16_t kClosePolicy = 1008;

}  // namespace roomchat::room
