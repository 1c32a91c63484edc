// The chat domain: users, rooms and messages as plain values. Shared by the
// stores (which persist them) and proto (which puts them on the wire); no
// behaviour lives here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace roomchat::model {

struct User {
  std::string id;
  std::string username;
  std::string displayName;
  std::optional<std::string> avatarKey;  // blob key; the wire shows avatarUrl
};

enum class Visibility { kPublic, kUnlisted, kPrivate };
enum class Role { kNone, kGuest, kMember, kOwner };

// A room's row in the global database.
struct Room {
  std::string id;
  std::string name;
  Visibility visibility = Visibility::kUnlisted;
  std::string ownerId;
  int64_t createdAt = 0;
  int64_t lastActiveAt = 0;
};

// A room as one user sees it (API.md's `room` object).
struct RoomView {
  Room room;
  bool isFavorite = false;
  Role role = Role::kGuest;
  std::optional<int> online;  // only in public discovery
};

enum class AuthorKind { kUser, kSystem, kBot };
enum class MessageKind { kText, kImage };

// The reply snapshot, built by the server from the referenced message.
struct ReplyRef {
  int64_t seq = 0;
  std::optional<std::string> authorId;
  MessageKind kind = MessageKind::kText;
  std::string snippet;  // at most 100 chars
};

// Keyset position for cursor pagination: (time, id), both descending.
struct Keyset {
  int64_t at = 0;
  std::string id;
};

struct Message {
  int64_t seq = 0;  // per room, from 1, gap-free
  std::string id;   // UUID v7
  std::string roomId;
  AuthorKind authorKind = AuthorKind::kUser;
  std::optional<std::string> authorId;
  MessageKind kind = MessageKind::kText;
  std::optional<std::string> text;
  std::vector<std::string> images;
  std::optional<ReplyRef> replyTo;
  int64_t createdAt = 0;
  std::optional<int64_t> editedAt;
  bool deleted = false;
  std::optional<std::string> clientId;
};

const char* toString(Visibility v);
std::optional<Visibility> parseVisibility(std::string_view s);
const char* toString(Role r);
const char* toString(AuthorKind k);
const char* toString(MessageKind k);
std::optional<MessageKind> parseMessageKind(std::string_view s);
std::optional<AuthorKind> parseAuthorKind(std::string_view s);

}  // namespace roomchat::model
