// Fan-out: R rooms of C clients each; every delivery of a `message` frame is
// counted and its latency (send time embedded in the text) recorded.
// Two phases on the same sockets, each warmed up, measured, then drained:
// - fixed: senders are paced open-loop at a total of `rate` messages/s;
// - max:   each sender keeps `window` sends in flight (the next goes on its ack).
#include <sys/resource.h>

#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api.h"
#include "fleet.h"
#include "scenarios.h"
#include "stats.h"

namespace loadgen {

namespace {

constexpr double kConnectTimeout = 300;
constexpr int kConnectConcurrency = 200;
// Senders per room in both phases: enough to keep the server saturated at max
// rate without queueing more than this many messages per receiver.
constexpr int kDefaultSendersPerRoom = 50;
constexpr auto kPacerTick = std::chrono::milliseconds(1);
constexpr int64_t kQuietNs = 500'000'000;  // no delivery for this long: the phase has drained
constexpr double kDrainTimeout = 30;

double selfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Config {
  int rooms, clientsPerRoom, users, usersPerRoom, sendersPerRoom, window, threads;
  double fixedRate, warmup, duration;
  bool maxPhase;  // --max 0: the fixed phase only (to profile it)
};

class Fanout {
 public:
  Fanout(const Server& server, const Config& cfg)
      : server_(server), cfg_(cfg), pool_(cfg.threads),
        threads_(pool_.size()),
        fleet_(pool_, cfg.rooms * cfg.clientsPerRoom,
               {[this](int i) { return target(i); }, [](int) { return helloFrame(); },
                [this](int i, std::string_view f) { onFrame(i, f); }}) {}

  nlohmann::json run();

 private:
  enum class Mode { kQuiet, kMax, kFixed };
  struct PerThread {
    LatencyHistogram latency;
    uint64_t deliveries = 0, acks = 0, sent = 0, errors = 0;
    int64_t lastDeliveryNs = 0;
    std::string firstError;
    std::vector<int> senders;  // client indexes on this thread that send
    std::unique_ptr<asio::steady_timer> pacer;
    double pacedSince = 0;
    uint64_t pacedSent = 0;
    size_t nextSender = 0;
  };

  int roomOf(int i) const { return i / cfg_.clientsPerRoom; }
  bool isSender(int i) const { return i % cfg_.clientsPerRoom < cfg_.sendersPerRoom; }
  WsTarget target(int i);
  void onFrame(int i, std::string_view frame);
  void sendOne(int i, PerThread& t);
  void startMax();
  void startFixed();
  void pace(int thread);
  struct Totals {
    LatencyHistogram latency;
    uint64_t deliveries = 0, acks = 0, sent = 0, errors = 0;
    std::string firstError;
  };
  void resetStats();
  Totals collect();
  void drain();
  nlohmann::json measure(const std::string& name, Mode mode);

  Server server_;
  Config cfg_;
  IoPool pool_;
  std::vector<PerThread> threads_;
  Fleet fleet_;
  std::vector<User> users_;
  std::vector<std::string> rooms_;
  std::vector<int> inflight_;  // per client, touched on its thread only
  std::vector<uint64_t> counter_;
  std::atomic<Mode> mode_{Mode::kQuiet};
  std::atomic<bool> recording_{false};
};

WsTarget Fanout::target(int i) {
  const int r = roomOf(i);
  const int u = (r * cfg_.usersPerRoom + i % cfg_.usersPerRoom) % std::max(cfg_.users, 1);
  return roomSocket(server_, rooms_[r], "t" + std::to_string(i),
                    users_.empty() ? "" : users_[u].cookie);
}

void Fanout::sendOne(int i, PerThread& t) {
  std::string clientId = "c" + std::to_string(i) + "-" + std::to_string(++counter_[i]);
  fleet_.client(i).send(sendFrame(clientId, nowNanos()));
  ++inflight_[i];
  if (recording_) ++t.sent;
}

void Fanout::onFrame(int i, std::string_view frame) {
  PerThread& t = threads_[fleet_.threadOf(i)];
  const auto type = frameType(frame);
  if (type == "message") {
    const int64_t sentAt = sentAtOf(frame), now = nowNanos();
    t.lastDeliveryNs = now;
    if (recording_ && sentAt > 0) {
      ++t.deliveries;
      t.latency.record(now - sentAt);
    }
  } else if (type == "ack") {
    --inflight_[i];
    if (recording_) ++t.acks;
    if (mode_ == Mode::kMax && inflight_[i] < cfg_.window) sendOne(i, t);
  } else if (type == "error") {
    ++t.errors;
    if (t.firstError.empty()) t.firstError = std::string(frame.substr(0, 300));
  }
}

void Fanout::startMax() {
  mode_ = Mode::kMax;
  onEveryThread(pool_, [this](int th) {
    for (int i : threads_[th].senders)
      while (inflight_[i] < cfg_.window) sendOne(i, threads_[th]);
  });
}

void Fanout::startFixed() {
  mode_ = Mode::kFixed;
  onEveryThread(pool_, [this](int th) {
    auto& t = threads_[th];
    t.pacer = std::make_unique<asio::steady_timer>(pool_.at(th));
    t.pacedSince = nowSeconds();
    t.pacedSent = 0;
    pace(th);
  });
}

// Sends what the schedule owes by now, round-robin over this thread's senders.
void Fanout::pace(int th) {
  auto& t = threads_[th];
  if (mode_ != Mode::kFixed || t.senders.empty()) return;
  const double perThread = cfg_.fixedRate / pool_.size();
  const auto due = static_cast<uint64_t>((nowSeconds() - t.pacedSince) * perThread);
  for (; t.pacedSent < due; ++t.pacedSent) {
    sendOne(t.senders[t.nextSender], t);
    t.nextSender = (t.nextSender + 1) % t.senders.size();
  }
  t.pacer->expires_after(kPacerTick);
  t.pacer->async_wait([this, th](boost::system::error_code ec) {
    if (!ec) pace(th);
  });
}

// Waits (bounded) until every send is acked and no delivery arrived for a
// while, so one phase's backlog does not land in the next one's figures.
void Fanout::drain() {
  waitFor([&] {
    std::atomic<int> busy{0};
    const int64_t quietSince = nowNanos() - kQuietNs;
    onEveryThread(pool_, [&](int th) {
      for (int i : threads_[th].senders) busy += inflight_[i] > 0;
      busy += threads_[th].lastDeliveryNs > quietSince;
    });
    return busy == 0;
  }, kDrainTimeout);
}

void Fanout::resetStats() {
  onEveryThread(pool_, [this](int th) {
    auto& t = threads_[th];
    t.latency = {};
    t.deliveries = t.acks = t.sent = t.errors = 0;
  });
}

// Stops the pacers and merges every thread's figures.
Fanout::Totals Fanout::collect() {
  Totals sum;
  std::mutex mu;
  onEveryThread(pool_, [&](int th) {
    auto& t = threads_[th];
    if (t.pacer) t.pacer->cancel();
    std::lock_guard lock(mu);
    sum.latency.merge(t.latency);
    sum.deliveries += t.deliveries, sum.acks += t.acks, sum.sent += t.sent;
    sum.errors += t.errors;
    if (sum.firstError.empty()) sum.firstError = t.firstError;
  });
  return sum;
}

nlohmann::json Fanout::measure(const std::string& name, Mode mode) {
  mode == Mode::kMax ? startMax() : startFixed();
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg_.warmup));
  resetStats();
  const auto before = sampleProcess(server_.pid);
  const auto metricsBefore = scrapeMetrics(server_);
  const double selfBefore = selfCpuSeconds(), t0 = nowSeconds();
  recording_ = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg_.duration));
  recording_ = false;
  const double elapsed = nowSeconds() - t0, selfCpu = selfCpuSeconds() - selfBefore;
  const auto after = sampleProcess(server_.pid);
  const auto metricsAfter = scrapeMetrics(server_);
  mode_ = Mode::kQuiet;
  const Totals sum = collect();
  drain();

  nlohmann::json out = {{"phase", name},
                        {"seconds", elapsed},
                        {"sent_per_s", sum.sent / elapsed},
                        {"acks_per_s", sum.acks / elapsed},
                        {"deliveries_per_s", sum.deliveries / elapsed},
                        {"latency", sum.latency.summary()},
                        {"server_cpu_cores", (after.cpuSeconds - before.cpuSeconds) / elapsed},
                        {"server_rss_bytes", after.rssBytes},
                        {"loadgen_cpu_cores", selfCpu / elapsed},
                        {"error_frames", sum.errors},
                        {"first_error", sum.firstError}};
  if (mode == Mode::kFixed) out["target_sent_per_s"] = cfg_.fixedRate;
  if (!server_.baseline) {
    const std::string series = "roomchat_fanout_deliveries_total";
    out["server_fanout_deliveries_per_s"] =
        (metricValue(metricsAfter, series) - metricValue(metricsBefore, series)) / elapsed;
  }
  return out;
}

nlohmann::json Fanout::run() {
  const int total = cfg_.rooms * cfg_.clientsPerRoom;
  const double setupStart = nowSeconds();
  users_ = signUpMany(server_, cfg_.users);
  rooms_ = makeRooms(server_, users_.empty() ? User{} : users_[0], cfg_.rooms);
  inflight_.assign(total, 0);
  counter_.assign(total, 0);
  for (int i = 0; i < total; ++i)
    if (isSender(i)) threads_[fleet_.threadOf(i)].senders.push_back(i);
  const int ready = fleet_.open(0, total, kConnectConcurrency, kConnectTimeout);
  nlohmann::json out = {{"setup_seconds", nowSeconds() - setupStart},
                        {"clients", total},
                        {"ready", ready}};
  if (ready < total) {
    out["connect_problems"] = fleet_.problems();
    return out;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // presence storm settles
  // Fixed first: the max phase leaves deep queues behind, even once drained.
  out["fixed"] = measure("fixed", Mode::kFixed);
  if (cfg_.maxPhase) out["max"] = measure("max", Mode::kMax);
  out["socket_problems"] = fleet_.problems();
  return out;
}

}  // namespace

nlohmann::json runFanout(const Server& server, const Args& args) {
  Config cfg;
  cfg.rooms = static_cast<int>(args.num("rooms", 20));
  cfg.clientsPerRoom = static_cast<int>(args.num("clients-per-room", 50));
  cfg.users = static_cast<int>(args.num("users", 20));
  cfg.usersPerRoom = static_cast<int>(args.num("users-per-room", 10));
  cfg.sendersPerRoom = static_cast<int>(
      args.num("senders-per-room", std::min(cfg.clientsPerRoom, kDefaultSendersPerRoom)));
  cfg.window = static_cast<int>(args.num("window", 1));
  cfg.threads = static_cast<int>(args.num("threads", 2));
  cfg.fixedRate = args.real("rate", 1000);
  cfg.warmup = args.real("warmup", 2);
  cfg.duration = args.real("duration", 8);
  cfg.maxPhase = args.num("max", 1) != 0;
  Fanout fanout(server, cfg);
  nlohmann::json out = fanout.run();
  out["config"] = {{"rooms", cfg.rooms},           {"clients_per_room", cfg.clientsPerRoom},
                   {"users", cfg.users},           {"users_per_room", cfg.usersPerRoom},
                   {"senders_per_room", cfg.sendersPerRoom}, {"window", cfg.window},
                   {"loadgen_threads", cfg.threads}, {"fixed_rate", cfg.fixedRate},
                   {"warmup_s", cfg.warmup},       {"duration_s", cfg.duration}};
  return out;
}

}  // namespace loadgen
