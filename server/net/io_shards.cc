#include "net/io_shards.h"

#include <functional>

namespace roomchat::net {

IoShards::IoShards(int count) {
  shards_.reserve(static_cast<size_t>(std::max(1, count)));
  for (int i = 0; i < std::max(1, count); ++i) shards_.push_back(std::make_unique<Shard>());
}

IoShards::~IoShards() = default;

boost::asio::io_context& IoShards::forKey(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % shards_.size()]->ioc;
}

boost::asio::io_context& IoShards::next() {
  return shards_[next_.fetch_add(1, std::memory_order_relaxed) % shards_.size()]->ioc;
}

void IoShards::run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < shards_.size(); ++i)
    threads.emplace_back([&ioc = shards_[i]->ioc] { ioc.run(); });
  shards_[0]->ioc.run();
  for (auto& t : threads) t.join();
}

void IoShards::stop() {
  for (auto& s : shards_) s->ioc.stop();
}

}  // namespace roomchat::net
