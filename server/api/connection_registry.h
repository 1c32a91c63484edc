// ConnectionRegistry knows every open room socket by user and by session, so
// that the server can cap connections per user and close a session's sockets
// when it ends (logout: 4401). Thread safe (one mutex; it is touched once per
// connect, disconnect and logout, never per frame).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/thread_annotations.h"
#include "room/connection.h"

namespace roomchat::api {

class ConnectionRegistry {
 public:
  // Takes one of the user's `max` connection slots; false when all are used.
  bool tryReserve(const std::string& userId, int max);
  void release(const std::string& userId);

  void track(const std::string& sessionHash, const std::shared_ptr<room::Connection>& conn);
  void untrack(const std::string& sessionHash, const room::Connection* conn);
  // Closes every socket opened with this session.
  void closeSession(const std::string& sessionHash, uint16_t code, const std::string& reason);

 private:
  Mutex mu_;
  std::unordered_map<std::string, int> perUser_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::vector<std::weak_ptr<room::Connection>>> perSession_
      GUARDED_BY(mu_);
};

}  // namespace roomchat::api
