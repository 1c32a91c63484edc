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
// Integrity: memberships, favorites and invites reference rooms(id) with ON
// DELETE CASCADE, so deleting a room removes them in the same statement.
// User ids are not foreign keys (users are never deleted).
//
// Reads that answer optional/bool/vector cannot report a storage failure
// through the interface; they answer "nothing" instead.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <mutex>

#include "base/ids.h"
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

#undef RC_ROOM_COLUMNS

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
constexpr const char* kIsFavorite =
    "SELECT count(*) FROM favorites WHERE room_id = ?1 AND user_id = ?2";
constexpr const char* kAddFavorite =
    "INSERT INTO favorites (room_id, user_id, created_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING";
constexpr const char* kRemoveFavorite =
    "DELETE FROM favorites WHERE room_id = ?1 AND user_id = ?2";

constexpr const char* kInsertInvite =
    "INSERT INTO invites (token_hash, room_id, created_by, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kInviteRoom =
    "SELECT room_id FROM invites WHERE token_hash = ?1 AND expires_at > ?2";

constexpr const char* kStickers =
    "SELECT id, key, created_at FROM stickers WHERE user_id = ?1 AND created_at <= ?2 "
    "AND (created_at < ?2 OR id < ?3) ORDER BY created_at DESC, id DESC LIMIT ?4";
constexpr const char* kInsertSticker =
    "INSERT INTO stickers (id, user_id, key, created_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (user_id, key) DO NOTHING";
constexpr const char* kStickerByKey =
    "SELECT id, key, created_at FROM stickers WHERE user_id = ?1 AND key = ?2";
constexpr const char* kDeleteSticker = "DELETE FROM stickers WHERE id = ?1 AND user_id = ?2";

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

Sticker readSticker(const sql::Query& q) { return Sticker{q.text(0), q.text(1), q.int64(2)}; }

// The first page starts above every real key.
model::Keyset startOf(const std::optional<model::Keyset>& after) {
  return after ? *after : model::Keyset{INT64_MAX, ""};
}

// Reads up to limit+1 rooms (column 6 = the sort time); the extra row only
// proves there are more.
RoomPage readRoomPage(sql::Query& q, int limit) {
  RoomPage page;
  while (q.step() == SQLITE_ROW) {
    if (static_cast<int>(page.rooms.size()) == limit) {
      page.hasMore = true;
      break;
    }
    page.rooms.push_back(readRoom(q));
    page.keys.push_back(model::Keyset{q.int64(6), page.rooms.back().id});
  }
  return page;
}

class SqliteMetaStore final : public MetaStore {
 public:
  explicit SqliteMetaStore(std::unique_ptr<sql::Connection> db) : db_(std::move(db)) {}

  Result<model::User> createUser(const model::User& user,
                                 const std::string& passwordHash) override {
    std::lock_guard lock(mu_);
    model::User created = user;
    if (created.id.empty()) created.id = randomId();
    sql::Transaction txn(*db_);
    if (Status s = txn.beginImmediate(); !s) return s.error();
    auto taken = count(kUsernameExists, user.username);
    if (!taken) return taken.error();
    if (*taken > 0) return makeError("username_taken", "username is taken");
    auto q = db_->query(kInsertUser);
    if (!q) return q.error();
    q->bind(1, created.id).bind(2, created.username).bind(3, created.displayName);
    q->bind(4, created.avatarKey).bind(5, passwordHash).bind(6, nowMs());
    if (Status s = q->run(); !s) return s.error();
    if (Status s = txn.commit(); !s) return s.error();
    return created;
  }

  std::optional<UserRecord> userByUsername(const std::string& username) override {
    std::lock_guard lock(mu_);
    auto q = db_->query(kUserByUsername);
    if (!q) return std::nullopt;
    q->bind(1, username);
    if (q->step() != SQLITE_ROW) return std::nullopt;
    return UserRecord{readUser(*q), q->text(4)};
  }

  std::optional<model::User> userById(const std::string& id) override {
    std::lock_guard lock(mu_);
    return findUser(id);
  }

  std::vector<model::User> usersByIds(const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    std::vector<model::User> users;
    for (const auto& id : ids) {
      if (auto user = findUser(id)) users.push_back(std::move(*user));
    }
    return users;
  }

  Result<model::User> updateUser(const std::string& id,
                                 const std::optional<std::string>& displayName,
                                 const std::optional<std::string>& avatarKey) override {
    std::lock_guard lock(mu_);
    auto q = db_->query(kUpdateUser);
    if (!q) return q.error();
    q->bind(1, id).bind(2, displayName).bind(3, avatarKey);
    return returning(*q, readUser, "unknown user");
  }

  Status createSession(const std::string& tokenHash, const std::string& userId, int64_t createdAt,
                       int64_t expiresAt) override {
    std::lock_guard lock(mu_);
    // Expired sessions are never read again; a sign-in sweeps the user's.
    if (Status s = run(kPurgeSessions, userId, createdAt); !s) return s;
    return run(kInsertSession, tokenHash, userId, createdAt, expiresAt);
  }

  std::optional<SessionRecord> sessionByHash(const std::string& tokenHash, int64_t now) override {
    std::lock_guard lock(mu_);
    auto q = db_->query(kSessionByHash);
    if (!q) return std::nullopt;
    q->bind(1, tokenHash).bind(2, now);
    if (q->step() != SQLITE_ROW) return std::nullopt;
    return SessionRecord{q->text(0), q->int64(1)};
  }

  void deleteSession(const std::string& tokenHash) override {
    std::lock_guard lock(mu_);
    (void)run(kDeleteSession, tokenHash);
  }

  Status createRoom(const model::Room& room, int maxOwned) override {
    std::lock_guard lock(mu_);
    sql::Transaction txn(*db_);
    if (Status s = txn.beginImmediate(); !s) return s;
    auto owned = count(kOwnedCount, room.ownerId, int64_t{maxOwned});
    if (!owned) return owned.error();
    if (*owned >= maxOwned) {
      return makeError("room_limit", "at most " + std::to_string(maxOwned) + " rooms per owner");
    }
    Status s = run(kInsertRoom, room.id, room.name, model::toString(room.visibility), room.ownerId,
                   room.createdAt, room.lastActiveAt);
    if (!s) return s;
    return txn.commit();
  }

  std::optional<model::Room> roomById(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto q = db_->query(kRoomById);
    if (!q) return std::nullopt;
    q->bind(1, id);
    if (q->step() != SQLITE_ROW) return std::nullopt;
    return readRoom(*q);
  }

  Result<model::Room> updateRoom(const std::string& id, const std::optional<std::string>& name,
                                 const std::optional<model::Visibility>& visibility) override {
    std::lock_guard lock(mu_);
    auto q = db_->query(kUpdateRoom);
    if (!q) return q.error();
    q->bind(1, id).bind(2, name);
    if (visibility) q->bind(3, model::toString(*visibility));
    return returning(*q, readRoom, "unknown room");
  }

  Status deleteRoom(const std::string& id) override {
    std::lock_guard lock(mu_);
    if (Status s = run(kDeleteRoom, id); !s) return s;  // cascades, see the top
    if (db_->changes() == 0) return makeError("not_found", "unknown room");
    return Ok{};
  }

  void touchRoom(const std::string& id, int64_t at) override {
    std::lock_guard lock(mu_);
    (void)run(kTouchRoom, id, at);
  }

  int64_t roomCount() override {
    std::lock_guard lock(mu_);
    auto n = count(kRoomCount);
    return n.ok() ? *n : 0;
  }

  RoomPage roomsOfUser(const std::string& userId, const std::optional<model::Keyset>& after,
                       int limit) override {
    std::lock_guard lock(mu_);
    model::Keyset start = startOf(after);
    auto q = db_->query(kRoomsOfUser);
    if (!q) return {};
    q->bind(1, userId).bind(2, start.at).bind(3, start.id).bind(4, fetchCount(limit));
    return readRoomPage(*q, limit);
  }

  RoomPage publicRooms(const std::optional<model::Keyset>& after, int limit) override {
    std::lock_guard lock(mu_);
    model::Keyset start = startOf(after);
    auto q = db_->query(kPublicRooms);
    if (!q) return {};
    q->bind(1, start.at).bind(2, start.id).bind(3, fetchCount(limit));
    return readRoomPage(*q, limit);
  }

  RoomPage favoriteRooms(const std::string& userId, const std::optional<model::Keyset>& after,
                         int limit) override {
    std::lock_guard lock(mu_);
    model::Keyset start = startOf(after);
    auto q = db_->query(kFavoriteRooms);
    if (!q) return {};
    q->bind(1, userId).bind(2, start.at).bind(3, start.id).bind(4, fetchCount(limit));
    return readRoomPage(*q, limit);
  }

  bool isMember(const std::string& roomId, const std::string& userId) override {
    std::lock_guard lock(mu_);
    auto n = count(kIsMember, roomId, userId);
    return n.ok() && *n > 0;
  }

  Membership membership(const std::string& roomId, const std::string& userId) override {
    std::lock_guard lock(mu_);
    auto q = db_->query(kMembership);
    if (!q) return {};
    q->bind(1, roomId).bind(2, userId);
    if (q->step() != SQLITE_ROW) return {};
    return Membership{q->int64(0) != 0, q->int64(1) != 0};
  }

  void addMember(const std::string& roomId, const std::string& userId, int64_t at) override {
    std::lock_guard lock(mu_);
    (void)run(kAddMember, roomId, userId, at);
  }

  bool removeMember(const std::string& roomId, const std::string& userId) override {
    std::lock_guard lock(mu_);
    return run(kRemoveMember, roomId, userId).ok() && db_->changes() > 0;
  }

  bool isFavorite(const std::string& roomId, const std::string& userId) override {
    std::lock_guard lock(mu_);
    auto n = count(kIsFavorite, roomId, userId);
    return n.ok() && *n > 0;
  }

  // Favoriting again keeps the original time, so the list order is stable.
  void setFavorite(const std::string& roomId, const std::string& userId, bool favorite,
                   int64_t at) override {
    std::lock_guard lock(mu_);
    if (favorite) {
      (void)run(kAddFavorite, roomId, userId, at);
    } else {
      (void)run(kRemoveFavorite, roomId, userId);
    }
  }

  Status createInvite(const std::string& tokenHash, const std::string& roomId,
                      const std::string& createdBy, int64_t createdAt,
                      int64_t expiresAt) override {
    std::lock_guard lock(mu_);
    return run(kInsertInvite, tokenHash, roomId, createdBy, createdAt, expiresAt);
  }

  std::optional<std::string> inviteRoom(const std::string& tokenHash, int64_t now) override {
    std::lock_guard lock(mu_);
    auto q = db_->query(kInviteRoom);
    if (!q) return std::nullopt;
    q->bind(1, tokenHash).bind(2, now);
    if (q->step() != SQLITE_ROW) return std::nullopt;
    return q->text(0);
  }

  StickerPage stickers(const std::string& userId, const std::optional<model::Keyset>& after,
                       int limit) override {
    std::lock_guard lock(mu_);
    model::Keyset start = startOf(after);
    auto q = db_->query(kStickers);
    if (!q) return {};
    q->bind(1, userId).bind(2, start.at).bind(3, start.id).bind(4, fetchCount(limit));
    StickerPage page;
    while (q->step() == SQLITE_ROW) {
      if (static_cast<int>(page.stickers.size()) == limit) {
        page.hasMore = true;
        break;
      }
      page.stickers.push_back(readSticker(*q));
    }
    return page;
  }

  // On a storage failure the answer has an empty id.
  Sticker addSticker(const std::string& userId, const std::string& key, int64_t at) override {
    std::lock_guard lock(mu_);
    if (!run(kInsertSticker, randomId(), userId, key, at)) return Sticker{};
    auto q = db_->query(kStickerByKey);
    if (!q) return Sticker{};
    q->bind(1, userId).bind(2, key);
    if (q->step() != SQLITE_ROW) return Sticker{};
    return readSticker(*q);
  }

  bool deleteSticker(const std::string& userId, const std::string& stickerId) override {
    std::lock_guard lock(mu_);
    return run(kDeleteSticker, stickerId, userId).ok() && db_->changes() > 0;
  }

  Status backupTo(const std::string& file) override;

 private:
  static int64_t fetchCount(int limit) { return static_cast<int64_t>(std::max(limit, 0)) + 1; }

  // Binds args to ?1, ?2, ... in order.
  template <class... Args>
  static void bindAll(sql::Query& q, const Args&... args) {
    int i = 0;
    (q.bind(++i, args), ...);
  }

  // REQUIRES: mu_ held.
  template <class... Args>
  Status run(const char* sqlText, const Args&... args) {
    auto q = db_->query(sqlText);
    if (!q) return q.error();
    bindAll(*q, args...);
    return q->run();
  }

  // REQUIRES: mu_ held. For "SELECT count(*) ..." statements.
  template <class... Args>
  Result<int64_t> count(const char* sqlText, const Args&... args) {
    auto q = db_->query(sqlText);
    if (!q) return q.error();
    bindAll(*q, args...);
    return q->scalar();
  }

  // REQUIRES: mu_ held.
  std::optional<model::User> findUser(const std::string& id) {
    auto q = db_->query(kUserById);
    if (!q) return std::nullopt;
    q->bind(1, id);
    if (q->step() != SQLITE_ROW) return std::nullopt;
    return readUser(*q);
  }

  std::mutex mu_;
  std::unique_ptr<sql::Connection> db_;  // guarded by mu_
};

// Copies into a temporary file and renames it into place, so `file` is
// always either the previous backup or a complete new one. The copy goes in
// steps with the mutex released in between, so callers are not stalled for
// the whole copy; writes made meanwhile through this same connection are
// carried into the backup by SQLite.
Status SqliteMetaStore::backupTo(const std::string& file) {
  constexpr int kPagesPerStep = 256;
  constexpr int kMaxBusyRetries = 500;
  std::string partial = file + ".partial";
  auto dest = sql::Connection::open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dest) return dest.error();
  sqlite3* to = (*dest)->raw();
  sqlite3_backup* backup;
  {
    std::lock_guard lock(mu_);
    backup = sqlite3_backup_init(to, "main", db_->raw(), "main");
  }
  if (backup == nullptr) return sql::errorFrom(to, sqlite3_errcode(to));
  int rc = SQLITE_OK;
  for (int busy = 0; busy < kMaxBusyRetries;) {
    {
      std::lock_guard lock(mu_);
      rc = sqlite3_backup_step(backup, kPagesPerStep);
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    if (rc != SQLITE_OK) {  // another process holds the file: wait a little
      ++busy;
      sqlite3_sleep(10);
    }
  }
  {
    std::lock_guard lock(mu_);
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
