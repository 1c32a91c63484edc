// Test helpers for the store tests, header-only so that the build (which
// puts every non-test .cc of the folder into rc_store) keeps them out of the
// server. Included only by *_test.cc.
// - TempDir: a fresh directory under the system temp folder, removed on scope
//   exit, so every test works on real files.
// - FaultVfs: a pass-through SQLite VFS, installed as the default, whose
//   writes can be made to fail with SQLITE_FULL, to show that a full disk
//   leaves nothing half written, and whose reads can be made to fail with
//   SQLITE_IOERR_READ, to show that a read failure is reported, not taken
//   for an empty room, and whose WAL locks can be made to fail, so that no
//   transaction can start even when every page it needs is cached (a warm
//   meta.db answers most reads from memory). FaultVfs::only() limits the
//   faults to files opened afterwards whose path contains a given text
//   (e.g. "meta.db": the room files keep working).
// - rawExec: runs SQL on a file through a separate connection, to tamper with
//   a database the way another binary (older, newer, broken) would.
// - openDescriptors: how many SQLite connections this process has on a file.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>

#include "base/ids.h"

namespace roomchat::store::testutil {

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() / ("roomchat-store-" + randomId())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline int rawExec(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

// The first column of the first row of `sql`, or -1 when there is none.
inline int64_t rawScalar(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  int64_t value = -1;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

// Descriptors this process holds on `file` (the database itself, not
// -wal/-shm): one per connection. `file` must be canonical.
inline int openDescriptors(const std::filesystem::path& file) {
  int n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(fd.path(), ec) == file) ++n;
  }
  return n;
}

// The shim file is followed in memory by the real VFS's file.
class FaultVfs {
 public:
  // While set, every write answers SQLITE_FULL.
  static inline std::atomic<bool> failWrites{false};
  // While set, every read of a file answers SQLITE_IOERR_READ.
  static inline std::atomic<bool> failReads{false};
  // While set, every read of a file opened read-only (a RoomReader's) waits
  // until it is cleared; `stalledReads` counts the reads waiting (a test's
  // way to hold a reader inside a call while writers go on).
  static inline std::atomic<bool> stallReads{false};
  static inline std::atomic<int> stalledReads{0};

  // When >= 0: that many more reads succeed, then every read fails until it
  // is set back to -1 (a disk that dies in the middle of a query).
  static inline std::atomic<long> readsBeforeFailure{-1};
  // While set, taking a WAL lock (every transaction takes one to start)
  // answers SQLITE_IOERR_SHMLOCK. Unlocking still works.
  static inline std::atomic<bool> failLocks{false};

  // Files opened from now on are subject to the faults only when their path
  // contains `part` ("" : every file, the default). Files already open keep
  // their setting.
  static void only(std::string part) {
    std::lock_guard lock(filterMu_);
    filter_ = std::move(part);
  }

  // Idempotent. Every connection opened afterwards goes through the shim.
  static void install() {
    static const bool installed = [] {
      real_ = sqlite3_vfs_find(nullptr);
      vfs_ = *real_;  // the other methods ignore the vfs argument or read copied fields
      vfs_.zName = "roomchat-fault";
      vfs_.pNext = nullptr;
      vfs_.szOsFile = static_cast<int>(sizeof(Shim)) + real_->szOsFile;
      vfs_.xOpen = open;
      return sqlite3_vfs_register(&vfs_, /*makeDflt=*/1) == SQLITE_OK;
    }();
    (void)installed;
  }

 private:
  struct Shim {
    sqlite3_file base;
    bool readOnly;
    bool faulty;  // the faults apply to this file
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
  };
  static Shim* shim(sqlite3_file* f) { return reinterpret_cast<Shim*>(f); }
  static const sqlite3_io_methods* realMethods(sqlite3_file* f) {
    return shim(f)->real()->pMethods;
  }

  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                  int* outFlags) {
    Shim* s = shim(file);
    s->readOnly = (flags & SQLITE_OPEN_READONLY) != 0;
    s->faulty = matches(name);
    std::memset(s->real(), 0, real_->szOsFile);
    int rc = real_->xOpen(real_, name, s->real(), flags, outFlags);
    s->base.pMethods = s->real()->pMethods != nullptr ? &methods_ : nullptr;
    return rc;
  }

  static bool matches(const char* name) {
    std::lock_guard lock(filterMu_);
    return filter_.empty() || (name != nullptr && std::strstr(name, filter_.c_str()) != nullptr);
  }

  static bool readFails() {
    if (failReads) return true;
    long left = readsBeforeFailure.load();
    while (left > 0 && !readsBeforeFailure.compare_exchange_weak(left, left - 1)) {
    }
    return left == 0;
  }

  static int write(sqlite3_file* f, const void* data, int n, sqlite3_int64 offset) {
    if (failWrites && shim(f)->faulty) return SQLITE_FULL;
    return realMethods(f)->xWrite(shim(f)->real(), data, n, offset);
  }

  static int read(sqlite3_file* f, void* data, int n, sqlite3_int64 offset) {
    if (stallReads && shim(f)->readOnly) {
      ++stalledReads;
      while (stallReads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      --stalledReads;
    }
    if (shim(f)->faulty && readFails()) return SQLITE_IOERR_READ;
    return realMethods(f)->xRead(shim(f)->real(), data, n, offset);
  }

#define RC_FORWARD(name, sig, ...) \
  static int name sig { return realMethods(f)->name(shim(f)->real() __VA_OPT__(, ) __VA_ARGS__); }
  RC_FORWARD(xClose, (sqlite3_file * f))
  RC_FORWARD(xTruncate, (sqlite3_file * f, sqlite3_int64 size), size)
  RC_FORWARD(xSync, (sqlite3_file * f, int flags), flags)
  RC_FORWARD(xFileSize, (sqlite3_file * f, sqlite3_int64* size), size)
  RC_FORWARD(xLock, (sqlite3_file * f, int lock), lock)
  RC_FORWARD(xUnlock, (sqlite3_file * f, int lock), lock)
  RC_FORWARD(xCheckReservedLock, (sqlite3_file * f, int* out), out)
  RC_FORWARD(xFileControl, (sqlite3_file * f, int op, void* arg), op, arg)
  RC_FORWARD(xSectorSize, (sqlite3_file * f))
  RC_FORWARD(xDeviceCharacteristics, (sqlite3_file * f))
  RC_FORWARD(xShmMap, (sqlite3_file * f, int pg, int sz, int extend, void volatile** p), pg, sz,
             extend, p)
  static int xShmLock(sqlite3_file* f, int offset, int n, int flags) {
    if (failLocks && shim(f)->faulty && (flags & SQLITE_SHM_LOCK) != 0) return SQLITE_IOERR_SHMLOCK;
    return realMethods(f)->xShmLock(shim(f)->real(), offset, n, flags);
  }
  RC_FORWARD(xShmUnmap, (sqlite3_file * f, int deleteFlag), deleteFlag)
  RC_FORWARD(xFetch, (sqlite3_file * f, sqlite3_int64 o, int n, void** p), o, n, p)
  RC_FORWARD(xUnfetch, (sqlite3_file * f, sqlite3_int64 o, void* p), o, p)
#undef RC_FORWARD
  static void xShmBarrier(sqlite3_file* f) { realMethods(f)->xShmBarrier(shim(f)->real()); }

  static inline std::mutex filterMu_;
  static inline std::string filter_;  // guarded by filterMu_
  static inline sqlite3_vfs* real_ = nullptr;
  static inline sqlite3_vfs vfs_{};
  static inline const sqlite3_io_methods methods_ = {
      3,           xClose,   read,          write,       xTruncate,
      xSync,       xFileSize, xLock,        xUnlock,     xCheckReservedLock,
      xFileControl, xSectorSize, xDeviceCharacteristics, xShmMap,
      xShmLock,    xShmBarrier, xShmUnmap,  xFetch,      xUnfetch};
};

}  // namespace roomchat::store::testutil
