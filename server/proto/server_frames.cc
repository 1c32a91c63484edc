#include "proto/server_frames.h"

#include <nlohmann/json.hpp>

#include "proto/json_text.h"

namespace roomchat::proto {
namespace {

using nlohmann::json;

// API.md's role is owner | member | guest; a view built for someone with no
// role yet (public discovery) shows them as a guest.
const char* wireRole(model::Role role) {
  return role == model::Role::kNone ? "guest" : model::toString(role);
}

json author(const model::Message& m) {
  json a = {{"kind", model::toString(m.authorKind)}};
  if (m.authorId) a["userId"] = *m.authorId;
  return a;
}

json replyRef(const model::ReplyRef& r) {
  json j = {{"seq", r.seq}};
  if (r.authorId) j["authorId"] = *r.authorId;
  j["kind"] = model::toString(r.kind);
  j["snippet"] = r.snippet;
  return j;
}

json messages(const std::vector<model::Message>& list) {
  json out = json::array();
  for (const model::Message& m : list) out.push_back(toJson(m));
  return out;
}

json frame(const char* type) { return json{{"type", type}}; }

}  // namespace

std::string blobUrl(const std::string& key) { return "/blobs/" + key; }

json toJson(const model::User& user) {
  return json{{"id", user.id},
              {"username", user.username},
              {"displayName", user.displayName},
              {"avatarUrl", user.avatarKey ? json(blobUrl(*user.avatarKey)) : json(nullptr)}};
}

json toJson(const model::RoomView& view) {
  const model::Room& room = view.room;
  json j = {{"id", room.id},
            {"name", room.name},
            {"visibility", model::toString(room.visibility)},
            {"ownerId", room.ownerId},
            {"createdAt", room.createdAt},
            {"lastActiveAt", room.lastActiveAt},
            {"isFavorite", view.isFavorite},
            {"role", wireRole(view.role)}};
  if (view.online) j["online"] = *view.online;
  return j;
}

// A deleted message never carries its content, whatever the caller passed.
json toJson(const model::Message& m) {
  json j = {{"seq", m.seq}, {"id", m.id}, {"roomId", m.roomId}, {"author", author(m)},
            {"kind", model::toString(m.kind)}};
  if (m.text && !m.deleted) j["text"] = *m.text;
  if (!m.images.empty() && !m.deleted) j["images"] = m.images;
  if (m.replyTo) j["replyTo"] = replyRef(*m.replyTo);
  j["createdAt"] = m.createdAt;
  if (m.editedAt) j["editedAt"] = *m.editedAt;
  if (m.deleted) j["deleted"] = true;
  if (m.clientId) j["clientId"] = *m.clientId;
  return j;
}

json toJson(const PresenceEntry& entry) {
  json j = {{"userId", entry.userId}, {"connections", entry.connections}};
  if (entry.user) j["user"] = *entry.user;
  if (entry.screen) j["screen"] = *entry.screen;
  return j;
}

json toJson(const std::vector<CallParticipant>& participants) {
  json list = json::array();
  for (const CallParticipant& p : participants) {
    json j = {{"userId", p.userId}, {"connId", p.connId}};
    if (p.sessionId) j["sessionId"] = *p.sessionId;
    if (p.trackName) j["trackName"] = *p.trackName;
    j["muted"] = p.muted;
    j["joinedAt"] = p.joinedAt;
    list.push_back(std::move(j));
  }
  return json{{"participants", std::move(list)}};
}

std::string welcomeFrame(const Welcome& w) {
  json j = frame("welcome");
  j["connId"] = w.connId;
  j["you"] = toJson(w.you);
  j["room"] = toJson(w.room);
  j["messages"] = messages(w.messages);
  j["hasMore"] = w.hasMore;
  if (w.reset) j["reset"] = true;
  json presence = json::array();
  for (const PresenceEntry& entry : w.presence) presence.push_back(toJson(entry));
  j["presence"] = std::move(presence);
  j["call"] = toJson(w.call);
  j["lastSeq"] = w.lastSeq;
  return dumpSafe(j);
}

std::string ackFrame(const std::string& clientId, const model::Message& m) {
  json j = frame("ack");
  j["clientId"] = clientId;
  j["message"] = toJson(m);
  return dumpSafe(j);
}

std::string messageFrame(const model::Message& m) {
  json j = frame("message");
  j["message"] = toJson(m);
  return dumpSafe(j);
}

std::string messageUpdatedFrame(const model::Message& m) {
  json j = frame("messageUpdated");
  j["message"] = toJson(m);
  return dumpSafe(j);
}

std::string historyFrame(const std::vector<model::Message>& list, bool hasMore) {
  json j = frame("history");
  j["messages"] = messages(list);
  j["hasMore"] = hasMore;
  return dumpSafe(j);
}

std::string presenceFrame(const std::vector<PresenceEntry>& users) {
  json list = json::array();
  for (const PresenceEntry& entry : users) list.push_back(toJson(entry));
  json j = frame("presence");
  j["users"] = std::move(list);
  return dumpSafe(j);
}

std::string typingFrame(const std::string& userId, bool active) {
  json j = frame("typing");
  j["userId"] = userId;
  j["active"] = active;
  return dumpSafe(j);
}

// The call frame is the callState object itself with a type.
std::string callFrame(const std::vector<CallParticipant>& participants) {
  json j = toJson(participants);
  j["type"] = "call";
  return dumpSafe(j);
}

std::string callKickedFrame(const std::string& reason) {
  json j = frame("callKicked");
  j["reason"] = reason;
  return dumpSafe(j);
}

// payloadJson came from parseClientFrame; should it not parse (or nest too
// deeply to serialize safely) the peer gets an empty object, never a broken frame.
std::string callSignalFrame(const std::string& from, const std::string& payloadJson) {
  json payload = json::object();
  if (nestingWithin(payloadJson)) {
    json parsed = json::parse(payloadJson, nullptr, false);
    if (parsed.is_object()) payload = std::move(parsed);
  }
  json j = frame("callSignal");
  j["from"] = from;
  j["payload"] = std::move(payload);
  return dumpSafe(j);
}

std::string roomUpdatedFrame(const model::RoomView& room) {
  json j = frame("roomUpdated");
  j["room"] = toJson(room);
  return dumpSafe(j);
}

std::string roomDeletedFrame() { return dumpSafe(frame("roomDeleted")); }

std::string errorFrame(const std::string& code, const std::string& message,
                       const std::optional<std::string>& clientId) {
  json j = frame("error");
  j["code"] = code;
  j["message"] = message;
  if (clientId) j["clientId"] = *clientId;
  return dumpSafe(j);
}

std::string pongFrame() { return dumpSafe(frame("pong")); }

}  // namespace roomchat::proto
