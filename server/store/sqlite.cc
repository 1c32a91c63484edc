#include "store/sqlite.h"

#include <climits>

namespace roomchat::store::sql {

namespace {

// How long a writer waits for another connection's lock before giving up.
constexpr int kBusyTimeoutMs = 5000;

bool isStorageFailure(int primary) {
  switch (primary) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

}  // namespace

Error errorFrom(sqlite3* db, int rc) {
  int primary = rc & 0xff;
  // errmsg describes the most recent failure on db, which is the one at hand;
  // without a handle only the generic text for the code is known.
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (isStorageFailure(primary)) return makeError("storage_unavailable", std::move(message));
  if (primary == SQLITE_CONSTRAINT) return makeError("conflict", std::move(message));
  return makeError("internal", "sqlite: " + message);
}

// ---- Query

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query::Query(Query&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Query& Query::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Query& Query::bind(int i, std::string_view v) {
  sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Query& Query::bind(int i, const std::optional<std::string>& v) {
  return v ? bind(i, std::string_view(*v)) : bindNull(i);
}

Query& Query::bind(int i, const std::optional<int64_t>& v) {
  return v ? bind(i, *v) : bindNull(i);
}

Query& Query::bindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

int Query::step() { return sqlite3_step(stmt_); }

Status Query::run() {
  int rc;
  while ((rc = step()) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return error(rc);
  return Ok{};
}

Result<int64_t> Query::scalar() {
  int rc = step();
  if (rc == SQLITE_ROW) return int64(0);
  if (rc == SQLITE_DONE) return int64_t{0};
  return error(rc);
}

bool Query::isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Query::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Query::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::string> Query::optText(int col) const {
  if (isNull(col)) return std::nullopt;
  return text(col);
}

std::optional<int64_t> Query::optInt64(int col) const {
  if (isNull(col)) return std::nullopt;
  return int64(col);
}

// ---- Connection

namespace {

// By default every connection's page cache starts with a bulk allocation of
// 20 pages (~90 KiB) and writes a header into each, which faults in fresh
// memory for a connection that may read three pages: that was a tenth of a
// room's cold wake. Pages are allocated as they are used instead.
// Memory statistics off: with them on, every allocation of every connection
// takes one process-wide mutex, which rooms on different io threads would
// share on every commit (nothing here reads sqlite3_memory_used()).
// Must run before SQLite initializes, i.e. before the first open.
void configureLibraryOnce() {
  static const bool configured = [] {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0) == SQLITE_OK &&
           sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)configured;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& file,
                                                     int flags) {
  configureLibraryOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                           nullptr);
  if (rc != SQLITE_OK) {
    Error error = errorFrom(db, rc);
    sqlite3_close(db);  // a handle is usually allocated even on failure
    return error;
  }
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<Query> Connection::query(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Query(db_, it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return errorFrom(db_, rc);
  cache_.emplace(sql, stmt);
  return Query(db_, stmt);
}

Status Connection::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return errorFrom(db_, rc);
  return Ok{};
}

// ---- Transaction

Transaction::~Transaction() {
  if (open_) rollback();
}

Status Transaction::begin() { return start("BEGIN"); }

Status Transaction::beginImmediate() { return start("BEGIN IMMEDIATE"); }

Status Transaction::start(const char* sql) {
  auto q = db_.query(sql);
  if (!q) return q.error();
  if (Status s = q->run(); !s) return s;
  open_ = true;
  return Ok{};
}

Status Transaction::commit() {
  auto q = db_.query("COMMIT");
  if (!q) return q.error();
  Status s = q->run();
  if (s) open_ = false;
  return s;  // on failure the destructor rolls back
}

void Transaction::rollback() {
  open_ = false;
  // Some failures (FULL, IOERR, NOMEM) already rolled the transaction back.
  if (sqlite3_get_autocommit(db_.raw())) return;
  if (auto q = db_.query("ROLLBACK")) (void)q->run();
}

// ---- Setup

Status configure(Connection& db, bool synchronousFull) {
  sqlite3_busy_timeout(db.raw(), kBusyTimeoutMs);
  // The first statement reads the file header, so this is where a garbage
  // file is refused (SQLITE_NOTADB).
  auto mode = db.query("PRAGMA journal_mode=WAL");
  if (!mode) return mode.error();
  int rc = mode->step();
  if (rc != SQLITE_ROW) return mode->error(rc);
  if (mode->text(0) != "wal") {
    return makeError("storage_unavailable", "cannot enable WAL, journal_mode=" + mode->text(0));
  }
  return db.exec(synchronousFull ? "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"
                                 : "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
}

namespace {

Result<int64_t> userVersion(Connection& db) {
  auto q = db.query("PRAGMA user_version");
  if (!q) return q.error();
  return q->scalar();
}

Error tooNew(int64_t found, size_t known) {
  return makeError("storage_version", "database schema version " + std::to_string(found) +
                                          " is newer than this binary's " + std::to_string(known));
}

}  // namespace

Status migrate(Connection& db, std::span<const char* const> steps) {
  const auto latest = static_cast<int64_t>(steps.size());
  auto found = userVersion(db);
  if (!found) return found.error();
  if (*found == latest) return Ok{};  // the common, read-only path
  if (*found > latest) return tooNew(*found, steps.size());

  Transaction txn(db);
  if (Status s = txn.beginImmediate(); !s) return s;
  found = userVersion(db);  // another process may have migrated meanwhile
  if (!found) return found.error();
  if (*found > latest) return tooNew(*found, steps.size());
  for (int64_t v = *found; v < latest; ++v) {
    if (Status s = db.exec(steps[v]); !s) return s;
  }
  std::string bump = "PRAGMA user_version=" + std::to_string(latest);
  if (Status s = db.exec(bump.c_str()); !s) return s;
  return txn.commit();
}

}  // namespace roomchat::store::sql
