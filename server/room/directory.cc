#include "room/directory.h"

#include <malloc.h>

#include <chrono>
#include <future>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "base/ids.h"
#include "base/metrics.h"

namespace roomchat::room {

namespace asio = boost::asio;

LocalRoomDirectory::LocalRoomDirectory(asio::io_context& ioc, DirectoryOptions options)
    : ioc_(ioc),
      options_(std::move(options)),
      work_(options_.work ? options_.work : asio::any_io_executor(ioc.get_executor())),
      background_(options_.background ? options_.background : work_),
      sweepTimer_(ioc) {
  // Rooms run their checkpoints on work_, never inside a commit on a strand.
  options_.storeOptions.manualCheckpoints = true;
}

LocalRoomDirectory::~LocalRoomDirectory() = default;

std::filesystem::path LocalRoomDirectory::fileOf(const std::string& roomId) const {
  return store::roomFileOf(options_.roomsDir, roomId);
}

LocalRoomDirectory::Shard& LocalRoomDirectory::shardOf(const std::string& roomId) {
  return shards_[std::hash<std::string>{}(roomId) % shards_.size()];
}

Result<std::shared_ptr<Room>> LocalRoomDirectory::open(const model::Room& info, bool create,
                                                       const OnWake& onWake) {
  const auto started = std::chrono::steady_clock::now();
  auto store = store::RoomStore::open(fileOf(info.id), info.id, create, options_.storeOptions);
  if (!store.ok()) {
    if (store.error().code != "not_found") {
      metrics().roomOpenFailures.inc();
      spdlog::error("room {}: cannot open database: {}", info.id, store.error().message);
    }
    return store.error();
  }
  if (onWake) onWake(**store);
  auto executor = options_.roomExecutor ? options_.roomExecutor(info.id)
                                        : asio::any_io_executor(ioc_.get_executor());
  auto room = std::make_shared<Room>(info.id, std::move(executor), work_, std::move(store.value()),
                                     info, options_.hooks, options_.roomLimits);
  metrics().roomsWoken.inc();
  metrics().wakeSeconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return room;
}

Result<std::shared_ptr<Room>> LocalRoomDirectory::wake(const model::Room& info, bool create,
                                                       const OnWake& onWake) {
  Shard& shard = shardOf(info.id);
  std::promise<Result<std::shared_ptr<Room>>> opened;
  {
    MutexLock lock(shard.mu);
    if (auto it = shard.rooms.find(info.id); it != shard.rooms.end()) return it->second;
    if (auto it = shard.opening.find(info.id); it != shard.opening.end()) {
      Opened inProgress = it->second;
      lock.Unlock();
      return inProgress.get();  // another caller is opening it: its result is ours
    }
    shard.opening.emplace(info.id, opened.get_future().share());
  }
  auto room = open(info, create, onWake);
  {
    MutexLock lock(shard.mu);
    shard.opening.erase(info.id);
    if (room.ok()) shard.rooms.emplace(info.id, *room);
  }
  opened.set_value(room);
  return room;
}

Result<std::shared_ptr<Room>> LocalRoomDirectory::create(const model::Room& info) {
  return wake(info, /*create=*/true, {});
}

Result<std::shared_ptr<Room>> LocalRoomDirectory::acquire(const model::Room& info,
                                                          const OnWake& onWake) {
  return wake(info, /*create=*/false, onWake);
}

void LocalRoomDirectory::waitForOpen(Shard& shard, const std::string& roomId) {
  for (auto it = shard.opening.find(roomId); it != shard.opening.end();
       it = shard.opening.find(roomId)) {
    Opened inProgress = it->second;
    shard.mu.unlock();
    inProgress.wait();
    shard.mu.lock();
  }
}

std::shared_ptr<Room> LocalRoomDirectory::ifAwake(const std::string& roomId) {
  Shard& shard = shardOf(roomId);
  MutexLock lock(shard.mu);
  auto it = shard.rooms.find(roomId);
  return it == shard.rooms.end() ? nullptr : it->second;
}

// The files go under the shard lock, after any open of the room in flight,
// so no concurrent acquire can reopen a room that is being deleted; an awake
// room learns of it on its strand.
Status LocalRoomDirectory::destroy(const std::string& roomId) {
  Shard& shard = shardOf(roomId);
  std::shared_ptr<Room> room;
  Status removed;
  {
    MutexLock lock(shard.mu);
    waitForOpen(shard, roomId);  // an open in flight would publish a deleted room
    if (auto it = shard.rooms.find(roomId); it != shard.rooms.end()) {
      room = std::move(it->second);
      shard.rooms.erase(it);
    }
    removed = store::RoomStore::destroy(fileOf(roomId));
  }
  // The room closes its handle on its strand; companions (-wal, -shm) that
  // closing may leave behind go with a second sweep there.
  if (room)
    asio::post(room->strand(), [room, file = fileOf(roomId)] {
      room->destroy();
      (void)store::RoomStore::destroy(file);
    });
  return removed;
}

void LocalRoomDirectory::shutdownAll() {
  std::vector<std::future<void>> done;
  for (auto& shard : shards_) {
    MutexLock lock(shard.mu);
    for (const auto& entry : shard.rooms) {
      const std::shared_ptr<Room>& room = entry.second;  // clang 14 cannot capture a binding
      auto promise = std::make_shared<std::promise<void>>();
      done.push_back(promise->get_future());
      asio::post(room->strand(), [room, promise] {
        room->shutdown();
        promise->set_value();
      });
    }
  }
  for (auto& f : done) f.wait();
}

size_t LocalRoomDirectory::awake() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    MutexLock lock(shard.mu);
    n += shard.rooms.size();
  }
  return n;
}

// The timer is touched only on its io_context's thread: start() and stop()
// may be called from any thread (stop() from the one that handles SIGTERM),
// and a cancel racing with the handler that re-arms it would be a data race.
void LocalRoomDirectory::start() {
  asio::post(ioc_, [this] {
    sweeping_ = true;
    scheduleSweep();
  });
}

void LocalRoomDirectory::stop() {
  asio::post(ioc_, [this] {
    sweeping_ = false;
    sweepTimer_.cancel();
  });
}

void LocalRoomDirectory::scheduleSweep() {
  const auto period = std::chrono::milliseconds(std::clamp(options_.idleSeconds * 250, 100, 5000));
  sweepTimer_.expires_after(period);
  sweepTimer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !sweeping_) return;
    sweep();
    scheduleSweep();
  });
}

// A room is idle when only this map holds it (no connection, no request, no
// posted work and no checkpoint in flight keeps a reference: every reference
// is handed out under the shard lock) and nothing touched it for idleSeconds.
// As the only owner, the background thread then closes its files and frees it.
void LocalRoomDirectory::sweep() {
  maybeTrimHeap();
  const int64_t cutoff = nowMs() - int64_t{options_.idleSeconds} * 1000;
  auto idle = std::make_shared<std::vector<std::shared_ptr<Room>>>();  // copyable task
  for (auto& shard : shards_) {
    MutexLock lock(shard.mu);
    for (auto it = shard.rooms.begin(); it != shard.rooms.end();) {
      const auto& room = it->second;
      if (room.use_count() == 1 && room->liveConnections() == 0 && room->lastUsedMs() <= cutoff) {
        idle->push_back(std::move(it->second));
        it = shard.rooms.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (idle->empty()) return;
  metrics().roomsHibernated.inc(idle->size());
  asio::post(background_, [rooms = std::move(idle), freed = heapFreed_] {
    for (auto& room : *rooms) {
      room->hibernate();
      room.reset();  // the last reference: the room is freed here
    }
    freed->store(true, std::memory_order_relaxed);
  });
}

// Without a trim glibc keeps the pages that closed rooms freed, and a
// hibernated room would still cost resident memory. But a trim walks the whole
// heap under the allocator's locks (12-185 ms measured with 4,000 rooms), and
// every thread that allocates meanwhile waits: one per sweep put those stalls
// into the tail of request latency. So at most one per trim interval.
void LocalRoomDirectory::maybeTrimHeap() {
  const int64_t now = nowMs();
  if (now - lastTrimMs_ < kTrimIntervalMs || !heapFreed_->exchange(false)) return;
  lastTrimMs_ = now;
  asio::post(background_, [] { malloc_trim(0); });
}

}  // namespace roomchat::room
