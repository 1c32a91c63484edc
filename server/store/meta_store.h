// MetaStore is the global database: users, sessions, rooms, memberships,
// favorites, invites, removals and stickers. SqliteMetaStore implements it on
// one embedded SQLite file (data/meta.db); a PostgreSQL implementation can take
// its place without touching callers.
//
// Errors are values: every read and every write answers a Result or a Status,
// and a failure to reach the database (a disk error, a corrupt file) is
// Error{"storage_unavailable"} (or "internal"), never "not found", "false" or
// an empty list. Lookups answer nullopt only when the row truly is not there.
// Every such failure is also counted in metrics().metaStoreErrors; logging it
// is the caller's (it knows what the user was doing).
//
// Thread safety: every method may be called from any thread. Calls block, so
// callers run them on the work pool, never on an io thread or a room strand.
// Multi-step operations (the room limit, favorites, membership, accepting an
// invite, removing a member) are atomic.
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

// The catalog entry of a stored image. Only what is in the catalog may be
// referenced; the bytes live in the blob store.
struct BlobRecord {
  std::string key;          // lowercase hex SHA-256 of the bytes
  int64_t size = 0;
  std::string contentType;  // image/webp, image/png, image/gif or image/jpeg
  int64_t createdAt = 0;
};

// A room's claim on an image, as the garbage collector sees it.
struct BlobRef {
  std::string key;
  std::string roomId;
};

struct StickerPage {
  std::vector<Sticker> stickers;
  bool hasMore = false;
};

// An invite link to a room. The link carries a secret token; the database
// keeps only its hash, so an invite is named by `id` once it is made.
struct Invite {
  std::string id;
  std::string roomId;
  std::string createdBy;
  int64_t createdAt = 0;
  int64_t expiresAt = 0;
};

struct InvitePage {
  std::vector<Invite> invites;  // newest first
  bool hasMore = false;
};

// A user's sign-in through an OpenID Connect provider: the provider's id in
// the configuration and the subject ("sub") it gave the user.
struct Identity {
  std::string provider;
  std::string subject;
  int64_t createdAt = 0;
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  // Users. createUser fails with "username_taken" when the name exists.
  virtual Result<model::User> createUser(const model::User& user,
                                         const std::string& passwordHash) = 0;
  virtual Result<std::optional<UserRecord>> userByUsername(const std::string& username) = 0;
  virtual Result<std::optional<model::User>> userById(const std::string& id) = 0;
  // Unknown ids are omitted; order follows `ids`.
  virtual Result<std::vector<model::User>> usersByIds(const std::vector<std::string>& ids) = 0;
  // Fields left nullopt are unchanged; an empty avatarKey removes the avatar.
  // "not_found" for an unknown user or an avatar key missing from the blob
  // catalog (checked atomically with the update).
  virtual Result<model::User> updateUser(const std::string& id,
                                         const std::optional<std::string>& displayName,
                                         const std::optional<std::string>& avatarKey) = 0;

  // Sessions, keyed by the SHA-256 of the cookie token (never the token).
  virtual Status createSession(const std::string& tokenHash, const std::string& userId,
                               int64_t createdAt, int64_t expiresAt) = 0;
  // nullopt when unknown or expired at `now`.
  virtual Result<std::optional<SessionRecord>> sessionByHash(const std::string& tokenHash,
                                                             int64_t now) = 0;
  // Ok when the session is gone afterwards (also when it never existed): an
  // error means it may still be valid.
  virtual Status deleteSession(const std::string& tokenHash) = 0;

  // Rooms. createRoom checks the owner's room count and inserts atomically:
  // "room_limit" when the owner already has maxOwned rooms.
  virtual Status createRoom(const model::Room& room, int maxOwned) = 0;
  virtual Result<std::optional<model::Room>> roomById(const std::string& id) = 0;
  // Fields left nullopt are unchanged. "not_found" for an unknown room.
  virtual Result<model::Room> updateRoom(const std::string& id,
                                         const std::optional<std::string>& name,
                                         const std::optional<model::Visibility>& visibility) = 0;
  // Removes the room with its memberships, favorites, invites and removals.
  // "not_found" for an unknown room.
  virtual Status deleteRoom(const std::string& id) = 0;
  // lastActiveAt = max(lastActiveAt, at). Ok for an unknown room.
  virtual Status touchRoom(const std::string& id, int64_t at) = 0;
  virtual Result<int64_t> roomCount() = 0;

  // Lists, newest first by keyset; `after` is the last key of the previous page.
  virtual Result<RoomPage> roomsOfUser(const std::string& userId,
                                       const std::optional<model::Keyset>& after,
                                       int limit) = 0;  // owned or member
  virtual Result<RoomPage> publicRooms(const std::optional<model::Keyset>& after, int limit) = 0;
  virtual Result<RoomPage> favoriteRooms(const std::string& userId,
                                         const std::optional<model::Keyset>& after, int limit) = 0;

  // Membership and favorites (idempotent).
  virtual Result<bool> isMember(const std::string& roomId, const std::string& userId) = 0;
  // isMember and isFavorite in one lookup (every room view needs both).
  virtual Result<Membership> membership(const std::string& roomId, const std::string& userId) = 0;
  virtual Status addMember(const std::string& roomId, const std::string& userId, int64_t at) = 0;
  // Ends the user's membership and records the removal at `at`: from then on
  // no invite made at or before `at` lets the user back in (acceptInvite).
  // Recorded also for a user who was not a member. True when a membership
  // was removed.
  virtual Result<bool> removeMember(const std::string& roomId, const std::string& userId,
                                    int64_t at) = 0;
  virtual Result<bool> isFavorite(const std::string& roomId, const std::string& userId) = 0;
  // Favoriting again keeps the original time.
  virtual Status setFavorite(const std::string& roomId, const std::string& userId, bool favorite,
                             int64_t at) = 0;

  // Invites, keyed by the SHA-256 of the token. createInvite also forgets the
  // room's expired invites. REQUIRES: invite.id is a fresh id.
  virtual Status createInvite(const Invite& invite, const std::string& tokenHash) = 0;
  // The invite's room, with `userId` made a member of it (unless they own
  // it), in one transaction. Errors: "not_found" (unknown, expired or revoked
  // invite, or its room is gone), "forbidden" (the owner removed the user
  // after this invite was made; a newer invite lets them back).
  virtual Result<model::Room> acceptInvite(const std::string& tokenHash, const std::string& userId,
                                           int64_t now) = 0;
  // The room's unexpired invites, newest first (keyset: createdAt, id).
  virtual Result<InvitePage> invites(const std::string& roomId, int64_t now,
                                     const std::optional<model::Keyset>& after, int limit) = 0;
  // The invite stops working at once. False when the room has no invite `inviteId`.
  virtual Result<bool> revokeInvite(const std::string& roomId, const std::string& inviteId) = 0;

  // Blob catalog. A key may be referenced (by a message, a sticker or an
  // avatar) only while its row exists, and that check is atomic with the
  // reference: the garbage collector deletes rows in transactions too, so a
  // reference and a collection of the same key never both succeed.
  virtual Result<std::optional<BlobRecord>> blob(const std::string& key) = 0;
  // Inserts the row (or keeps the existing one) and marks it used at `at`.
  virtual Status recordBlob(const BlobRecord& blob, int64_t at) = 0;
  // Marks an existing row used at `at` (an upload that found it stored).
  // False when the key is not in the catalog.
  virtual Result<bool> touchBlob(const std::string& key, int64_t at) = 0;
  // Records that a message of `roomId` references `keys`, marking each used
  // at `at`, in one transaction: the first key missing from the catalog (and
  // then nothing is recorded), or nullopt.
  virtual Result<std::optional<std::string>> referenceBlobs(const std::string& roomId,
                                                            const std::vector<std::string>& keys,
                                                            int64_t at) = 0;
  // The rooms whose messages referenced `key` (at most `limit`).
  virtual Result<std::vector<std::string>> roomsReferencing(const std::string& key, int limit) = 0;
  // Whether `key` is some user's avatar or one of `userId`'s stickers.
  virtual Result<bool> blobHeldByUser(const std::string& key, const std::string& userId) = 0;
  // Room references not renewed since `before` (the collector asks each room
  // whether a live message still holds the key), at most `limit`.
  virtual Result<std::vector<BlobRef>> staleBlobRefs(int64_t before, int limit) = 0;
  // Drops the reference unless it was renewed at or after `before`.
  virtual Status dropBlobRef(const BlobRef& ref, int64_t before) = 0;
  // Keys with no reference, sticker or avatar, unused since `before`.
  virtual Result<std::vector<std::string>> unusedBlobs(int64_t before, int limit) = 0;
  // Deletes the row if it is still unreferenced and unused since `before`;
  // true when it was deleted (the caller then removes the bytes).
  virtual Result<bool> forgetBlobIfUnused(const std::string& key, int64_t before) = 0;

  // Stickers: a per-user library of blob keys. addSticker is idempotent on
  // (user, key) and answers the existing sticker on a repeat; "not_found"
  // when the key is not in the blob catalog.
  virtual Result<StickerPage> stickers(const std::string& userId,
                                       const std::optional<model::Keyset>& after, int limit) = 0;
  virtual Result<Sticker> addSticker(const std::string& userId, const std::string& key,
                                     int64_t at) = 0;
  // True when a sticker was deleted.
  virtual Result<bool> deleteSticker(const std::string& userId, const std::string& stickerId) = 0;

  // OpenID Connect identities. A user is found by (provider, subject), never
  // by e-mail. A user has at most one identity per provider.
  virtual Result<std::optional<model::User>> userByIdentity(const std::string& provider,
                                                            const std::string& subject) = 0;
  // Creates a user without a password and its identity in one transaction:
  // "username_taken" when the username exists, "conflict" when the identity
  // already belongs to someone (a concurrent first sign-in).
  virtual Result<model::User> createUserWithIdentity(const model::User& user,
                                                     const Identity& identity) = 0;
  // Idempotent for the same user and subject. "conflict" when the identity is
  // another user's, or the user has another subject at that provider;
  // "not_found" for an unknown user.
  virtual Status linkIdentity(const std::string& userId, const Identity& identity) = 0;
  // Oldest first.
  virtual Result<std::vector<Identity>> identities(const std::string& userId) = 0;
  // Atomic with its check: "last_sign_in_method" when the user has no
  // password and no other identity (it would be locked out). False when the
  // user has no identity at that provider.
  virtual Result<bool> unlinkIdentity(const std::string& userId, const std::string& provider) = 0;

  // Online backup of the database into `file` (SQLite backup API).
  virtual Status backupTo(const std::string& file) = 0;
};

// Opens (creating and migrating) the SQLite meta database at `file`.
Result<std::unique_ptr<MetaStore>> openSqliteMetaStore(const std::string& file);

}  // namespace roomchat::store
