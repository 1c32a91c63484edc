#include "store/backup.h"

#include <sqlite3.h>

namespace roomchat::store {

namespace {
constexpr int kPagesPerStep = 256;
constexpr int kBusyRetries = 500;  // x 10 ms: give up after ~5 s of a locked source
}  // namespace

// Copies into "<to>.partial" and renames it into place, so a failed or
// interrupted backup never leaves a half-written file under the real name.
Status backupDatabase(const std::filesystem::path& from, const std::filesystem::path& to) {
  const std::filesystem::path partial = to.string() + ".partial";
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto fail = [&](sqlite3* db) {
    Error e{"storage_unavailable", db ? sqlite3_errmsg(db) : "out of memory"};
    sqlite3_close(src);
    sqlite3_close(dst);
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    return e;
  };
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return fail(src);
  if (sqlite3_open(partial.c_str(), &dst) != SQLITE_OK) return fail(dst);
  sqlite3_busy_timeout(src, 5000);
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return fail(dst);
  int rc = SQLITE_OK;
  for (int busy = 0; busy < kBusyRetries;) {
    rc = sqlite3_backup_step(b, kPagesPerStep);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      ++busy;
      sqlite3_sleep(10);
    } else if (rc != SQLITE_OK) {
      break;
    }
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return fail(dst);
  sqlite3_close(src);
  sqlite3_close(dst);
  std::error_code ec;
  std::filesystem::rename(partial, to, ec);
  if (ec) return Error{"storage_unavailable", ec.message()};
  return Ok{};
}

}  // namespace roomchat::store
