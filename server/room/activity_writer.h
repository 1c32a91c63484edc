// ActivityWriter carries rooms' last-activity times to the meta store
// (rooms.last_active_at, which orders room lists), off every strand and in
// batches: a note() keeps only the latest time per room, and at most one task
// on the given executor at a time writes what has gathered. Rooms already
// report at most once a second each (Room::reportActivity), so the mutex here
// is taken a few hundred times a second at most, never once per message.
// Thread safety: note() may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

#include "base/thread_annotations.h"
#include "store/meta_store.h"

namespace roomchat::room {

class ActivityWriter {
 public:
  // `meta` and `executor` outlive the writer; the executor may block.
  ActivityWriter(store::MetaStore& meta, boost::asio::any_io_executor executor);

  void note(const std::string& roomId, int64_t at);

 private:
  void drain();

  store::MetaStore& meta_;
  boost::asio::any_io_executor executor_;
  Mutex mu_;
  std::unordered_map<std::string, int64_t> pending_ GUARDED_BY(mu_);
  bool scheduled_ GUARDED_BY(mu_) = false;
};

}  // namespace roomchat::room
