// RoomDirectory answers "where does room X live?". Today every room lives in
// this process (LocalRoomDirectory); a multi-node placement can implement the
// same interface later without touching the room actor.
//
// LocalRoomDirectory keeps only awake rooms in memory. A hibernated room costs
// nothing here: no entry, no open file; its state is its database file
// (rooms/<first two chars of id>/<id>.db) and its row in the meta store.
// A room with no connections and no work for `idleSeconds` is closed by a
// periodic sweep; the closing (a checkpoint and fsyncs) runs on the
// background executor, never on an io thread nor ahead of requests queued on
// the work pool. Thread safety: all methods may be called from any thread.
// The map is sharded behind mutexes, and nothing slow runs under them: a
// room's file is opened (and migrated, and read by OnWake) outside its
// shard's lock while concurrent callers for the same room wait for that one
// open, and callers for other rooms do not wait at all.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/result.h"
#include "base/thread_annotations.h"
#include "room/room.h"
#include "store/room_store.h"

namespace roomchat::room {

// Work on a room's database as it wakes: on the waking thread, before any
// other caller can reach the room, so the one time room code may touch the
// store off the strand. A cold read done here needs neither a second
// connection nor a round trip through the strand.
using OnWake = std::function<void(const store::RoomStore&)>;

class RoomDirectory {
 public:
  virtual ~RoomDirectory() = default;
  // Creates the room's database and wakes the room.
  virtual Result<std::shared_ptr<Room>> create(const model::Room& info) = 0;
  // The awake room, opening its database if it was hibernating. Errors:
  // "not_found" (no database), "storage_unavailable" (unreadable, corrupt).
  // `info` is the room's current row, used when it has to be woken; `onWake`
  // runs only if this call wakes the room.
  virtual Result<std::shared_ptr<Room>> acquire(const model::Room& info,
                                                const OnWake& onWake = {}) = 0;
  // The room if it is awake; never wakes it.
  virtual std::shared_ptr<Room> ifAwake(const std::string& roomId) = 0;
  // Deletes the room's database; an awake room is told to destroy() itself.
  virtual Status destroy(const std::string& roomId) = 0;
  // Tells every awake room to shut down (close 1012) and waits until each has.
  virtual void shutdownAll() = 0;
  virtual size_t awake() const = 0;
};

struct DirectoryOptions {
  std::filesystem::path roomsDir;
  store::RoomStoreOptions storeOptions;
  int idleSeconds = 30;
  RoomHooks hooks;
  RoomLimits roomLimits;
  // Blocking file work: checkpoints (and what `background` does when unset).
  // Unset: the io_context.
  boost::asio::any_io_executor work;
  // Hibernation: work nobody waits for, best given only the CPU that requests
  // leave (the server runs it on one thread at nice 10).
  boost::asio::any_io_executor background;
  // The event loop a room's strand runs on, by room id (the server's io
  // shard for it: the room's sockets move there too). Unset: the io_context.
  std::function<boost::asio::any_io_executor(const std::string& roomId)> roomExecutor;
};

class LocalRoomDirectory : public RoomDirectory {
 public:
  LocalRoomDirectory(boost::asio::io_context& ioc, DirectoryOptions options);
  ~LocalRoomDirectory() override;

  // Starts the periodic idle sweep.
  void start();
  void stop();

  Result<std::shared_ptr<Room>> create(const model::Room& info) override;
  Result<std::shared_ptr<Room>> acquire(const model::Room& info,
                                        const OnWake& onWake = {}) override;
  std::shared_ptr<Room> ifAwake(const std::string& roomId) override;
  Status destroy(const std::string& roomId) override;
  void shutdownAll() override;
  size_t awake() const override;

  std::filesystem::path fileOf(const std::string& roomId) const;

 private:
  using Opened = std::shared_future<Result<std::shared_ptr<Room>>>;
  struct Shard {
    mutable Mutex mu;
    std::unordered_map<std::string, std::shared_ptr<Room>> rooms GUARDED_BY(mu);
    std::unordered_map<std::string, Opened> opening GUARDED_BY(mu);
  };
  Shard& shardOf(const std::string& roomId);
  // The awake room, or the one open in progress, or (first caller) opens it
  // outside the lock and publishes it.
  Result<std::shared_ptr<Room>> wake(const model::Room& info, bool create, const OnWake& onWake);
  // Opens the file and builds the room; publishes nothing. No lock held.
  Result<std::shared_ptr<Room>> open(const model::Room& info, bool create, const OnWake& onWake);
  // Returns with shard.mu held (released while it waits) and no open of
  // `roomId` in progress.
  void waitForOpen(Shard& shard, const std::string& roomId) REQUIRES(shard.mu);
  void scheduleSweep();
  void sweep();
  void maybeTrimHeap();

  static constexpr int64_t kTrimIntervalMs = 10000;

  boost::asio::io_context& ioc_;
  DirectoryOptions options_;
  boost::asio::any_io_executor work_;
  boost::asio::any_io_executor background_;
  std::array<Shard, 16> shards_;
  boost::asio::steady_timer sweepTimer_;  // only on its io_context's thread
  bool sweeping_ = false;                 // ditto: stop() clears it there
  // Set when a hibernation batch has finished, cleared by the trim it asks for.
  std::shared_ptr<std::atomic<bool>> heapFreed_ = std::make_shared<std::atomic<bool>>(false);
  int64_t lastTrimMs_ = 0;  // sweeps run one at a time
};

}  // namespace roomchat::room
