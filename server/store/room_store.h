// RoomStore owns one room's SQLite file (WAL mode): its messages, their
// full-text index and its schema version. It is the only code that speaks SQL
// to a room database.
//
// Thread safety: none. The owning room actor calls it only on its strand.
// Every write is a single transaction: on failure nothing is written and the
// in-memory lastSeq is unchanged.
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

  // Appends `batch` in one transaction. Each message gets seq = lastSeq()+1,
  // +2, ... in order; the seqs are written into the batch. On error nothing is
  // stored, lastSeq() is unchanged and the batch's seqs are left 0.
  // REQUIRES: every message has id, authorKind, kind, createdAt set.
  Status append(std::vector<model::Message>& batch);

  std::optional<model::Message> bySeq(int64_t seq) const;
  // The message this author sent with this clientId, if any (send dedup).
  std::optional<model::Message> byClientId(const std::string& authorId,
                                           const std::string& clientId) const;

  // Up to `limit` messages with seq < beforeSeq, ascending; hasMore says
  // whether older ones exist. beforeSeq <= 0 means "from the newest".
  MessagePage before(int64_t beforeSeq, int limit) const;
  // Up to `limit` messages with seq > afterSeq, ascending; hasMore says whether
  // newer ones exist beyond the page.
  MessagePage after(int64_t afterSeq, int limit) const;

  // Rewrites the text (edit) or marks the message deleted (clearing text and
  // images) for message.seq. Keeps the full-text index in step.
  Status update(const model::Message& message);

  // Full-text search (FTS5) over text messages that are not deleted, newest
  // first, limited to seq < beforeSeq when beforeSeq > 0. Query words are
  // matched as prefixes; the query is never interpreted as FTS syntax.
  MessagePage search(const std::string& query, int64_t beforeSeq, int limit) const;

  // Closes the database and deletes the file and its -wal/-shm companions.
  static Status destroy(const std::filesystem::path& file);

 private:
  struct Impl;
  explicit RoomStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomchat::store
