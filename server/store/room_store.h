// RoomStore owns one room's SQLite file (WAL mode): its messages, their
// full-text index and its schema version. It is the only code that speaks SQL
// to a room database. RoomReader reads the same file on a connection of its
// own, and RoomStore::checkpoint() copies the WAL back into the file on
// another, so that neither the reads of a big room nor the fsyncs of a
// checkpoint run on the writer's thread.
//
// Thread safety: RoomStore none (the owning room actor calls it only on its
// strand); RoomReader and checkpoint() any thread, concurrently with the
// writer. Every write is a single transaction: on failure nothing is written
// and the in-memory lastSeq is unchanged. Every read reports a storage
// failure as Error{"storage_unavailable"} (or "internal"), never as "empty".
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/types.h"

namespace roomchat::store {

struct RoomStoreOptions {
  // "normal" survives a process crash (SIGKILL); "full" also survives power loss.
  bool synchronousFull = false;
  // Off: SQLite checkpoints inside the commit that fills the WAL past 1000
  // pages (fsyncs on the writer's thread). On: never inside a commit; the
  // owner watches walPages() and runs checkpoint() elsewhere.
  bool manualCheckpoints = false;
};

enum class CheckpointMode {
  kPassive,   // copies what it can without waiting; the writer is never held up
  kRestart,   // waits for readers and holds off the writer, so the WAL starts over
  kTruncate,  // as kRestart, and truncates the WAL file to zero bytes
};

struct MessagePage {
  std::vector<model::Message> messages;  // ascending by seq (search: newest first)
  bool hasMore = false;
};

class RoomStore {
 public:
  // Opens (and migrates) the room database at `file`. With create=false a
  // missing file is an Error{"not_found"} and nothing is created: a deleted
  // room is never resurrected by a late request. Errors: "not_found",
  // "storage_unavailable" (unreadable, corrupt, disk full), "storage_version"
  // (the file's schema is newer than this binary).
  static Result<std::unique_ptr<RoomStore>> open(const std::filesystem::path& file,
                                                 const std::string& roomId, bool create,
                                                 RoomStoreOptions options = {});
  ~RoomStore();
  RoomStore(const RoomStore&) = delete;
  RoomStore& operator=(const RoomStore&) = delete;

  // Highest committed seq, 0 for an empty room.
  int64_t lastSeq() const;
  // What open() was given, for the reader and checkpoints of the same file.
  const std::filesystem::path& file() const;
  RoomStoreOptions options() const;

  // Appends `batch` in one transaction. Each message gets seq = lastSeq()+1,
  // +2, ... in order; the seqs are written into the batch. On error nothing is
  // stored, lastSeq() is unchanged and the batch's seqs are left 0.
  // REQUIRES: every message has id, authorKind, kind, createdAt set.
  Status append(std::vector<model::Message>& batch);

  // Pages in the WAL after the last commit (0 after a checkpoint let the WAL
  // start over), for the owner's checkpoint policy.
  int walPages() const;

  // Reads: nullopt / an empty page when there is nothing, an Error when the
  // file cannot be read.
  Result<std::optional<model::Message>> bySeq(int64_t seq) const;
  // The message this author sent with this clientId, if any (send dedup).
  Result<std::optional<model::Message>> byClientId(const std::string& authorId,
                                                   const std::string& clientId) const;

  // Up to `limit` messages with seq < beforeSeq, ascending; hasMore says
  // whether older ones exist. beforeSeq <= 0 means "from the newest".
  Result<MessagePage> before(int64_t beforeSeq, int limit) const;
  // Up to `limit` messages with seq > afterSeq, ascending; hasMore says whether
  // newer ones exist beyond the page.
  Result<MessagePage> after(int64_t afterSeq, int limit) const;

  // Rewrites the text (edit) or marks the message deleted (clearing text and
  // images) for message.seq. Keeps the full-text index in step. A deletion
  // also empties the snippet of every reply that quotes the message, in the
  // same transaction. Freed space is zeroed (secure_delete); the deleted text
  // leaves the WAL with the next TRUNCATE checkpoint, and its words leave the
  // search index when close() compacts it.
  Status update(const model::Message& message);

  // Full-text search (FTS5) over text messages that are not deleted, newest
  // first, limited to seq < beforeSeq when beforeSeq > 0. Query words are
  // matched as prefixes; the query is never interpreted as FTS syntax.
  // The index is written by the append that makes the unindexed tail 64
  // messages long (and by close()); a search matches the tail from the table
  // with the same tokenizer, so it always sees every message.
  Result<MessagePage> search(const std::string& query, int64_t beforeSeq, int limit) const;

  // Indexes the unindexed tail, checkpoints the WAL into the file (TRUNCATE)
  // and closes the database, so that the next open has no WAL to recover.
  // After deletions it first compacts the search index (FTS5 'optimize').
  // Later calls fail with
  // "storage_unavailable". (The destructor only closes: SQLite checkpoints
  // on close by itself, but only when no other connection has the file open.)
  Status close();

  // Runs a checkpoint of `file` on a connection of its own, opened for the
  // call, with the durability settings of `options` (the checkpoint's fsyncs
  // are what makes NORMAL commits durable against power loss). Safe while the
  // room's RoomStore commits on another thread. "not_found" when the file is
  // gone (the room was deleted); a checkpoint that could not finish because
  // of readers is not an error: walPages() stays up and the owner retries.
  static Status checkpoint(const std::filesystem::path& file, CheckpointMode mode,
                           RoomStoreOptions options);

  // Closes the database and deletes the file and its -wal/-shm companions.
  static Status destroy(const std::filesystem::path& file);

 private:
  struct Impl;
  explicit RoomStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// RoomReader answers the read-only queries of one room file (history pages,
// search) on its own read-only connection, opened on first use, so that a
// slow read of a huge room never delays the room's commits. Reads see every
// commit acknowledged before they start. Thread safety: any thread; calls are
// serialized (one connection).
class RoomReader {
 public:
  RoomReader(std::filesystem::path file, std::string roomId);
  ~RoomReader();
  RoomReader(const RoomReader&) = delete;
  RoomReader& operator=(const RoomReader&) = delete;

  // As RoomStore's. Errors: "storage_unavailable" (cannot open or read, or
  // closed), "not_found" (the file is gone).
  Result<MessagePage> before(int64_t beforeSeq, int limit);
  Result<MessagePage> search(const std::string& query, int64_t beforeSeq, int limit);

  // Closes the connection for good: later reads fail, nothing reopens the
  // file. Never waits: a read in progress finishes and closes it.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where a room's database lives: <roomsDir>/<first 2 chars of id>/<id>.db.
std::filesystem::path roomFileOf(const std::filesystem::path& roomsDir, const std::string& roomId);

// Whether a live (not deleted) message in the room database `file` holds
// image `key`; false when the file is gone. Opens the file read-only for the
// one query (the blob collector asks before it drops a room's reference):
// safe beside the room's own connection, awake or not.
Result<bool> roomFileHoldsImage(const std::filesystem::path& file, const std::string& key);

}  // namespace roomchat::store
