#include "room/call_roster.h"

#include <algorithm>

namespace roomchat::room {

std::optional<std::string> CallRoster::join(const std::string& userId, const std::string& connId,
                                            const std::string& tabId, int64_t now) {
  std::optional<std::string> kicked;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->p.userId != userId) {
      ++it;
      continue;
    }
    if (it->p.connId == connId && !it->droppedAt) return std::nullopt;  // already in
    if (!it->droppedAt) kicked = it->p.connId;
    it = entries_.erase(it);
  }
  proto::CallParticipant p;
  p.userId = userId;
  p.connId = connId;
  p.joinedAt = now;
  entries_.push_back({std::move(p), tabId, std::nullopt});
  return kicked;
}

bool CallRoster::update(const std::string& connId, const proto::CallUpdate& u) {
  for (auto& e : entries_) {
    if (e.p.connId != connId || e.droppedAt) continue;
    if (u.sessionId) e.p.sessionId = u.sessionId;
    if (u.trackName) e.p.trackName = u.trackName;
    if (u.muted) e.p.muted = *u.muted;
    return true;
  }
  return false;
}

bool CallRoster::leave(const std::string& connId) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.p.connId == connId && !e.droppedAt; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool CallRoster::isLive(const std::string& connId) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.p.connId == connId && !e.droppedAt; });
}

bool CallRoster::drop(const std::string& connId, int64_t now) {
  for (auto& e : entries_) {
    if (e.p.connId == connId && !e.droppedAt) {
      e.droppedAt = now;
      return true;
    }
  }
  return false;
}

bool CallRoster::rebind(const std::string& userId, const std::string& tabId,
                        const std::string& connId) {
  if (tabId.empty()) return false;
  for (auto& e : entries_) {
    if (e.droppedAt && e.p.userId == userId && e.tabId == tabId) {
      e.droppedAt.reset();
      e.p.connId = connId;
      return true;
    }
  }
  return false;
}

bool CallRoster::expire(int64_t cutoff) {
  const auto before = entries_.size();
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.droppedAt && *e.droppedAt <= cutoff; }),
                 entries_.end());
  return entries_.size() != before;
}

std::optional<int64_t> CallRoster::earliestDrop() const {
  std::optional<int64_t> earliest;
  for (const auto& e : entries_)
    if (e.droppedAt && (!earliest || *e.droppedAt < *earliest)) earliest = e.droppedAt;
  return earliest;
}

std::vector<proto::CallParticipant> CallRoster::participants() const {
  std::vector<proto::CallParticipant> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.p);
  return out;
}

}  // namespace roomchat::room
