#include "room/activity_writer.h"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace roomchat::room {

ActivityWriter::ActivityWriter(store::MetaStore& meta, boost::asio::any_io_executor executor)
    : meta_(meta), executor_(std::move(executor)) {}

void ActivityWriter::note(const std::string& roomId, int64_t at) {
  MutexLock lock(mu_);
  auto& latest = pending_[roomId];
  latest = std::max(latest, at);
  if (scheduled_) return;
  scheduled_ = true;
  boost::asio::post(executor_, [this] { drain(); });
}

void ActivityWriter::drain() {
  std::unordered_map<std::string, int64_t> batch;
  {
    MutexLock lock(mu_);
    batch.swap(pending_);
    scheduled_ = false;
  }
  // A failed write is logged (and counted by the store); the room's next
  // report carries its time forward again.
  for (const auto& [id, at] : batch) {
    if (Status st = meta_.touchRoom(id, at); !st.ok())
      spdlog::warn("room {}: lastActiveAt not saved: {}", id, st.error().message);
  }
}

}  // namespace roomchat::room
