// IoShards owns the server's event loops: one io_context per io thread, each
// run by exactly that thread (thread-per-core, as Seastar and Dragonfly do).
// A room and every socket attached to it live on one shard, chosen by the
// room id, so a message is parsed, committed, acknowledged and written to all
// of its room's sockets by one thread, with no lock shared with other rooms.
// A freshly accepted connection goes to the shards in turn; its upgrade moves
// the socket to its room's shard (WsSession rebinds it).
//
// Shards share nothing but the round-robin counter. Work crosses shards only
// as a posted handler (asio's own queue per io_context).
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace roomchat::net {

class IoShards {
 public:
  // REQUIRES: count >= 1.
  explicit IoShards(int count);
  ~IoShards();
  IoShards(const IoShards&) = delete;
  IoShards& operator=(const IoShards&) = delete;

  int size() const { return static_cast<int>(shards_.size()); }
  boost::asio::io_context& at(int i) { return shards_[static_cast<size_t>(i)]->ioc; }
  // The same shard for the same key, for the life of the process.
  boost::asio::io_context& forKey(std::string_view key);
  // The shards in turn: where a new connection starts.
  boost::asio::io_context& next();

  // Runs shard 0 on the calling thread and the others on threads of their
  // own; returns once every shard has stopped and its thread was joined.
  void run();
  // Makes run() return: every io_context stops (handlers not yet run are dropped).
  void stop();

 private:
  struct Shard {
    explicit Shard() : ioc(1), keepRunning(boost::asio::make_work_guard(ioc)) {}
    boost::asio::io_context ioc;  // concurrency hint 1: one thread runs it
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keepRunning;
  };
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<unsigned> next_{0};
};

}  // namespace roomchat::net
