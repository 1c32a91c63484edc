// A thin RAII layer over the SQLite C API, shared by RoomStore and
// SqliteMetaStore and used by nothing else.
//
// - Connection owns one sqlite3* and the prepared statements made on it. Each
//   SQL text (a string literal) is prepared once, on first use, and reused.
// - Query is a borrowed prepared statement; it resets itself on scope exit so
//   no read transaction outlives a call (that would block WAL checkpoints).
// - Transaction rolls back on scope exit unless committed.
// - errorFrom() turns SQLite result codes into contract errors:
//   "storage_unavailable" for the disk and file failures (FULL, IOERR,
//   CORRUPT, NOTADB, CANTOPEN, READONLY, PERM, BUSY, LOCKED, NOMEM),
//   "conflict" for constraint violations, "internal" for the rest (bugs).
//
// Thread safety: none. A Connection is used by one thread at a time; the
// owners provide that (a strand, or a mutex).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

namespace roomchat::store::sql {

Error errorFrom(sqlite3* db, int rc);

class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query();
  Query(Query&& other) noexcept;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;

  // Parameters are 1-based. Bind errors (a wrong index: a bug) surface on step().
  Query& bind(int i, int64_t v);
  Query& bind(int i, std::string_view v);
  Query& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, const std::optional<std::string>& v);
  Query& bind(int i, const std::optional<int64_t>& v);
  Query& bindNull(int i);

  // SQLITE_ROW, SQLITE_DONE or an (extended) error code.
  int step();
  // Steps to the end, for statements that return no rows.
  Status run();
  // Runs a statement that answers at most one integer (0 when no row).
  Result<int64_t> scalar();

  bool isNull(int col) const;
  int64_t int64(int col) const;
  std::string text(int col) const;
  std::optional<std::string> optText(int col) const;
  std::optional<int64_t> optInt64(int col) const;

  Error error(int rc) const { return errorFrom(db_, rc); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens `file` with SQLITE_OPEN_* `flags` (NOMUTEX and EXRESCODE are added).
  static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& file, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* raw() const { return db_; }

  // `sql` must outlive the connection (it keys the statement cache): pass a
  // string literal. Errors: the prepare failed (unreadable file, bad SQL).
  Result<Query> query(const char* sql);
  // Runs one or more statements without caching them (schema, pragmas).
  Status exec(const char* sql);
  int64_t changes() const { return sqlite3_changes64(db_); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

class Transaction {
 public:
  explicit Transaction(Connection& db) : db_(db) {}
  ~Transaction();  // rolls back when begun and not committed
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // DEFERRED: a read transaction until the first write (one snapshot for
  // several reads).
  Status begin();
  // IMMEDIATE takes the write lock up front: no busy error half way through.
  Status beginImmediate();
  Status commit();

 private:
  Status start(const char* sql);
  void rollback();
  Connection& db_;
  bool open_ = false;
};

// Sets busy timeout, WAL, synchronous and foreign keys on a fresh connection.
Status configure(Connection& db, bool synchronousFull);

// Brings the schema to steps.size(): step i (0-based) moves user_version from
// i to i+1. All missing steps run in one IMMEDIATE transaction. A file newer
// than the steps is Error{"storage_version"}.
Status migrate(Connection& db, std::span<const char* const> steps);

}  // namespace roomchat::store::sql
