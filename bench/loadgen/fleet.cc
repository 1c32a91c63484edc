#include "fleet.h"

#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/post.hpp>

#include "api.h"
#include "stats.h"

namespace loadgen {

namespace {
enum State : uint8_t { kConnecting, kWelcomed, kClosing, kEnded };
}

Fleet::Fleet(IoPool& pool, int capacity, Hooks hooks)
    : pool_(pool),
      hooks_(std::move(hooks)),
      clients_(capacity),
      welcomed_(new std::atomic<uint8_t>[capacity]) {
  for (int i = 0; i < capacity; ++i) welcomed_[i] = kEnded;
}

void Fleet::launch(int i) {
  welcomed_[i] = kConnecting;
  auto ws = std::make_shared<WsClient>(pool_.at(threadOf(i)), hooks_.target(i));
  WsClient* raw = ws.get();
  ws->onOpen = [this, i, raw] { raw->send(hooks_.hello(i)); };
  ws->onText = [this, i](std::string_view frame) {
    hooks_.onFrame(i, frame);  // first, so open() returns after the hook saw the welcome
    if (welcomed_[i] == kConnecting && frameType(frame) == "welcome") {
      welcomed_[i] = kWelcomed;
      ++done_;
    }
  };
  ws->onClosed = [this, i](const std::string& why) { noteEnd(i, why); };
  clients_[i] = ws;
  ws->start();
}

void Fleet::noteEnd(int i, const std::string& why) {
  const uint8_t state = welcomed_[i].exchange(kEnded);
  if (state == kClosing) {
    ++ended_;
    return;
  }
  if (state == kConnecting) {
    ++failed_;
    ++done_;
  } else if (state == kWelcomed) {
    ++lost_;
  }
  std::lock_guard lock(mu_);
  if (firstReason_.empty()) firstReason_ = why;
}

int Fleet::open(int first, int n, int concurrency, double timeoutSeconds) {
  done_ = 0;
  const int failedBefore = failed_;
  const double deadline = nowSeconds() + timeoutSeconds;
  for (int k = 0; k < n; ++k) {
    while (k - done_ >= concurrency && nowSeconds() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (nowSeconds() >= deadline) break;
    launch(first + k);
  }
  waitFor([&] { return done_ >= n; }, std::max(0.0, deadline - nowSeconds()));
  return done_ - (failed_ - failedBefore);
}

void Fleet::close(int first, int n, double timeoutSeconds) {
  ended_ = 0;
  int closing = 0;
  for (int k = first; k < first + n; ++k) {
    uint8_t expected = kWelcomed;
    if (!welcomed_[k].compare_exchange_strong(expected, kClosing)) {
      expected = kConnecting;
      if (!welcomed_[k].compare_exchange_strong(expected, kClosing)) continue;
    }
    ++closing;
    clients_[k]->close();
  }
  waitFor([&] { return ended_ >= closing; }, timeoutSeconds);
}

nlohmann::json Fleet::problems() const {
  std::lock_guard lock(mu_);
  return {{"failed", failed_.load()}, {"lost", lost_.load()}, {"firstReason", firstReason_}};
}

void onEveryThread(IoPool& pool, const std::function<void(int thread)>& f) {
  std::vector<std::future<void>> done;
  for (int t = 0; t < pool.size(); ++t) {
    auto task = std::make_shared<std::packaged_task<void()>>([&f, t] { f(t); });
    done.push_back(task->get_future());
    asio::post(pool.at(t), [task] { (*task)(); });
  }
  for (auto& d : done) d.get();
}

}  // namespace loadgen
