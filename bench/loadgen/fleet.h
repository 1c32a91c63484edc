// Fleet opens and holds many room sockets: client i lives on thread
// i % pool.size(), says hello when its socket opens and counts as ready at its
// `welcome`. At most `concurrency` clients are between start and welcome at
// once, so a storm of handshakes is the scenario's choice, not an accident.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "net.h"

namespace loadgen {

class Fleet {
 public:
  struct Hooks {
    std::function<WsTarget(int i)> target;                      // called just before start
    std::function<std::string(int i)> hello;                    // first frame
    std::function<void(int i, std::string_view frame)> onFrame;  // every frame, welcome included
  };

  Fleet(IoPool& pool, int capacity, Hooks hooks);

  // Opens clients [first, first + n) (replacing any earlier ones with those
  // indexes) and returns once each has been welcomed or failed, or at timeout.
  // Returns how many were welcomed.
  int open(int first, int n, int concurrency, double timeoutSeconds);
  // Closes [first, first + n) and waits (bounded) until their sockets ended.
  void close(int first, int n, double timeoutSeconds);

  // REQUIRES: called on client i's thread.
  WsClient& client(int i) { return *clients_[i]; }
  int threadOf(int i) const { return i % pool_.size(); }
  IoPool& pool() { return pool_; }

  // Sockets that ended after their welcome (the server closed them), and why.
  int lost() const { return lost_.load(); }
  int failed() const { return failed_.load(); }
  nlohmann::json problems() const;  // {"failed", "lost", "firstReason"}

 private:
  void launch(int i);
  void noteEnd(int i, const std::string& why);

  IoPool& pool_;
  Hooks hooks_;
  std::vector<std::shared_ptr<WsClient>> clients_;
  std::unique_ptr<std::atomic<uint8_t>[]> welcomed_;
  std::atomic<int> done_{0}, failed_{0}, lost_{0}, ended_{0};
  mutable std::mutex mu_;
  std::string firstReason_;
};

// Runs f on every pool thread and waits for all of them.
void onEveryThread(IoPool& pool, const std::function<void(int thread)>& f);

}  // namespace loadgen
