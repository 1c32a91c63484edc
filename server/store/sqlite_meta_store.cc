// SqliteMetaStore: MetaStore on one SQLite file in WAL mode.
//
// Concurrency: one connection behind one mutex. Every public method takes the
// mutex for its whole duration, so a multi-step operation (the room limit,
// idempotent inserts) is atomic within the process; writes that read first
// also run in IMMEDIATE transactions, so they stay atomic against another
// process (a backup tool, the sqlite3 shell) holding the same file. Meta
// queries are short index lookups, so the mutex is not the bottleneck at the
// scale of one server; a pool of reader connections can come later.
//
// Integrity: memberships, favorites, invites and removals reference rooms(id)
// with ON DELETE CASCADE, so deleting a room removes them in the same
// statement. User ids are not foreign keys (users are never deleted).
//
// Errors: every SQLite failure (prepare, step, commit) is returned, never read
// as "no row"; a list stepped until an error is an error, not a short page.
// Every public method runs through guarded(), which takes the mutex and
// counts the failure in metrics().metaStoreErrors. The method bodies are
// lambdas declared REQUIRES(mu_) and db_ is GUARDED_BY(mu_): clang's
// -Wthread-safety checks that nothing reaches the connection unlocked.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <type_traits>

#include "base/ids.h"
#include "base/metrics.h"
#include "base/thread_annotations.h"
#include "store/meta_store.h"
#include "store/sqlite.h"

namespace roomchat::store {

namespace {

constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  avatar_key TEXT,
  password_hash TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id, expires_at);
CREATE TABLE rooms (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private')),
  owner_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL
);
CREATE INDEX rooms_discovery ON rooms(visibility, last_active_at DESC, id DESC);
CREATE INDEX rooms_owner ON rooms(owner_id);
CREATE TABLE memberships (
  room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships(user_id);
CREATE TABLE favorites (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id)
) WITHOUT ROWID;
CREATE INDEX favorites_by_time ON favorites(user_id, created_at DESC, room_id DESC);
CREATE INDEX favorites_room ON favorites(room_id);
CREATE TABLE invites (
  token_hash TEXT PRIMARY KEY,
  room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX invites_room ON invites(room_id);
CREATE TABLE stickers (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (user_id, key)
);
CREATE INDEX stickers_by_time ON stickers(user_id, created_at DESC, id DESC);
)sql",
    // 2: invites get an id (owners list and revoke them by it; the token is
    // never stored), and removals are recorded so that an old invite does not
    // let a removed member back in. Existing invites get random ids.
    R"sql(
CREATE TABLE invites_v2 (
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO invites_v2 (token_hash, id, room_id, created_by, created_at, expires_at)
  SELECT token_hash, lower(hex(randomblob(16))), room_id, created_by, created_at, expires_at
  FROM invites;
DROP TABLE invites;
ALTER TABLE invites_v2 RENAME TO invites;
CREATE INDEX invites_room ON invites(room_id, created_at DESC, id DESC);
CREATE TABLE removals (
  room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  removed_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
)sql",
    // 3: the blob catalog. A blob row exists from the upload's verification
    // on; messages reference it through blob_refs (one row per room, renewed
    // on every send), stickers and avatars by key. The collector removes a
    // row only when nothing holds it and it was not used for a grace period.
    R"sql(
CREATE TABLE IF NOT EXISTS blobs (
  key TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_used ON blobs(used_at);
CREATE TABLE IF NOT EXISTS blob_refs (
  key TEXT NOT NULL,
  room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  used_at INTEGER NOT NULL,
  PRIMARY KEY (key, room_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blob_refs_room ON blob_refs(room_id);
CREATE INDEX IF NOT EXISTS blob_refs_used ON blob_refs(used_at);
CREATE INDEX IF NOT EXISTS stickers_key ON stickers(key);
CREATE INDEX IF NOT EXISTS users_avatar ON users(avatar_key) WHERE avatar_key IS NOT NULL;
)sql",
    // 4: OpenID Connect identities, one per (provider, subject) and at most
    // one per provider for a user.
    R"sql(
CREATE TABLE IF NOT EXISTS oidc_identities (
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (provider, subject),
  UNIQUE (user_id, provider)
) WITHOUT ROWID;
)sql",
};

// ---- Statements. Keyset lists take (at, id) of the previous page's last row
// as ?at/?id and use "at <= ?at AND (at < ?at OR id < ?id)": the first term is
// an index range, the second drops the rows already shown.

constexpr const char* kUsernameExists = "SELECT count(*) FROM users WHERE username = ?1";
constexpr const char* kInsertUser =
    "INSERT INTO users (id, username, display_name, avatar_key, password_hash, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kUserByUsername =
    "SELECT id, username, display_name, avatar_key, password_hash FROM users WHERE username = ?1";
constexpr const char* kUserById =
    "SELECT id, username, display_name, avatar_key FROM users WHERE id = ?1";
// An empty avatar key clears the avatar.
constexpr const char* kUpdateUser =
    "UPDATE users SET display_name = coalesce(?2, display_name), "
    "avatar_key = CASE WHEN ?3 IS NULL THEN avatar_key ELSE nullif(?3, '') END "
    "WHERE id = ?1 RETURNING id, username, display_name, avatar_key";
constexpr const char* kBlobKnown = "SELECT count(*) FROM blobs WHERE key = ?1";

constexpr const char* kPurgeSessions =
    "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2";
constexpr const char* kInsertSession =
    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kSessionByHash =
    "SELECT user_id, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2";
constexpr const char* kDeleteSession = "DELETE FROM sessions WHERE token_hash = ?1";

#define RC_ROOM_COLUMNS "r.id, r.name, r.visibility, r.owner_id, r.created_at, r.last_active_at"

// Counts only up to the limit, so the check costs O(limit), not O(rooms owned).
constexpr const char* kOwnedCount =
    "SELECT count(*) FROM (SELECT 1 FROM rooms WHERE owner_id = ?1 LIMIT ?2)";
constexpr const char* kInsertRoom =
    "INSERT INTO rooms (id, name, visibility, owner_id, created_at, last_active_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kRoomById = "SELECT " RC_ROOM_COLUMNS " FROM rooms r WHERE r.id = ?1";
constexpr const char* kUpdateRoom =
    "UPDATE rooms SET name = coalesce(?2, name), visibility = coalesce(?3, visibility) "
    "WHERE id = ?1 RETURNING id, name, visibility, owner_id, created_at, last_active_at";
constexpr const char* kDeleteRoom = "DELETE FROM rooms WHERE id = ?1";
constexpr const char* kTouchRoom =
    "UPDATE rooms SET last_active_at = ?2 WHERE id = ?1 AND last_active_at < ?2";
constexpr const char* kRoomCount = "SELECT count(*) FROM rooms";
constexpr const char* kRoomsOfUser =
    "SELECT " RC_ROOM_COLUMNS ", r.last_active_at FROM rooms r WHERE r.id IN "
    "(SELECT id FROM rooms WHERE owner_id = ?1 UNION SELECT room_id FROM memberships "
    "WHERE user_id = ?1) AND r.last_active_at <= ?2 AND (r.last_active_at < ?2 OR r.id < ?3) "
    "ORDER BY r.last_active_at DESC, r.id DESC LIMIT ?4";
constexpr const char* kPublicRooms =
    "SELECT " RC_ROOM_COLUMNS ", r.last_active_at FROM rooms r WHERE r.visibility = 'public' "
    "AND r.last_active_at <= ?1 AND (r.last_active_at < ?1 OR r.id < ?2) "
    "ORDER BY r.last_active_at DESC, r.id DESC LIMIT ?3";
constexpr const char* kFavoriteRooms =
    "SELECT " RC_ROOM_COLUMNS ", f.created_at FROM favorites f JOIN rooms r ON r.id = f.room_id "
    "WHERE f.user_id = ?1 AND f.created_at <= ?2 AND (f.created_at < ?2 OR f.room_id < ?3) "
    "ORDER BY f.created_at DESC, f.room_id DESC LIMIT ?4";

constexpr const char* kIsMember =
    "SELECT count(*) FROM memberships WHERE room_id = ?1 AND user_id = ?2";
constexpr const char* kMembership =
    "SELECT EXISTS (SELECT 1 FROM memberships WHERE room_id = ?1 AND user_id = ?2), "
    "EXISTS (SELECT 1 FROM favorites WHERE user_id = ?2 AND room_id = ?1)";
constexpr const char* kAddMember =
    "INSERT INTO memberships (room_id, user_id, created_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING";
constexpr const char* kRemoveMember =
    "DELETE FROM memberships WHERE room_id = ?1 AND user_id = ?2";
// A later removal moves the time forward; an earlier one (a clock step) never
// lets older invites work again.
constexpr const char* kRecordRemoval =
    "INSERT INTO removals (room_id, user_id, removed_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (room_id, user_id) DO UPDATE SET removed_at = max(removed_at, excluded.removed_at)";
constexpr const char* kIsFavorite =
    "SELECT count(*) FROM favorites WHERE room_id = ?1 AND user_id = ?2";
constexpr const char* kAddFavorite =
    "INSERT INTO favorites (room_id, user_id, created_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING";
constexpr const char* kRemoveFavorite =
    "DELETE FROM favorites WHERE room_id = ?1 AND user_id = ?2";

constexpr const char* kPurgeInvites =
    "DELETE FROM invites WHERE room_id = ?1 AND expires_at <= ?2";
constexpr const char* kInsertInvite =
    "INSERT INTO invites (token_hash, id, room_id, created_by, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
// The room (columns 0..5), when the invite was made, and when ?3 was last
// removed from the room (NULL: never).
constexpr const char* kInviteToAccept =
    "SELECT " RC_ROOM_COLUMNS ", i.created_at, (SELECT removed_at FROM removals "
    "WHERE room_id = i.room_id AND user_id = ?3) FROM invites i JOIN rooms r ON r.id = i.room_id "
    "WHERE i.token_hash = ?1 AND i.expires_at > ?2";
constexpr const char* kInvites =
    "SELECT id, room_id, created_by, created_at, expires_at FROM invites WHERE room_id = ?1 "
    "AND expires_at > ?2 AND created_at <= ?3 AND (created_at < ?3 OR id < ?4) "
    "ORDER BY created_at DESC, id DESC LIMIT ?5";
constexpr const char* kRevokeInvite = "DELETE FROM invites WHERE room_id = ?1 AND id = ?2";

#undef RC_ROOM_COLUMNS

constexpr const char* kStickers =
    "SELECT id, key, created_at FROM stickers WHERE user_id = ?1 AND created_at <= ?2 "
    "AND (created_at < ?2 OR id < ?3) ORDER BY created_at DESC, id DESC LIMIT ?4";
// Only a key in the catalog: atomic with the collector's delete.
constexpr const char* kInsertSticker =
    "INSERT INTO stickers (id, user_id, key, created_at) SELECT ?1, ?2, ?3, ?4 "
    "WHERE EXISTS (SELECT 1 FROM blobs WHERE key = ?3) ON CONFLICT (user_id, key) DO NOTHING";
constexpr const char* kStickerByKey =
    "SELECT id, key, created_at FROM stickers WHERE user_id = ?1 AND key = ?2";
constexpr const char* kDeleteSticker = "DELETE FROM stickers WHERE id = ?1 AND user_id = ?2";

constexpr const char* kBlob =
    "SELECT key, size, content_type, created_at FROM blobs WHERE key = ?1";
constexpr const char* kRecordBlob =
    "INSERT INTO blobs (key, size, content_type, created_at, used_at) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (key) DO UPDATE SET used_at = max(used_at, excluded.used_at)";
constexpr const char* kTouchBlob = "UPDATE blobs SET used_at = max(used_at, ?2) WHERE key = ?1";
constexpr const char* kReferenceBlob =
    "INSERT INTO blob_refs (key, room_id, used_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (key, room_id) DO UPDATE SET used_at = max(used_at, excluded.used_at)";
constexpr const char* kRoomsReferencing =
    "SELECT room_id FROM blob_refs WHERE key = ?1 LIMIT ?2";
constexpr const char* kBlobHeldByUser =
    "SELECT EXISTS (SELECT 1 FROM users WHERE avatar_key = ?1) "
    "OR EXISTS (SELECT 1 FROM stickers WHERE user_id = ?2 AND key = ?1)";
constexpr const char* kStaleBlobRefs =
    "SELECT key, room_id FROM blob_refs WHERE used_at < ?1 ORDER BY used_at LIMIT ?2";
constexpr const char* kDropBlobRef =
    "DELETE FROM blob_refs WHERE key = ?1 AND room_id = ?2 AND used_at < ?3";
#define RC_BLOB_UNUSED                                                               \
  "b.used_at < ?1 AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.key = b.key) "  \
  "AND NOT EXISTS (SELECT 1 FROM stickers s WHERE s.key = b.key) "                  \
  "AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_key = b.key)"
constexpr const char* kUnusedBlobs =
    "SELECT b.key FROM blobs b WHERE " RC_BLOB_UNUSED " ORDER BY b.used_at LIMIT ?2";
constexpr const char* kForgetBlob = "DELETE FROM blobs AS b WHERE b.key = ?2 AND " RC_BLOB_UNUSED;
#undef RC_BLOB_UNUSED

constexpr const char* kUserByIdentity =
    "SELECT u.id, u.username, u.display_name, u.avatar_key FROM oidc_identities i "
    "JOIN users u ON u.id = i.user_id WHERE i.provider = ?1 AND i.subject = ?2";
constexpr const char* kIdentityOwner =
    "SELECT user_id FROM oidc_identities WHERE provider = ?1 AND subject = ?2";
constexpr const char* kIdentityAtProvider =
    "SELECT count(*) FROM oidc_identities WHERE user_id = ?1 AND provider = ?2";
constexpr const char* kInsertIdentity =
    "INSERT INTO oidc_identities (provider, subject, user_id, created_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kIdentities =
    "SELECT provider, subject, created_at FROM oidc_identities WHERE user_id = ?1 "
    "ORDER BY created_at, provider";
// The other ways the user can sign in besides `provider`: a password, other identities.
constexpr const char* kOtherSignIns =
    "SELECT (SELECT count(*) FROM users WHERE id = ?1 AND password_hash != '') + "
    "(SELECT count(*) FROM oidc_identities WHERE user_id = ?1 AND provider != ?2)";
constexpr const char* kUserExists = "SELECT count(*) FROM users WHERE id = ?1";
constexpr const char* kDeleteIdentity =
    "DELETE FROM oidc_identities WHERE user_id = ?1 AND provider = ?2";

// ---- Row readers

model::User readUser(const sql::Query& q) {
  return model::User{q.text(0), q.text(1), q.text(2), q.optText(3)};
}

// Columns 0..5 of RC_ROOM_COLUMNS.
model::Room readRoom(const sql::Query& q) {
  model::Room r;
  r.id = q.text(0);
  r.name = q.text(1);
  r.visibility = model::parseVisibility(q.text(2)).value_or(model::Visibility::kPrivate);
  r.ownerId = q.text(3);
  r.createdAt = q.int64(4);
  r.lastActiveAt = q.int64(5);
  return r;
}

std::string firstText(const sql::Query& q) { return q.text(0); }

Sticker readSticker(const sql::Query& q) { return Sticker{q.text(0), q.text(1), q.int64(2)}; }

Invite readInvite(const sql::Query& q) {
  return Invite{q.text(0), q.text(1), q.text(2), q.int64(3), q.int64(4)};
}

// Reads the one row a lookup may find: nullopt when there is none, an Error
// when the statement fails.
template <class Read>
auto one(sql::Query& q, Read read) -> Result<std::optional<decltype(read(q))>> {
  using Row = decltype(read(q));
  int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<Row>();
  if (rc != SQLITE_ROW) return q.error(rc);
  return std::optional<Row>(read(q));
}

// Runs an UPDATE ... RETURNING of at most one row. The change commits only
// when the statement runs to completion, so it is stepped to the end: a
// failed commit is reported, not lost in a reset.
template <class Read>
auto returning(sql::Query& q, Read read, const char* notFound) -> Result<decltype(read(q))> {
  int rc = q.step();
  if (rc == SQLITE_DONE) return makeError("not_found", notFound);
  if (rc != SQLITE_ROW) return q.error(rc);
  auto row = read(q);
  if (rc = q.step(); rc != SQLITE_DONE) return q.error(rc);
  return row;
}

// Reads up to limit+1 rows into `out` (the extra row only proves there are
// more, and sets hasMore). A step that fails part way is an error: a short
// page would pass for the end of the list.
template <class Read, class Row>
Result<bool> readPage(sql::Query& q, int limit, Read read, std::vector<Row>& out) {
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    if (static_cast<int>(out.size()) == limit) return true;
    out.push_back(read(q));
  }
  if (rc != SQLITE_DONE) return q.error(rc);
  return false;
}

// The first page starts above every real key.
model::Keyset startOf(const std::optional<model::Keyset>& after) {
  return after ? *after : model::Keyset{INT64_MAX, ""};
}

// Rooms with their sort time in column 6.
Result<RoomPage> readRoomPage(sql::Query& q, int limit) {
  RoomPage page;
  std::vector<std::pair<model::Room, model::Keyset>> rows;
  auto more = readPage(q, limit, [](const sql::Query& r) {
    model::Room room = readRoom(r);
    model::Keyset key{r.int64(6), room.id};
    return std::pair(std::move(room), std::move(key));
  }, rows);
  if (!more.ok()) return more.error();
  page.hasMore = *more;
  for (auto& [room, key] : rows) {
    page.rooms.push_back(std::move(room));
    page.keys.push_back(std::move(key));
  }
  return page;
}

bool isStorageFailure(const Error& e) {
  return e.code == "storage_unavailable" || e.code == "internal";
}

class SqliteMetaStore final : public MetaStore {
 public:
  explicit SqliteMetaStore(std::unique_ptr<sql::Connection> db) : db_(std::move(db)) {}

  Result<model::User> createUser(const model::User& user,
                                 const std::string& passwordHash) override {
    return guarded([&]() REQUIRES(mu_) -> Result<model::User> {
      model::User created = user;
      if (created.id.empty()) created.id = randomId();
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s.error();
      auto taken = count(kUsernameExists, user.username);
      if (!taken) return taken.error();
      if (*taken > 0) return makeError("username_taken", "username is taken");
      Status s = run(kInsertUser, created.id, created.username, created.displayName,
                     created.avatarKey, passwordHash, nowMs());
      if (!s) return s.error();
      if (s = txn.commit(); !s) return s.error();
      return created;
    });
  }

  Result<std::optional<UserRecord>> userByUsername(const std::string& username) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::optional<UserRecord>> {
      auto q = db_->query(kUserByUsername);
      if (!q) return q.error();
      q->bind(1, username);
      return one(*q, [](const sql::Query& r) { return UserRecord{readUser(r), r.text(4)}; });
    });
  }

  Result<std::optional<model::User>> userById(const std::string& id) override {
    return guarded([&]() REQUIRES(mu_) { return findUser(id); });
  }

  Result<std::vector<model::User>> usersByIds(const std::vector<std::string>& ids) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::vector<model::User>> {
      std::vector<model::User> users;
      for (const auto& id : ids) {
        auto user = findUser(id);
        if (!user.ok()) return user.error();
        if (*user) users.push_back(std::move(**user));
      }
      return users;
    });
  }

  Result<model::User> updateUser(const std::string& id,
                                 const std::optional<std::string>& displayName,
                                 const std::optional<std::string>& avatarKey) override {
    return guarded([&]() REQUIRES(mu_) -> Result<model::User> {
      // Under the mutex, so no collection runs between the check and the update.
      if (avatarKey && !avatarKey->empty()) {
        auto known = exists(kBlobKnown, *avatarKey);
        if (!known.ok()) return known.error();
        if (!*known) return makeError("not_found", "the avatar image was not uploaded");
      }
      auto q = db_->query(kUpdateUser);
      if (!q) return q.error();
      q->bind(1, id).bind(2, displayName).bind(3, avatarKey);
      return returning(*q, readUser, "unknown user");
    });
  }

  Status createSession(const std::string& tokenHash, const std::string& userId, int64_t createdAt,
                       int64_t expiresAt) override {
    return guarded([&]() REQUIRES(mu_) -> Status {
      // Expired sessions are never read again; a sign-in sweeps the user's.
      if (Status s = run(kPurgeSessions, userId, createdAt); !s) return s;
      return run(kInsertSession, tokenHash, userId, createdAt, expiresAt);
    });
  }

  Result<std::optional<SessionRecord>> sessionByHash(const std::string& tokenHash,
                                                     int64_t now) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::optional<SessionRecord>> {
      auto q = db_->query(kSessionByHash);
      if (!q) return q.error();
      q->bind(1, tokenHash).bind(2, now);
      return one(*q, [](const sql::Query& r) { return SessionRecord{r.text(0), r.int64(1)}; });
    });
  }

  Status deleteSession(const std::string& tokenHash) override {
    return guarded([&]() REQUIRES(mu_) { return run(kDeleteSession, tokenHash); });
  }

  Status createRoom(const model::Room& room, int maxOwned) override {
    return guarded([&]() REQUIRES(mu_) -> Status {
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s;
      auto owned = count(kOwnedCount, room.ownerId, int64_t{maxOwned});
      if (!owned) return owned.error();
      if (*owned >= maxOwned) {
        return makeError("room_limit", "at most " + std::to_string(maxOwned) + " rooms per owner");
      }
      Status s = run(kInsertRoom, room.id, room.name, model::toString(room.visibility),
                     room.ownerId, room.createdAt, room.lastActiveAt);
      if (!s) return s;
      return txn.commit();
    });
  }

  Result<std::optional<model::Room>> roomById(const std::string& id) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::optional<model::Room>> {
      auto q = db_->query(kRoomById);
      if (!q) return q.error();
      q->bind(1, id);
      return one(*q, readRoom);
    });
  }

  Result<model::Room> updateRoom(const std::string& id, const std::optional<std::string>& name,
                                 const std::optional<model::Visibility>& visibility) override {
    return guarded([&]() REQUIRES(mu_) -> Result<model::Room> {
      auto q = db_->query(kUpdateRoom);
      if (!q) return q.error();
      q->bind(1, id).bind(2, name);
      if (visibility) q->bind(3, model::toString(*visibility));
      return returning(*q, readRoom, "unknown room");
    });
  }

  Status deleteRoom(const std::string& id) override {
    return guarded([&]() REQUIRES(mu_) -> Status {
      if (Status s = run(kDeleteRoom, id); !s) return s;  // cascades, see the top
      if (db_->changes() == 0) return makeError("not_found", "unknown room");
      return Ok{};
    });
  }

  Status touchRoom(const std::string& id, int64_t at) override {
    return guarded([&]() REQUIRES(mu_) { return run(kTouchRoom, id, at); });
  }

  Result<int64_t> roomCount() override {
    return guarded([&]() REQUIRES(mu_) { return count(kRoomCount); });
  }

  Result<RoomPage> roomsOfUser(const std::string& userId, const std::optional<model::Keyset>& after,
                               int limit) override {
    return guarded([&]() REQUIRES(mu_) -> Result<RoomPage> {
      model::Keyset start = startOf(after);
      auto q = db_->query(kRoomsOfUser);
      if (!q) return q.error();
      q->bind(1, userId).bind(2, start.at).bind(3, start.id).bind(4, fetchCount(limit));
      return readRoomPage(*q, limit);
    });
  }

  Result<RoomPage> publicRooms(const std::optional<model::Keyset>& after, int limit) override {
    return guarded([&]() REQUIRES(mu_) -> Result<RoomPage> {
      model::Keyset start = startOf(after);
      auto q = db_->query(kPublicRooms);
      if (!q) return q.error();
      q->bind(1, start.at).bind(2, start.id).bind(3, fetchCount(limit));
      return readRoomPage(*q, limit);
    });
  }

  Result<RoomPage> favoriteRooms(const std::string& userId,
                                 const std::optional<model::Keyset>& after, int limit) override {
    return guarded([&]() REQUIRES(mu_) -> Result<RoomPage> {
      model::Keyset start = startOf(after);
      auto q = db_->query(kFavoriteRooms);
      if (!q) return q.error();
      q->bind(1, userId).bind(2, start.at).bind(3, start.id).bind(4, fetchCount(limit));
      return readRoomPage(*q, limit);
    });
  }

  Result<bool> isMember(const std::string& roomId, const std::string& userId) override {
    return guarded([&]() REQUIRES(mu_) { return exists(kIsMember, roomId, userId); });
  }

  Result<Membership> membership(const std::string& roomId, const std::string& userId) override {
    return guarded([&]() REQUIRES(mu_) -> Result<Membership> {
      auto q = db_->query(kMembership);
      if (!q) return q.error();
      q->bind(1, roomId).bind(2, userId);
      auto row = one(*q, [](const sql::Query& r) {
        return Membership{r.int64(0) != 0, r.int64(1) != 0};
      });
      if (!row.ok()) return row.error();
      return row->value_or(Membership{});  // the query always answers one row
    });
  }

  Status addMember(const std::string& roomId, const std::string& userId, int64_t at) override {
    return guarded([&]() REQUIRES(mu_) { return run(kAddMember, roomId, userId, at); });
  }

  Result<bool> removeMember(const std::string& roomId, const std::string& userId,
                            int64_t at) override {
    return guarded([&]() REQUIRES(mu_) -> Result<bool> {
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s.error();
      if (Status s = run(kRemoveMember, roomId, userId); !s) return s.error();
      const bool removed = db_->changes() > 0;
      if (Status s = run(kRecordRemoval, roomId, userId, at); !s) return s.error();
      if (Status s = txn.commit(); !s) return s.error();
      return removed;
    });
  }

  Result<bool> isFavorite(const std::string& roomId, const std::string& userId) override {
    return guarded([&]() REQUIRES(mu_) { return exists(kIsFavorite, roomId, userId); });
  }

  // Favoriting again keeps the original time, so the list order is stable.
  Status setFavorite(const std::string& roomId, const std::string& userId, bool favorite,
                     int64_t at) override {
    return guarded([&]() REQUIRES(mu_) {
      return favorite ? run(kAddFavorite, roomId, userId, at)
                      : run(kRemoveFavorite, roomId, userId);
    });
  }

  Status createInvite(const Invite& invite, const std::string& tokenHash) override {
    return guarded([&]() REQUIRES(mu_) -> Status {
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s;
      if (Status s = run(kPurgeInvites, invite.roomId, invite.createdAt); !s) return s;
      Status s = run(kInsertInvite, tokenHash, invite.id, invite.roomId, invite.createdBy,
                     invite.createdAt, invite.expiresAt);
      if (!s) return s;
      return txn.commit();
    });
  }

  Result<model::Room> acceptInvite(const std::string& tokenHash, const std::string& userId,
                                   int64_t now) override {
    return guarded([&]() REQUIRES(mu_) -> Result<model::Room> {
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s.error();
      auto q = db_->query(kInviteToAccept);
      if (!q) return q.error();
      q->bind(1, tokenHash).bind(2, now).bind(3, userId);
      struct Found {
        model::Room room;
        int64_t invitedAt;
        std::optional<int64_t> removedAt;
      };
      auto found = one(*q, [](const sql::Query& r) {
        return Found{readRoom(r), r.int64(6), r.optInt64(7)};
      });
      if (!found.ok()) return found.error();
      if (!*found) return makeError("not_found", "this invite is unknown or has expired");
      const Found& f = **found;
      if (f.removedAt && *f.removedAt >= f.invitedAt)
        return makeError("forbidden",
                         "you were removed from this room; ask its owner for a new invite");
      if (f.room.ownerId != userId) {
        if (Status s = run(kAddMember, f.room.id, userId, now); !s) return s.error();
      }
      if (Status s = txn.commit(); !s) return s.error();
      return f.room;
    });
  }

  Result<InvitePage> invites(const std::string& roomId, int64_t now,
                             const std::optional<model::Keyset>& after, int limit) override {
    return guarded([&]() REQUIRES(mu_) -> Result<InvitePage> {
      model::Keyset start = startOf(after);
      auto q = db_->query(kInvites);
      if (!q) return q.error();
      q->bind(1, roomId).bind(2, now).bind(3, start.at).bind(4, start.id);
      q->bind(5, fetchCount(limit));
      InvitePage page;
      auto more = readPage(*q, limit, readInvite, page.invites);
      if (!more.ok()) return more.error();
      page.hasMore = *more;
      return page;
    });
  }

  Result<bool> revokeInvite(const std::string& roomId, const std::string& inviteId) override {
    return guarded([&]() REQUIRES(mu_) -> Result<bool> {
      if (Status s = run(kRevokeInvite, roomId, inviteId); !s) return s.error();
      return db_->changes() > 0;
    });
  }

  Result<StickerPage> stickers(const std::string& userId, const std::optional<model::Keyset>& after,
                               int limit) override {
    return guarded([&]() REQUIRES(mu_) -> Result<StickerPage> {
      model::Keyset start = startOf(after);
      auto q = db_->query(kStickers);
      if (!q) return q.error();
      q->bind(1, userId).bind(2, start.at).bind(3, start.id).bind(4, fetchCount(limit));
      StickerPage page;
      auto more = readPage(*q, limit, readSticker, page.stickers);
      if (!more.ok()) return more.error();
      page.hasMore = *more;
      return page;
    });
  }

  Result<Sticker> addSticker(const std::string& userId, const std::string& key,
                             int64_t at) override {
    return guarded([&]() REQUIRES(mu_) -> Result<Sticker> {
      if (Status s = run(kInsertSticker, randomId(), userId, key, at); !s) return s.error();
      auto q = db_->query(kStickerByKey);
      if (!q) return q.error();
      q->bind(1, userId).bind(2, key);
      auto sticker = one(*q, readSticker);
      if (!sticker.ok()) return sticker.error();
      // Neither inserted nor already there: the key is not in the catalog.
      if (!*sticker) return makeError("not_found", "the image was not uploaded");
      return std::move(**sticker);
    });
  }

  Result<bool> deleteSticker(const std::string& userId, const std::string& stickerId) override {
    return guarded([&]() REQUIRES(mu_) -> Result<bool> {
      if (Status s = run(kDeleteSticker, stickerId, userId); !s) return s.error();
      return db_->changes() > 0;
    });
  }

  Result<std::optional<BlobRecord>> blob(const std::string& key) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::optional<BlobRecord>> {
      auto q = db_->query(kBlob);
      if (!q) return q.error();
      q->bind(1, key);
      return one(*q, [](const sql::Query& r) {
        return BlobRecord{r.text(0), r.int64(1), r.text(2), r.int64(3)};
      });
    });
  }

  Status recordBlob(const BlobRecord& b, int64_t at) override {
    return guarded([&]() REQUIRES(mu_) {
      return run(kRecordBlob, b.key, b.size, b.contentType, b.createdAt, at);
    });
  }

  Result<bool> touchBlob(const std::string& key, int64_t at) override {
    return guarded([&]() REQUIRES(mu_) -> Result<bool> {
      if (Status s = run(kTouchBlob, key, at); !s) return s.error();
      return db_->changes() > 0;
    });
  }

  Result<std::optional<std::string>> referenceBlobs(const std::string& roomId,
                                                    const std::vector<std::string>& keys,
                                                    int64_t at) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::optional<std::string>> {
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s.error();
      for (const auto& key : keys) {
        if (Status s = run(kTouchBlob, key, at); !s) return s.error();
        if (db_->changes() == 0) return std::optional<std::string>(key);  // rolled back
        if (Status s = run(kReferenceBlob, key, roomId, at); !s) return s.error();
      }
      if (Status s = txn.commit(); !s) return s.error();
      return std::optional<std::string>();
    });
  }

  Result<std::vector<std::string>> roomsReferencing(const std::string& key, int limit) override {
    return guarded([&]() REQUIRES(mu_) {
      return rows(kRoomsReferencing, limit, firstText, key, int64_t{limit});
    });
  }

  Result<bool> blobHeldByUser(const std::string& key, const std::string& userId) override {
    return guarded([&]() REQUIRES(mu_) { return exists(kBlobHeldByUser, key, userId); });
  }

  Result<std::vector<BlobRef>> staleBlobRefs(int64_t before, int limit) override {
    return guarded([&]() REQUIRES(mu_) {
      return rows(kStaleBlobRefs, limit,
                  [](const sql::Query& r) { return BlobRef{r.text(0), r.text(1)}; }, before,
                  int64_t{limit});
    });
  }

  Status dropBlobRef(const BlobRef& ref, int64_t before) override {
    return guarded([&]() REQUIRES(mu_) { return run(kDropBlobRef, ref.key, ref.roomId, before); });
  }

  Result<std::vector<std::string>> unusedBlobs(int64_t before, int limit) override {
    return guarded([&]() REQUIRES(mu_) {
      return rows(kUnusedBlobs, limit, firstText, before, int64_t{limit});
    });
  }

  Result<bool> forgetBlobIfUnused(const std::string& key, int64_t before) override {
    return guarded([&]() REQUIRES(mu_) -> Result<bool> {
      if (Status s = run(kForgetBlob, before, key); !s) return s.error();
      return db_->changes() > 0;
    });
  }

  Result<std::optional<model::User>> userByIdentity(const std::string& provider,
                                                    const std::string& subject) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::optional<model::User>> {
      auto q = db_->query(kUserByIdentity);
      if (!q) return q.error();
      q->bind(1, provider).bind(2, subject);
      return one(*q, readUser);
    });
  }

  Result<model::User> createUserWithIdentity(const model::User& user,
                                             const Identity& identity) override {
    return guarded([&]() REQUIRES(mu_) -> Result<model::User> {
      model::User created = user;
      if (created.id.empty()) created.id = randomId();
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s.error();
      auto taken = count(kUsernameExists, user.username);
      if (!taken) return taken.error();
      if (*taken > 0) return makeError("username_taken", "username is taken");
      auto owned = count(kIdentityOwner, identity.provider, identity.subject);
      if (!owned) return owned.error();
      if (*owned > 0) return makeError("conflict", "the identity is already linked");
      Status s = run(kInsertUser, created.id, created.username, created.displayName,
                     created.avatarKey, std::string(), identity.createdAt);
      if (!s) return s.error();
      s = run(kInsertIdentity, identity.provider, identity.subject, created.id,
              identity.createdAt);
      if (!s) return s.error();
      if (s = txn.commit(); !s) return s.error();
      return created;
    });
  }

  Status linkIdentity(const std::string& userId, const Identity& identity) override {
    return guarded([&]() REQUIRES(mu_) -> Status {
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s;
      auto known = count(kUserExists, userId);
      if (!known) return known.error();
      if (*known == 0) return makeError("not_found", "unknown user");
      auto q = db_->query(kIdentityOwner);
      if (!q) return q.error();
      q->bind(1, identity.provider).bind(2, identity.subject);
      auto owner = one(*q, [](const sql::Query& r) { return r.text(0); });
      if (!owner.ok()) return owner.error();
      if (*owner) {
        if (**owner != userId) return makeError("conflict", "the identity is another user's");
        return Ok{};
      }
      auto atProvider = count(kIdentityAtProvider, userId, identity.provider);
      if (!atProvider) return atProvider.error();
      if (*atProvider > 0)
        return makeError("conflict", "another account of this provider is already linked");
      Status s = run(kInsertIdentity, identity.provider, identity.subject, userId,
                     identity.createdAt);
      if (!s) return s;
      return txn.commit();
    });
  }

  Result<std::vector<Identity>> identities(const std::string& userId) override {
    return guarded([&]() REQUIRES(mu_) -> Result<std::vector<Identity>> {
      auto q = db_->query(kIdentities);
      if (!q) return q.error();
      q->bind(1, userId);
      std::vector<Identity> out;
      auto more = readPage(*q, INT32_MAX, [](const sql::Query& r) {
        return Identity{r.text(0), r.text(1), r.int64(2)};
      }, out);
      if (!more.ok()) return more.error();
      return out;
    });
  }

  Result<bool> unlinkIdentity(const std::string& userId, const std::string& provider) override {
    return guarded([&]() REQUIRES(mu_) -> Result<bool> {
      sql::Transaction txn(*db_);
      if (Status s = txn.beginImmediate(); !s) return s.error();
      auto linked = count(kIdentityAtProvider, userId, provider);
      if (!linked) return linked.error();
      if (*linked == 0) return false;
      auto others = count(kOtherSignIns, userId, provider);
      if (!others) return others.error();
      if (*others == 0)
        return makeError("last_sign_in_method",
                         "this is the account's only way to sign in; set a password or link "
                         "another provider first");
      if (Status s = run(kDeleteIdentity, userId, provider); !s) return s.error();
      if (Status s = txn.commit(); !s) return s.error();
      return true;
    });
  }

  // A failed backup leaves no partial copy behind (the previous one stays).
  Status backupTo(const std::string& file) override {
    Status s = copyInSteps(file);
    if (s.ok()) return s;
    std::remove((file + ".partial").c_str());
    if (isStorageFailure(s.error())) metrics().metaStoreErrors.inc();
    return s;
  }

 private:
  static int64_t fetchCount(int limit) { return static_cast<int64_t>(std::max(limit, 0)) + 1; }

  // Runs `body` (a public method's work) under the mutex, and counts the
  // storage failure it answers, if any.
  // `body` is a lambda declared REQUIRES(mu_), so the analysis checks both
  // that it runs under the lock and what it touches.
  template <class Body>
  auto guarded(Body body) -> decltype(body()) {
    MutexLock lock(mu_);
    auto result = body();
    if (!result.ok() && isStorageFailure(result.error())) metrics().metaStoreErrors.inc();
    return result;
  }

  // Binds args to ?1, ?2, ... in order.
  template <class... Args>
  static void bindAll(sql::Query& q, const Args&... args) {
    int i = 0;
    (q.bind(++i, args), ...);
  }

  template <class... Args>
  Status run(const char* sqlText, const Args&... args) REQUIRES(mu_) {
    auto q = db_->query(sqlText);
    if (!q) return q.error();
    bindAll(*q, args...);
    return q->run();
  }

  // Up to `limit` rows of a statement whose last parameter is its LIMIT.
  template <class Read, class... Args,
            class Row = std::invoke_result_t<Read, const sql::Query&>>
  Result<std::vector<Row>> rows(const char* sqlText, int limit, Read read, const Args&... args)
      REQUIRES(mu_) {
    auto q = db_->query(sqlText);
    if (!q) return q.error();
    bindAll(*q, args...);
    std::vector<Row> out;
    auto more = readPage(*q, limit, read, out);
    if (!more.ok()) return more.error();
    return out;
  }

  // For "SELECT count(*) ..." statements.
  template <class... Args>
  Result<int64_t> count(const char* sqlText, const Args&... args) REQUIRES(mu_) {
    auto q = db_->query(sqlText);
    if (!q) return q.error();
    bindAll(*q, args...);
    return q->scalar();
  }

  template <class... Args>
  Result<bool> exists(const char* sqlText, const Args&... args) REQUIRES(mu_) {
    auto n = count(sqlText, args...);
    if (!n.ok()) return n.error();
    return *n > 0;
  }

  Result<std::optional<model::User>> findUser(const std::string& id) REQUIRES(mu_) {
    auto q = db_->query(kUserById);
    if (!q) return q.error();
    q->bind(1, id);
    return one(*q, readUser);
  }

  Status copyInSteps(const std::string& file) EXCLUDES(mu_);

  Mutex mu_;
  std::unique_ptr<sql::Connection> db_ GUARDED_BY(mu_);
};

// Copies into a temporary file and renames it into place, so `file` is
// always either the previous backup or a complete new one. The copy goes in
// steps with the mutex released in between, so callers are not stalled for
// the whole copy; writes made meanwhile through this same connection are
// carried into the backup by SQLite.
Status SqliteMetaStore::copyInSteps(const std::string& file) {
  constexpr int kPagesPerStep = 256;
  constexpr int kMaxBusyRetries = 500;
  std::string partial = file + ".partial";
  auto dest = sql::Connection::open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dest) return dest.error();
  sqlite3* to = (*dest)->raw();
  sqlite3_backup* backup;
  {
    MutexLock lock(mu_);
    backup = sqlite3_backup_init(to, "main", db_->raw(), "main");
  }
  if (backup == nullptr) return sql::errorFrom(to, sqlite3_errcode(to));
  int rc = SQLITE_OK;
  for (int busy = 0; busy < kMaxBusyRetries;) {
    {
      MutexLock lock(mu_);
      rc = sqlite3_backup_step(backup, kPagesPerStep);
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    if (rc != SQLITE_OK) {  // another process holds the file: wait a little
      ++busy;
      sqlite3_sleep(10);
    }
  }
  {
    MutexLock lock(mu_);
    sqlite3_backup_finish(backup);
  }
  if (rc != SQLITE_DONE) return sql::errorFrom(nullptr, rc);
  dest->reset();  // close before the rename
  if (std::rename(partial.c_str(), file.c_str()) != 0) {
    return makeError("storage_unavailable", "cannot rename the backup into " + file);
  }
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<MetaStore>> openSqliteMetaStore(const std::string& file) {
  auto db = sql::Connection::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  if (Status s = sql::configure(**db, /*synchronousFull=*/false); !s) return s.error();
  if (Status s = sql::migrate(**db, kMigrations); !s) return s.error();
  return std::unique_ptr<MetaStore>(new SqliteMetaStore(std::move(*db)));
}

}  // namespace roomchat::store
