#include "store/room_store.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <system_error>

#include "base/thread_annotations.h"
#include "store/fts_query.h"
#include "store/sqlite.h"

namespace roomchat::store {

namespace fs = std::filesystem;

namespace {

// Schema steps; step i moves PRAGMA user_version from i to i+1. Never edit a
// shipped step: append a new one.
//
// The FTS table is an external-content index over messages.text kept in step
// by triggers, so every write path (append, edit, delete) maintains it inside
// the same transaction. Only live (not deleted) messages with text are
// indexed; an external-content 'delete' must repeat exactly what was indexed,
// hence the matching conditions in the update trigger. Deletes and inserts
// run in one trigger because SQLite does not promise an order between
// triggers, and the old tokens must leave before the new ones arrive.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  author_kind TEXT NOT NULL,
  author_id TEXT,
  kind TEXT NOT NULL,
  text TEXT,
  images TEXT,              -- blob keys (64 hex) joined by ' ', NULL for none
  reply_seq INTEGER,        -- NULL when not a reply
  reply_author_id TEXT,
  reply_kind TEXT,
  reply_snippet TEXT,
  created_at INTEGER NOT NULL,
  edited_at INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0,
  client_id TEXT
);
CREATE UNIQUE INDEX messages_client ON messages(author_id, client_id)
  WHERE client_id IS NOT NULL;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, content='messages', content_rowid='seq',
  tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.deleted = 0 AND new.text IS NOT NULL BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (new.seq, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.deleted = 0 AND old.text IS NOT NULL BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text)
    SELECT 'delete', old.seq, old.text WHERE old.deleted = 0 AND old.text IS NOT NULL;
  INSERT INTO messages_fts(rowid, text)
    SELECT new.seq, new.text WHERE new.deleted = 0 AND new.text IS NOT NULL;
END;
)sql",
    // 2: the index follows the log in batches (see kIndexBatch). Rows up to
    // fts_state.indexed_upto are in the index exactly as they read now (the
    // triggers keep them so); rows after it are not in it at all, and a
    // search reads them from the table (querySearch).
    R"sql(
CREATE TABLE fts_state (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  indexed_upto INTEGER NOT NULL
);
INSERT INTO fts_state (id, indexed_upto) SELECT 0, coalesce(max(seq), 0) FROM messages;
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.deleted = 0 AND old.text IS NOT NULL
  AND old.seq <= (SELECT indexed_upto FROM fts_state) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages
WHEN old.seq <= (SELECT indexed_upto FROM fts_state) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text)
    SELECT 'delete', old.seq, old.text WHERE old.deleted = 0 AND old.text IS NOT NULL;
  INSERT INTO messages_fts(rowid, text)
    SELECT new.seq, new.text WHERE new.deleted = 0 AND new.text IS NOT NULL;
END;
)sql",
    // 3: a deletion empties the quotes of the replies to it: found by index.
    R"sql(
CREATE INDEX messages_reply ON messages(reply_seq) WHERE reply_seq IS NOT NULL;
)sql",
};

// The full-text index is written once per this many messages, in the commit
// that reaches it, not in every commit: FTS5 writes a new segment (and its
// structure record) per transaction, which was two thirds of a one-message
// commit's CPU (105 vs 38 us measured). So the unindexed tail is always
// shorter than this, and a search reads it from the table.
constexpr int64_t kIndexBatch = 64;

// A server holds thousands of rooms open, one connection each; SQLite's
// default page cache (2 MB) per connection would add up. Recent history is a
// few pages, so a small cache costs little.
constexpr const char* kCacheSize = "PRAGMA cache_size=-512";  // KiB

// A reader waits only while a connection recovers the WAL after a crash.
constexpr int kReaderBusyTimeoutMs = 5000;

// Column order read by readMessage().
#define RC_MESSAGE_COLUMNS                                                        \
  "seq, id, author_kind, author_id, kind, text, images, reply_seq, "             \
  "reply_author_id, reply_kind, reply_snippet, created_at, edited_at, deleted, " \
  "client_id"

constexpr const char* kInsert =
    "INSERT INTO messages (" RC_MESSAGE_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
constexpr const char* kLastSeq = "SELECT max(seq) FROM messages";
constexpr const char* kIndexedUpto = "SELECT indexed_upto FROM fts_state";
constexpr const char* kIndexTail =
    "INSERT INTO messages_fts(rowid, text) SELECT seq, text FROM messages"
    " WHERE seq > (SELECT indexed_upto FROM fts_state) AND deleted = 0 AND text IS NOT NULL";
constexpr const char* kMarkIndexed = "UPDATE fts_state SET indexed_upto = ?1";
constexpr const char* kBySeq = "SELECT " RC_MESSAGE_COLUMNS " FROM messages WHERE seq = ?1";
constexpr const char* kByClientId = "SELECT " RC_MESSAGE_COLUMNS
                                    " FROM messages WHERE author_id = ?1 AND client_id = ?2";
constexpr const char* kBefore = "SELECT " RC_MESSAGE_COLUMNS
                                " FROM messages WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2";
constexpr const char* kAfter = "SELECT " RC_MESSAGE_COLUMNS
                               " FROM messages WHERE seq > ?1 ORDER BY seq LIMIT ?2";
// A reply keeps its quote of a message only while that message exists.
constexpr const char* kForgetQuotes =
    "UPDATE messages SET reply_snippet = '' WHERE reply_seq = ?1 AND reply_snippet <> ''";
// Rewrites the search index into one segment: the words of deleted messages
// stay in the old segments (behind delete markers) until they are merged.
constexpr const char* kCompactIndex = "INSERT INTO messages_fts(messages_fts) VALUES('optimize')";
// A deleted message is final: editing or deleting it again is not_found.
constexpr const char* kUpdate =
    "UPDATE messages SET text = ?2, images = ?3, edited_at = ?4, deleted = ?5 "
    "WHERE seq = ?1 AND deleted = 0";
// The inner query walks the FTS index and the unindexed tail's (a temporary
// index of the same tokenizer, filled for the one search) newest first and
// stops at the limit; the outer one fetches the rows.
constexpr const char* kSearch =
    "SELECT " RC_MESSAGE_COLUMNS
    " FROM messages WHERE seq IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1"
    " AND rowid < ?2 UNION ALL SELECT rowid FROM temp.tail_fts WHERE tail_fts MATCH ?1"
    " AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3) AND deleted = 0 ORDER BY seq DESC";
// Temporary tables live in memory and are writable on a read-only connection.
constexpr const char* kTailIndex =
    "PRAGMA temp_store=MEMORY;"
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.tail_fts USING fts5("
    "  text, tokenize='unicode61 remove_diacritics 2')";
constexpr const char* kClearTail = "DELETE FROM temp.tail_fts";
constexpr const char* kFillTail =
    "INSERT INTO temp.tail_fts(rowid, text) SELECT seq, text FROM messages"
    " WHERE seq > (SELECT indexed_upto FROM fts_state) AND deleted = 0 AND text IS NOT NULL";

#undef RC_MESSAGE_COLUMNS

std::optional<std::string> joinImages(const std::vector<std::string>& images) {
  if (images.empty()) return std::nullopt;
  std::string out;
  for (const auto& key : images) {
    if (!out.empty()) out += ' ';
    out += key;
  }
  return out;
}

std::vector<std::string> splitImages(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < joined.size()) {
    size_t end = std::min(joined.find(' ', start), joined.size());
    if (end > start) out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::optional<model::ReplyRef> readReply(const sql::Query& q) {
  if (q.isNull(7)) return std::nullopt;
  model::ReplyRef r;
  r.seq = q.int64(7);
  r.authorId = q.optText(8);
  r.kind = model::parseMessageKind(q.text(9)).value_or(model::MessageKind::kText);
  r.snippet = q.text(10);
  return r;
}

model::Message readMessage(const sql::Query& q, const std::string& roomId) {
  model::Message m;
  m.seq = q.int64(0);
  m.id = q.text(1);
  m.roomId = roomId;
  m.authorKind = model::parseAuthorKind(q.text(2)).value_or(model::AuthorKind::kUser);
  m.authorId = q.optText(3);
  m.kind = model::parseMessageKind(q.text(4)).value_or(model::MessageKind::kText);
  m.text = q.optText(5);
  m.images = splitImages(q.text(6));
  m.replyTo = readReply(q);
  m.createdAt = q.int64(11);
  m.editedAt = q.optInt64(12);
  m.deleted = q.int64(13) != 0;
  m.clientId = q.optText(14);
  return m;
}

void bindMessage(sql::Query& q, const model::Message& m) {
  q.bind(1, m.seq).bind(2, m.id).bind(3, model::toString(m.authorKind));
  q.bind(4, m.authorId).bind(5, model::toString(m.kind)).bind(6, m.text);
  q.bind(7, joinImages(m.images));
  if (m.replyTo) {
    q.bind(8, m.replyTo->seq).bind(9, m.replyTo->authorId);
    q.bind(10, model::toString(m.replyTo->kind)).bind(11, m.replyTo->snippet);
  }  // else 8..11 stay NULL (bindings are cleared after every use)
  q.bind(12, m.createdAt).bind(13, m.editedAt).bind(14, int64_t{m.deleted ? 1 : 0});
  q.bind(15, m.clientId);
}

// ---- Reads shared by RoomStore (the writer's connection) and RoomReader.
// A step that ends in anything but SQLITE_DONE is a storage failure, never a
// short page.

Result<std::optional<model::Message>> readOne(sql::Query& q, const std::string& roomId) {
  int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<model::Message>();
  if (rc != SQLITE_ROW) return q.error(rc);
  return std::optional(readMessage(q, roomId));
}

// Reads up to limit+1 rows; the extra row only proves there are more.
Result<MessagePage> readPage(sql::Query& q, int limit, const std::string& roomId) {
  MessagePage page;
  page.messages.reserve(static_cast<size_t>(limit) + 1);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) page.messages.push_back(readMessage(q, roomId));
  if (rc != SQLITE_DONE) return q.error(rc);
  if (static_cast<int>(page.messages.size()) > limit) {
    page.hasMore = true;
    page.messages.resize(limit);
  }
  return page;
}

Result<MessagePage> queryBefore(sql::Connection& db, const std::string& roomId, int64_t beforeSeq,
                                int limit) {
  limit = std::max(limit, 0);
  auto q = db.query(kBefore);
  if (!q) return q.error();
  q->bind(1, beforeSeq > 0 ? beforeSeq : INT64_MAX).bind(2, int64_t{limit} + 1);
  auto page = readPage(*q, limit, roomId);
  if (page) std::reverse(page->messages.begin(), page->messages.end());
  return page;
}

Result<MessagePage> querySearch(sql::Connection& db, const std::string& roomId,
                                const std::string& query, int64_t beforeSeq, int limit) {
  limit = std::max(limit, 0);
  std::string match = ftsQuery(query);
  if (match.empty()) return MessagePage{};
  if (Status s = db.exec(kTailIndex); !s) return s.error();
  // One read transaction: the tail and the index are read at the same commit.
  sql::Transaction txn(db);
  if (Status s = txn.begin(); !s) return s.error();
  for (const char* step : {kClearTail, kFillTail}) {
    auto fill = db.query(step);
    if (!fill) return fill.error();
    if (Status s = fill->run(); !s) return s.error();
  }
  Result<MessagePage> page = makeError("internal", "search not run");
  {
    auto q = db.query(kSearch);
    if (!q) return q.error();
    q->bind(1, match).bind(2, beforeSeq > 0 ? beforeSeq : INT64_MAX);
    q->bind(3, int64_t{limit} + 1);
    page = readPage(*q, limit, roomId);
  }
  if (!page) return page;
  if (Status s = txn.commit(); !s) return s.error();
  return page;
}

Error closedError() { return makeError("storage_unavailable", "the room database is closed"); }

Status checkpointOn(sqlite3* db, CheckpointMode mode) {
  const int sqliteMode = mode == CheckpointMode::kPassive   ? SQLITE_CHECKPOINT_PASSIVE
                         : mode == CheckpointMode::kRestart ? SQLITE_CHECKPOINT_RESTART
                                                            : SQLITE_CHECKPOINT_TRUNCATE;
  int rc = sqlite3_wal_checkpoint_v2(db, nullptr, sqliteMode, nullptr, nullptr);
  // BUSY: readers or another checkpointer kept it from finishing; what could
  // be copied was, and the WAL stays for the next one.
  if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY) return Ok{};
  return sql::errorFrom(db, rc);
}

}  // namespace

struct RoomStore::Impl {
  std::unique_ptr<sql::Connection> db;  // null after close()
  fs::path file;
  RoomStoreOptions options;
  std::string roomId;
  int64_t lastSeq = 0;
  int64_t indexedUpto = 0;  // fts_state.indexed_upto as committed
  int walPages = 0;
  bool deletedSinceOpen = false;  // the search index holds words of deleted messages

  // SQLite's WAL hook: runs after every commit with the WAL's size in pages.
  // Installing it also turns SQLite's auto-checkpoint off.
  static int onCommit(void* self, sqlite3*, const char*, int pages) {
    static_cast<Impl*>(self)->walPages = pages;
    return SQLITE_OK;
  }

  Result<sql::Query> query(const char* sql) {
    if (!db) return closedError();
    return db->query(sql);
  }

  Result<int64_t> readLastSeq() {
    auto q = query(kLastSeq);
    if (!q) return q.error();
    return q->scalar();
  }

  Status insertAll(std::vector<model::Message>& batch) {
    if (!db) return closedError();
    sql::Transaction txn(*db);
    if (Status s = txn.beginImmediate(); !s) return s;
    int64_t seq = lastSeq;
    for (auto& m : batch) {
      m.seq = ++seq;
      auto q = db->query(kInsert);
      if (!q) return q.error();
      bindMessage(*q, m);
      if (Status s = q->run(); !s) return s;
    }
    const bool indexNow = seq - indexedUpto >= kIndexBatch;
    if (indexNow) {
      if (Status s = indexTail(seq); !s) return s;
    }
    if (Status s = txn.commit(); !s) return s;
    if (indexNow) indexedUpto = seq;
    return Ok{};
  }

  // Adds every row after indexed_upto to the index and moves the mark to
  // `upto` (the last seq). REQUIRES: inside a write transaction.
  Status indexTail(int64_t upto) {
    auto add = db->query(kIndexTail);
    if (!add) return add.error();
    if (Status s = add->run(); !s) return s;
    auto mark = db->query(kMarkIndexed);
    if (!mark) return mark.error();
    mark->bind(1, upto);
    return mark->run();
  }

  // The tail in a transaction of its own (a room about to close).
  Status indexAll() {
    if (!db || indexedUpto >= lastSeq) return Ok{};
    sql::Transaction txn(*db);
    if (Status s = txn.beginImmediate(); !s) return s;
    if (Status s = indexTail(lastSeq); !s) return s;
    if (Status s = txn.commit(); !s) return s;
    indexedUpto = lastSeq;
    return Ok{};
  }
};

RoomStore::RoomStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RoomStore::~RoomStore() = default;

Result<std::unique_ptr<RoomStore>> RoomStore::open(const fs::path& file, const std::string& roomId,
                                                   bool create, RoomStoreOptions options) {
  std::error_code ec;
  if (!create && !fs::exists(file, ec)) {
    if (ec) return makeError("storage_unavailable", file.string() + ": " + ec.message());
    return makeError("not_found", "no database for room " + roomId);
  }
  if (create && file.has_parent_path()) {
    fs::create_directories(file.parent_path(), ec);
    if (ec) return makeError("storage_unavailable", file.string() + ": " + ec.message());
  }
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  auto db = sql::Connection::open(file, flags);
  if (!db) return db.error();

  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  impl->file = file;
  impl->options = options;
  impl->roomId = roomId;
  if (Status s = sql::configure(*impl->db, options.synchronousFull); !s) return s.error();
  if (Status s = impl->db->exec(kCacheSize); !s) return s.error();
  // Freed space (a deleted message's text, old index pages) is zeroed, not
  // left readable in the file.
  if (Status s = impl->db->exec("PRAGMA secure_delete=ON"); !s) return s.error();
  if (options.manualCheckpoints) {
    if (Status s = impl->db->exec("PRAGMA wal_autocheckpoint=0"); !s) return s.error();
    sqlite3_wal_hook(impl->db->raw(), &Impl::onCommit, impl.get());
  }
  if (Status s = sql::migrate(*impl->db, kMigrations); !s) return s.error();
  auto last = impl->readLastSeq();
  if (!last) return last.error();
  impl->lastSeq = *last;
  auto indexed = impl->query(kIndexedUpto);
  if (!indexed) return indexed.error();
  auto upto = indexed->scalar();
  if (!upto) return upto.error();
  impl->indexedUpto = *upto;
  return std::unique_ptr<RoomStore>(new RoomStore(std::move(impl)));
}

int64_t RoomStore::lastSeq() const { return impl_->lastSeq; }

Status RoomStore::append(std::vector<model::Message>& batch) {
  if (batch.empty()) return Ok{};
  Status s = impl_->insertAll(batch);
  if (s) {
    impl_->lastSeq += static_cast<int64_t>(batch.size());
    return s;
  }
  for (auto& m : batch) m.seq = 0;
  // The rollback left the file at lastSeq. Re-reading guards against the one
  // case it cannot: a COMMIT that reported an I/O error yet reached the disk.
  if (auto last = impl_->readLastSeq()) impl_->lastSeq = *last;
  return s;
}

const fs::path& RoomStore::file() const { return impl_->file; }

RoomStoreOptions RoomStore::options() const { return impl_->options; }

int RoomStore::walPages() const { return impl_->walPages; }

Result<std::optional<model::Message>> RoomStore::bySeq(int64_t seq) const {
  auto q = impl_->query(kBySeq);
  if (!q) return q.error();
  q->bind(1, seq);
  return readOne(*q, impl_->roomId);
}

Result<std::optional<model::Message>> RoomStore::byClientId(const std::string& authorId,
                                                            const std::string& clientId) const {
  auto q = impl_->query(kByClientId);
  if (!q) return q.error();
  q->bind(1, authorId).bind(2, clientId);
  return readOne(*q, impl_->roomId);
}

Result<MessagePage> RoomStore::before(int64_t beforeSeq, int limit) const {
  if (!impl_->db) return closedError();
  return queryBefore(*impl_->db, impl_->roomId, beforeSeq, limit);
}

Result<MessagePage> RoomStore::after(int64_t afterSeq, int limit) const {
  limit = std::max(limit, 0);
  auto q = impl_->query(kAfter);
  if (!q) return q.error();
  q->bind(1, afterSeq).bind(2, int64_t{limit} + 1);
  return readPage(*q, limit, impl_->roomId);
}

Status RoomStore::update(const model::Message& message) {
  if (!impl_->db) return closedError();
  sql::Transaction txn(*impl_->db);
  if (Status s = txn.beginImmediate(); !s) return s;
  auto q = impl_->db->query(kUpdate);
  if (!q) return q.error();
  q->bind(1, message.seq).bind(4, message.editedAt).bind(5, int64_t{message.deleted ? 1 : 0});
  if (!message.deleted) q->bind(2, message.text).bind(3, joinImages(message.images));
  if (Status s = q->run(); !s) return s;
  if (impl_->db->changes() == 0) {
    return makeError("not_found", "no live message with seq " + std::to_string(message.seq));
  }
  if (message.deleted) {
    auto forget = impl_->db->query(kForgetQuotes);
    if (!forget) return forget.error();
    forget->bind(1, message.seq);
    if (Status s = forget->run(); !s) return s;
  }
  if (Status s = txn.commit(); !s) return s;
  impl_->deletedSinceOpen = impl_->deletedSinceOpen || message.deleted;
  return Ok{};
}

Result<MessagePage> RoomStore::search(const std::string& query, int64_t beforeSeq,
                                      int limit) const {
  if (!impl_->db) return closedError();
  return querySearch(*impl_->db, impl_->roomId, query, beforeSeq, limit);
}

Status RoomStore::close() {
  if (!impl_->db) return closedError();
  // A woken room starts with its whole history indexed; should this fail,
  // the tail is still searched from the table, and the file still closes.
  Status indexed = impl_->indexAll();
  // Once per session with deletes: the index rewrite costs a pass over it.
  Status compacted = impl_->deletedSinceOpen ? impl_->db->exec(kCompactIndex) : Status(Ok{});
  Status s = checkpointOn(impl_->db->raw(), CheckpointMode::kTruncate);
  impl_->db.reset();
  if (!indexed) return indexed;
  return compacted.ok() ? s : compacted;
}

Status RoomStore::checkpoint(const fs::path& file, CheckpointMode mode, RoomStoreOptions options) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return makeError("not_found", file.string() + " is gone");
  auto db = sql::Connection::open(file, SQLITE_OPEN_READWRITE);
  if (!db) return db.error();
  // The same synchronous setting as the writer: a checkpoint fsyncs the WAL
  // before copying it and the file after, as SQLite's own would.
  if (Status s = sql::configure(**db, options.synchronousFull); !s) return s;
  return checkpointOn((*db)->raw(), mode);
}

Status RoomStore::destroy(const fs::path& file) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::path path = file;
    path += suffix;
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return makeError("storage_unavailable", path.string() + ": " + ec.message());
  }
  return Ok{};
}

}  // namespace roomchat::store

namespace roomchat::store {

struct RoomReader::Impl {
  fs::path file;
  std::string roomId;
  Mutex mu;
  std::unique_ptr<sql::Connection> db GUARDED_BY(mu);  // opened on first use
  // Set by close() without waiting for mu (a read may hold it for long);
  // whoever holds mu next closes the connection.
  std::atomic<bool> closed{false};

  Result<sql::Connection*> connection() REQUIRES(mu) {
    if (closed) {
      db.reset();
      return closedError();
    }
    if (db) return db.get();
    std::error_code ec;
    if (!fs::exists(file, ec)) return makeError("not_found", "no database for room " + roomId);
    auto opened = sql::Connection::open(file, SQLITE_OPEN_READONLY);
    if (!opened) return opened.error();
    sqlite3_busy_timeout((*opened)->raw(), kReaderBusyTimeoutMs);
    if (Status s = (*opened)->exec(kCacheSize); !s) return s.error();
    db = std::move(*opened);
    return db.get();
  }
};

RoomReader::RoomReader(fs::path file, std::string roomId) : impl_(std::make_unique<Impl>()) {
  impl_->file = std::move(file);
  impl_->roomId = std::move(roomId);
}

RoomReader::~RoomReader() = default;

Result<MessagePage> RoomReader::before(int64_t beforeSeq, int limit) {
  MutexLock lock(impl_->mu);
  auto db = impl_->connection();
  if (!db) return db.error();
  auto page = queryBefore(**db, impl_->roomId, beforeSeq, limit);
  if (impl_->closed) impl_->db.reset();  // close() came meanwhile
  return page;
}

Result<MessagePage> RoomReader::search(const std::string& query, int64_t beforeSeq, int limit) {
  MutexLock lock(impl_->mu);
  auto db = impl_->connection();
  if (!db) return db.error();
  auto page = querySearch(**db, impl_->roomId, query, beforeSeq, limit);
  if (impl_->closed) impl_->db.reset();
  return page;
}

// Never waits for a read in progress: the room calls it on its strand.
void RoomReader::close() {
  impl_->closed = true;
  if (!impl_->mu.try_lock()) return;
  impl_->db.reset();
  impl_->mu.unlock();
}

fs::path roomFileOf(const fs::path& roomsDir, const std::string& roomId) {
  return roomsDir / roomId.substr(0, 2) / (roomId + ".db");
}

Result<bool> roomFileHoldsImage(const fs::path& file, const std::string& key) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return false;
  auto db = sql::Connection::open(file, SQLITE_OPEN_READONLY);
  if (!db) return db.error();
  sqlite3_busy_timeout((*db)->raw(), kReaderBusyTimeoutMs);
  // images holds the keys joined by ' ' (joinImages); a key is 64 hex
  // characters, so a substring match is an exact one.
  auto q = (*db)->query(
      "SELECT EXISTS (SELECT 1 FROM messages WHERE deleted = 0 AND instr(images, ?1) > 0)");
  if (!q) return q.error();
  q->bind(1, key);
  auto found = q->scalar();
  if (!found.ok()) return found.error();
  return *found != 0;
}

}  // namespace roomchat::store
