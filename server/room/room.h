// Room is the actor that owns one chat room while it is awake: its
// connections, presence and typing, and its RoomStore. Every method runs on
// strand(); callers post to it. A Room takes no locks and shares no state
// with other rooms (Dragonfly's shared-nothing shards).
//
// A message is validated (by proto, before it gets here), committed to the
// room's database together with every other frame that reached the room in the
// same strand turn (group commit), acknowledged to its sender and broadcast
// by one serialization and a loop over the connections.
//
// Blocking file work stays off the strand (whose io thread serves many
// sockets): WAL checkpoints run on the work pool (at most one per room at a
// time, and the task keeps the room referenced, so the directory never
// hibernates a room with one in flight), and HTTP history and search read on
// the room's RoomReader from the calling pool thread. (A page read as the
// room wakes is read by the directory on the connection the wake opens,
// before the room exists for anyone else: see OnWake in room/directory.h.)
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "auth/rate_limiter.h"
#include "model/types.h"
#include "proto/client_frames.h"
#include "room/call_roster.h"
#include "room/connection.h"
#include "room/presence.h"
#include "store/room_store.h"

namespace roomchat::room {

struct RoomHooks {
  // The room's latest commit time (ms): at most once per
  // RoomLimits::activityReportMs while messages flow, and once more, with the
  // time not yet reported, as the room closes. Called on the strand or by the
  // closing thread; must not block.
  std::function<void(const std::string& roomId, int64_t at)> activity;
};


struct RoomLimits {
  int catchUpMax = 1000;   // hello{lastSeq}: beyond this many missed, reset
  int pageSize = 25;
  int64_t callGraceMs = 10000;  // a dropped call participant's seat is kept this long
  // Presence is a full snapshot sent to every socket, so a burst of joins is
  // folded into one broadcast per window; the window grows with the room so
  // the total work stays near-linear in its size.
  int64_t presenceWindowMs = 50;
  int64_t presenceWindowUsPerConnection = 20;
  // A commit that leaves the WAL at this many pages starts a PASSIVE
  // checkpoint on the work pool (SQLite's own threshold); past restartPages
  // (readers kept the WAL from starting over) a RESTART, which holds off
  // commits while it runs but bounds the file.
  int checkpointPages = 1000;
  // send/edit/delete per user across all of the user's sockets in the room
  // (each socket has its own bucket too): reconnecting refills nothing.
  double userMessageRate = 10;
  double userMessageBurst = 30;
  int restartPages = 16000;
  // The last-activity time reaches the meta store at most this often: it
  // orders room lists, where a second is no difference, and a report per
  // message would put a shared lock and a meta.db write on every message.
  int64_t activityReportMs = 1000;
};

// In ROOMCHAT_CHECK_STRANDS builds (sanitizers, debug): aborts, naming
// `method`, unless the caller runs on `strand`. Elsewhere it compiles to nothing.
inline void requireStrand(const boost::asio::strand<boost::asio::any_io_executor>& strand,
                          const char* method) {
#ifdef ROOMCHAT_CHECK_STRANDS
  if (strand.running_in_this_thread()) return;
  // stderr directly: the process ends on the next line, before a logger flushes.
  std::fprintf(stderr, "%s called off the room's strand\n", method);
  std::abort();
#else
  (void)strand, (void)method;
#endif
}

class Room : public std::enable_shared_from_this<Room> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;

  // `work` runs the blocking file work (checkpoints).
  Room(std::string id, boost::asio::any_io_executor executor, boost::asio::any_io_executor work,
       std::unique_ptr<store::RoomStore> store, model::Room info, RoomHooks hooks,
       RoomLimits limits = {});
  ~Room();

  const std::string& id() const { return id_; }
  Strand& strand() { return strand_; }

  // Read from any thread (the directory's idle sweep).
  int liveConnections() const { return live_.load(std::memory_order_relaxed); }
  int64_t lastUsedMs() const { return lastUsed_.load(std::memory_order_relaxed); }

  // Everything below: REQUIRES running on strand() (checked in debug and
  // sanitizer builds: ROOMCHAT_CHECK_STRANDS aborts with the method's name).
  void attach(std::shared_ptr<Connection> conn, const std::string& connId, Member member);
  void detach(const std::string& connId);
  void handle(const std::string& connId, proto::ClientFrame&& frame);
  // Takes one token of the user's message budget in this room.
  bool takeMessageToken(const std::string& userId);

  // Closes every connection of `userId` with `code` (removed member: 4403),
  // and refuses for a while an attach authorized before it (Member::authorizedAt).
  void removeUser(const std::string& userId, uint16_t code, const std::string& reason);
  // The room's name or visibility changed: roomUpdated to every connection.
  void updateInfo(const model::Room& info);
  // The room was deleted: roomDeleted, close 4404, close the database.
  void destroy();
  // The server is stopping: close every connection with 1012.
  void shutdown();

  // Any thread (the work pool), never the strand: they block on the room's
  // read connection. Errors: "storage_unavailable".
  Result<store::MessagePage> history(int64_t beforeSeq, int limit);
  Result<store::MessagePage> search(const std::string& query, int64_t beforeSeq, int limit);

  // Closes the reader and the database, checkpointing the WAL into the file
  // (TRUNCATE) first, so no file stays open and the next wake has no WAL to
  // read. Blocking: runs on the work pool. REQUIRES: nothing else references
  // the room (the directory's idle sweep took it out of the map as the only
  // owner; a checkpoint in flight would hold a reference).
  void hibernate();
  // Users present, readable from any thread (public discovery shows it).
  int online() const { return online_.load(std::memory_order_relaxed); }

 private:
  struct Conn {
    std::shared_ptr<Connection> conn;
    Member member;
    bool greeted = false;  // sent hello
  };
  struct PendingSend {
    std::string connId;
    model::Message message;
  };
  struct DuplicateSend {  // same clientId as a pending send: acked with it
    std::string connId;
    size_t pendingIndex;
  };

  void onHello(Conn& c, const std::string& connId, const proto::Hello& f);
  void onSend(Conn& c, const std::string& connId, proto::Send&& f);
  void onHistory(Conn& c, const proto::History& f);
  void onEdit(Conn& c, const proto::Edit& f);
  void onDelete(Conn& c, const proto::Delete& f);
  void onStatus(Conn& c, const proto::Status& f);
  void onTyping(Conn& c, const std::string& connId, const proto::Typing& f);
  void onCallJoin(Conn& c, const std::string& connId);
  void onCallUpdate(Conn& c, const std::string& connId, const proto::CallUpdate& f);
  void onCallLeave(const std::string& connId);
  void onCallSignal(Conn& c, const std::string& connId, const proto::CallSignal& f);
  void armCallTimer();
  void broadcastCall();
  void cancelTimers();


  bool dedup(Conn& c, const std::string& connId, const std::string& clientId);
  // Nothing when the message is gone or deleted.
  Result<std::optional<model::ReplyRef>> replySnapshot(int64_t seq);
  void scheduleFlush();
  void flush();
  // After a commit: starts a checkpoint on the work pool when the WAL is big,
  // or a TRUNCATE one after a deletion (the deleted text must leave the WAL).
  void maybeCheckpoint(bool afterDelete = false);
  void checkpointDone(const Status& status);
  void sendPage(Conn& c, const Result<store::MessagePage>& page);
  void failPending(const Error& error, std::vector<PendingSend>& sends,
                   std::vector<DuplicateSend>& duplicates);
  void broadcastCommitted(const std::vector<PendingSend>& sends,
                          const std::vector<model::Message>& batch,
                          const std::vector<DuplicateSend>& duplicates);

  model::RoomView viewFor(const Member& m) const;
  void sendTo(Conn& c, std::string frame);
  void sendError(Conn& c, const std::string& code, const std::string& message,
                 const std::optional<std::string>& clientId = std::nullopt);
  // Greeted connections only; `except` skips one connection id.
  void broadcast(std::shared_ptr<const std::string> frame, const std::string* except = nullptr);
  // Schedules one presence broadcast for the current window.
  void broadcastPresence();
  void sendPresenceNow();
  void leavePresence(const Member& m);
  void touch();
  // Reports lastActivity_ when a report is due (or `flushAll`: the room closes).
  void reportActivity(bool flushAll);

  std::string id_;
  Strand strand_;
  boost::asio::any_io_executor work_;
  std::unique_ptr<store::RoomStore> store_;
  const std::filesystem::path file_;
  const store::RoomStoreOptions storeOptions_;
  store::RoomReader reader_;  // thread-safe; used from the work pool
  bool checkpointing_ = false;
  bool truncateOwed_ = false;  // a deletion came while a checkpoint was running
  model::Room info_;
  RoomHooks hooks_;
  RoomLimits limits_;
  std::unordered_map<std::string, Conn> conns_;
  std::unordered_map<std::string, auth::TokenBucket> messageBudgets_;  // by user id
  // Removals by user id (ms), kept longer than an upgrade can take from its
  // membership check to its attach.
  std::unordered_map<std::string, int64_t> removed_;
  static constexpr int64_t kRemovalMemoryMs = 5 * 60 * 1000;
  Presence presence_;
  CallRoster call_;
  std::unique_ptr<boost::asio::steady_timer> callTimer_;  // expires dropped call seats
  std::unique_ptr<boost::asio::steady_timer> presenceTimer_;
  bool presenceScheduled_ = false;
  std::vector<PendingSend> pending_;
  std::vector<DuplicateSend> duplicates_;
  bool flushScheduled_ = false;
  bool deleted_ = false;
  int64_t lastActivity_ = 0;      // the newest commit's time
  int64_t reportedActivity_ = 0;  // what hooks_.activity was last told
  std::atomic<int> live_{0};
  std::atomic<int> online_{0};
  std::atomic<int64_t> lastUsed_{0};
};

}  // namespace roomchat::room
