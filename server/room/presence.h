// Presence is a room's view of who is here: one entry per user (not per
// socket) with the number of their connections, their merged activity status
// and whether they are typing. Pure state, owned by a Room on its strand.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/server_frames.h"

namespace roomchat::room {

class Presence {
 public:
  void connect(const std::string& userId);
  // True when it was the user's last connection (the user left the room).
  bool disconnect(const std::string& userId);
  // Merges the given fields into the user's status; false when nothing changed.
  bool setStatus(const std::string& userId, const std::optional<std::string>& user,
                 const std::optional<std::string>& screen);
  // False when the flag did not change.
  bool setTyping(const std::string& userId, bool active);
  bool typing(const std::string& userId) const;
  std::vector<proto::PresenceEntry> entries() const;
  int users() const { return static_cast<int>(users_.size()); }

 private:
  struct UserState {
    int connections = 0;
    std::optional<std::string> user;
    std::optional<std::string> screen;
    bool typing = false;
  };
  std::map<std::string, UserState> users_;
};

}  // namespace roomchat::room
