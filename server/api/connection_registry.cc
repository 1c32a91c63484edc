#include "api/connection_registry.h"

#include <algorithm>

namespace roomchat::api {

bool ConnectionRegistry::tryReserve(const std::string& userId, int max) {
  MutexLock lock(mu_);
  int& n = perUser_[userId];
  if (n >= max) return false;
  ++n;
  return true;
}

void ConnectionRegistry::release(const std::string& userId) {
  MutexLock lock(mu_);
  auto it = perUser_.find(userId);
  if (it != perUser_.end() && --it->second <= 0) perUser_.erase(it);
}

void ConnectionRegistry::track(const std::string& sessionHash,
                               const std::shared_ptr<room::Connection>& conn) {
  MutexLock lock(mu_);
  perSession_[sessionHash].push_back(conn);
}

void ConnectionRegistry::untrack(const std::string& sessionHash, const room::Connection* conn) {
  MutexLock lock(mu_);
  auto it = perSession_.find(sessionHash);
  if (it == perSession_.end()) return;
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [conn](const auto& w) {
                              auto p = w.lock();
                              return !p || p.get() == conn;
                            }),
             list.end());
  if (list.empty()) perSession_.erase(it);
}

void ConnectionRegistry::closeSession(const std::string& sessionHash, uint16_t code,
                                      const std::string& reason) {
  std::vector<std::shared_ptr<room::Connection>> open;
  {
    MutexLock lock(mu_);
    auto it = perSession_.find(sessionHash);
    if (it == perSession_.end()) return;
    for (auto& w : it->second)
      if (auto p = w.lock()) open.push_back(std::move(p));
  }
  for (auto& c : open) c->close(code, reason);
}

}  // namespace roomchat::api
