// CallRoster is a room's voice call: who is in it, on which connection, with
// which media session and track. One entry per user: joining from another tab
// replaces (kicks) the earlier entry. An entry whose socket dropped stays for
// a grace window, so a quick reconnect from the same tab rebinds it without
// peers seeing a leave. Pure state, owned by a Room on its strand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/client_frames.h"
#include "proto/server_frames.h"

namespace roomchat::room {

class CallRoster {
 public:
  // Adds (or refreshes) the entry of `userId` on `connId`. Answers the
  // connection of an earlier live entry of the same user, which was removed
  // and should be told callKicked.
  std::optional<std::string> join(const std::string& userId, const std::string& connId,
                                  const std::string& tabId, int64_t now);
  // False when `connId` holds no live entry.
  bool update(const std::string& connId, const proto::CallUpdate& u);
  bool leave(const std::string& connId);
  bool isLive(const std::string& connId) const;

  // The socket of `connId` is gone: its entry enters the grace window.
  // False when it held no entry.
  bool drop(const std::string& connId, int64_t now);
  // A socket of the same user and tab is back: the dropped entry moves to it.
  bool rebind(const std::string& userId, const std::string& tabId, const std::string& connId);
  // Removes entries dropped at or before `cutoff`; true when any went.
  bool expire(int64_t cutoff);
  // The earliest drop time still in grace, if any.
  std::optional<int64_t> earliestDrop() const;

  std::vector<proto::CallParticipant> participants() const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    proto::CallParticipant p;
    std::string tabId;
    std::optional<int64_t> droppedAt;
  };
  std::vector<Entry> entries_;
};

}  // namespace roomchat::room
