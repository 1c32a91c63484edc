#include "room/presence.h"

namespace roomchat::room {

void Presence::connect(const std::string& userId) { ++users_[userId].connections; }

bool Presence::disconnect(const std::string& userId) {
  auto it = users_.find(userId);
  if (it == users_.end()) return false;
  if (--it->second.connections > 0) return false;
  users_.erase(it);
  return true;
}

bool Presence::setStatus(const std::string& userId, const std::optional<std::string>& user,
                         const std::optional<std::string>& screen) {
  auto it = users_.find(userId);
  if (it == users_.end()) return false;
  bool changed = false;
  if (user && it->second.user != user) it->second.user = user, changed = true;
  if (screen && it->second.screen != screen) it->second.screen = screen, changed = true;
  return changed;
}

bool Presence::setTyping(const std::string& userId, bool active) {
  auto it = users_.find(userId);
  if (it == users_.end() || it->second.typing == active) return false;
  it->second.typing = active;
  return true;
}

bool Presence::typing(const std::string& userId) const {
  auto it = users_.find(userId);
  return it != users_.end() && it->second.typing;
}

std::vector<proto::PresenceEntry> Presence::entries() const {
  std::vector<proto::PresenceEntry> out;
  out.reserve(users_.size());
  for (const auto& [id, s] : users_) out.push_back({id, s.connections, s.user, s.screen});
  return out;
}

}  // namespace roomchat::room
