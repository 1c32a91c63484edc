// Frames the server sends on the room WebSocket (API.md §3.3) and the JSON
// shapes of users, rooms and messages shared with the HTTP API. Every function
// returns the serialized frame, so a broadcast serializes once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/types.h"

namespace roomchat::proto {

struct PresenceEntry {
  std::string userId;
  int connections = 0;
  std::optional<std::string> user;    // "active" | "idle"
  std::optional<std::string> screen;  // "locked" | "unlocked"
};

struct CallParticipant {
  std::string userId;
  std::string connId;
  std::optional<std::string> sessionId;
  std::optional<std::string> trackName;
  bool muted = false;
  int64_t joinedAt = 0;
};

// JSON objects (API.md shapes).
nlohmann::json toJson(const model::User& user);
nlohmann::json toJson(const model::RoomView& room);
nlohmann::json toJson(const model::Message& message);
nlohmann::json toJson(const PresenceEntry& entry);
nlohmann::json toJson(const std::vector<CallParticipant>& participants);  // callState

struct Welcome {
  std::string connId;
  model::User you;
  model::RoomView room;
  std::vector<model::Message> messages;
  bool hasMore = false;
  bool reset = false;
  std::vector<PresenceEntry> presence;
  std::vector<CallParticipant> call;
  int64_t lastSeq = 0;
};

std::string welcomeFrame(const Welcome& w);
std::string ackFrame(const std::string& clientId, const model::Message& m);
std::string messageFrame(const model::Message& m);
std::string messageUpdatedFrame(const model::Message& m);
std::string historyFrame(const std::vector<model::Message>& messages, bool hasMore);
std::string presenceFrame(const std::vector<PresenceEntry>& users);
std::string typingFrame(const std::string& userId, bool active);
std::string callFrame(const std::vector<CallParticipant>& participants);
std::string callKickedFrame(const std::string& reason);
std::string callSignalFrame(const std::string& from, const std::string& payloadJson);
std::string roomUpdatedFrame(const model::RoomView& room);
std::string roomDeletedFrame();
std::string errorFrame(const std::string& code, const std::string& message,
                       const std::optional<std::string>& clientId = std::nullopt);
std::string pongFrame();

// avatarUrl for a blob key: "/blobs/<key>".
std::string blobUrl(const std::string& key);

}  // namespace roomchat::proto
