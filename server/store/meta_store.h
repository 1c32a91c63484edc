// MetaStore is the global database: users, sessions, rooms, memberships,
// favorites, invites and stickers. SqliteMetaStore implements it on one
// embedded SQLite file (data/meta.db); a PostgreSQL implementation can take its
// place without touching callers.
//
// Thread safety: every method may be called from any thread. Calls block, so
// callers run them on the work pool, never on an io thread or a room strand.
// Multi-step operations (the room limit, favorites, membership) are atomic.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/types.h"

namespace roomchat::store {

struct UserRecord {
  model::User user;
  std::string passwordHash;  // empty for users that only sign in with OIDC
};

struct SessionRecord {
  std::string userId;
  int64_t expiresAt = 0;
};

struct RoomPage {
  std::vector<model::Room> rooms;
  // Parallel to rooms: the keyset of each row (favorites sort by the time
  // they were favorited, the other lists by lastActiveAt).
  std::vector<model::Keyset> keys;
  bool hasMore = false;
};

// A user's ties to a room besides ownership.
struct Membership {
  bool member = false;
  bool favorite = false;
};

struct Sticker {
  std::string id;
  std::string key;
  int64_t createdAt = 0;
};

struct StickerPage {
  std::vector<Sticker> stickers;
  bool hasMore = false;
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  // Users. createUser fails with "username_taken" when the name exists.
  virtual Result<model::User> createUser(const model::User& user,
                                         const std::string& passwordHash) = 0;
  virtual std::optional<UserRecord> userByUsername(const std::string& username) = 0;
  virtual std::optional<model::User> userById(const std::string& id) = 0;
  // Unknown ids are omitted; order follows `ids`.
  virtual std::vector<model::User> usersByIds(const std::vector<std::string>& ids) = 0;
  // Fields left nullopt are unchanged; an empty avatarKey removes the avatar.
  // "not_found" for an unknown user.
  virtual Result<model::User> updateUser(const std::string& id,
                                         const std::optional<std::string>& displayName,
                                         const std::optional<std::string>& avatarKey) = 0;

  // Sessions, keyed by the SHA-256 of the cookie token (never the token).
  virtual Status createSession(const std::string& tokenHash, const std::string& userId,
                               int64_t createdAt, int64_t expiresAt) = 0;
  // Nothing when unknown or expired at `now`.
  virtual std::optional<SessionRecord> sessionByHash(const std::string& tokenHash,
                                                     int64_t now) = 0;
  virtual void deleteSession(const std::string& tokenHash) = 0;

  // Rooms. createRoom checks the owner's room count and inserts atomically:
  // "room_limit" when the owner already has maxOwned rooms.
  virtual Status createRoom(const model::Room& room, int maxOwned) = 0;
  virtual std::optional<model::Room> roomById(const std::string& id) = 0;
  // Fields left nullopt are unchanged. "not_found" for an unknown room.
  virtual Result<model::Room> updateRoom(const std::string& id,
                                         const std::optional<std::string>& name,
                                         const std::optional<model::Visibility>& visibility) = 0;
  // Removes the room with its memberships, favorites and invites.
  virtual Status deleteRoom(const std::string& id) = 0;
  // lastActiveAt = max(lastActiveAt, at).
  virtual void touchRoom(const std::string& id, int64_t at) = 0;
  virtual int64_t roomCount() = 0;

  // Lists, newest first by keyset; `after` is the last key of the previous page.
  virtual RoomPage roomsOfUser(const std::string& userId, const std::optional<model::Keyset>& after,
                               int limit) = 0;  // owned or member
  virtual RoomPage publicRooms(const std::optional<model::Keyset>& after, int limit) = 0;
  virtual RoomPage favoriteRooms(const std::string& userId, const std::optional<model::Keyset>& after,
                                 int limit) = 0;

  // Membership and favorites (idempotent).
  virtual bool isMember(const std::string& roomId, const std::string& userId) = 0;
  // isMember and isFavorite in one lookup (every room view needs both).
  virtual Membership membership(const std::string& roomId, const std::string& userId) = 0;
  virtual void addMember(const std::string& roomId, const std::string& userId, int64_t at) = 0;
  // True when a membership was removed.
  virtual bool removeMember(const std::string& roomId, const std::string& userId) = 0;
  virtual bool isFavorite(const std::string& roomId, const std::string& userId) = 0;
  virtual void setFavorite(const std::string& roomId, const std::string& userId, bool favorite,
                           int64_t at) = 0;

  // Invites, keyed by the SHA-256 of the token. inviteRoom answers the room id
  // of a live (unexpired) invite.
  virtual Status createInvite(const std::string& tokenHash, const std::string& roomId,
                              const std::string& createdBy, int64_t createdAt,
                              int64_t expiresAt) = 0;
  virtual std::optional<std::string> inviteRoom(const std::string& tokenHash, int64_t now) = 0;

  // Stickers: a per-user library of blob keys. addSticker is idempotent on
  // (user, key) and answers the existing sticker on a repeat.
  virtual StickerPage stickers(const std::string& userId, const std::optional<model::Keyset>& after,
                               int limit) = 0;
  virtual Sticker addSticker(const std::string& userId, const std::string& key, int64_t at) = 0;
  virtual bool deleteSticker(const std::string& userId, const std::string& stickerId) = 0;

  // Online backup of the database into `file` (SQLite backup API).
  virtual Status backupTo(const std::string& file) = 0;
};

// Opens (creating and migrating) the SQLite meta database at `file`.
Result<std::unique_ptr<MetaStore>> openSqliteMetaStore(const std::string& file);

}  // namespace roomchat::store
