// Hibernated rooms (roomchat only; run the server with --room-idle-seconds 2):
// create N rooms, touch each once with a history GET, wait until every room
// has hibernated (roomchat_rooms_awake 0), then read the server's RSS growth
// per room against the fresh server, its open room files, and the latency of
// waking a random sample of rooms cold (client side and the server's
// roomchat_room_wake_seconds histogram).
#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "api.h"
#include "scenarios.h"
#include "stats.h"

namespace loadgen {

namespace {

constexpr double kHibernateTimeout = 180;
// The server hands freed heap back to the OS at most every 10 s (a trim stalls
// allocating threads), so RSS is read one trim interval and a sweep after the
// last room fell asleep.
constexpr auto kTrimSettle = std::chrono::seconds(12);
constexpr auto kMonitorPeriod = std::chrono::milliseconds(250);
constexpr const char* kWakeHistogram = "roomchat_room_wake_seconds";

// Polls /metrics and holds the workers back while too many room files are open:
// every awake room holds its database, -wal and -shm, and the server has a
// 20,000-descriptor limit.
class AwakeGate {
 public:
  AwakeGate(const Server& s, double maxOpen) : server_(s), maxOpen_(maxOpen) {
    thread_ = std::thread([this] { loop(); });
  }
  ~AwakeGate() {
    stop_ = true;
    thread_.join();
  }
  void pass() {
    while (paused_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double peakOpen() const { return peak_; }

 private:
  void loop() {
    while (!stop_) {
      double open = metricValue(scrapeMetrics(server_), "roomchat_room_files_open");
      peak_ = std::max(peak_.load(), open);
      paused_ = open > maxOpen_;
      std::this_thread::sleep_for(kMonitorPeriod);
    }
  }
  Server server_;
  double maxOpen_;
  std::atomic<bool> paused_{false}, stop_{false};
  std::atomic<double> peak_{0};
  std::thread thread_;
};

// Runs request(http, i) for i in [0, n) on `threads` keep-alive clients as `owner`;
// returns the number of calls that returned false.
template <class F>
int forEachRoom(const Server& s, const User& owner, int n, int threads, AwakeGate& gate, F request) {
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      auto http = s.http();
      http.cookie = owner.cookie;
      for (int i; (i = next++) < n;) {
        gate.pass();
        if (!request(http, i)) ++failures;
      }
    });
  for (auto& th : pool) th.join();
  return failures;
}

std::string messagesPath(const std::string& roomId) {
  return "/api/rooms/" + roomId + "/messages?limit=25";
}

}  // namespace

nlohmann::json runHibernate(const Server& server, const Args& args) {
  if (server.baseline) throw Failure("hibernate: roomchat only");
  const int n = static_cast<int>(args.num("rooms", 100000));
  const int threads = static_cast<int>(args.num("threads", 4));
  const int samples = static_cast<int>(args.num("wake-samples", 1000));
  const double maxOpen = args.real("max-open-rooms", 3000);
  nlohmann::json out;

  User owner = signUp(server, runTag() + "-owner");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto fresh = sampleProcess(server.pid);
  out["server_rss_fresh_bytes"] = fresh.rssBytes;

  // Each room is created, then touched once (GET of its messages) while awake.
  std::vector<std::string> ids(n);
  {
    AwakeGate gate(server, maxOpen);
    const double t0 = nowSeconds();
    out["create_failures"] = forEachRoom(server, owner, n, threads, gate, [&](HttpClient& h, int i) {
      try {
        ids[i] = createRoom(h, "hib " + std::to_string(i));
      } catch (const Failure&) {
        return false;
      }
      return h.get(messagesPath(ids[i])).status == 200;
    });
    out["create_seconds"] = nowSeconds() - t0;
    out["peak_open_room_files"] = gate.peakOpen();
  }
  out["rooms"] = n;

  const double waitStart = nowSeconds();
  const bool asleep = waitFor(
      [&] { return metricValue(scrapeMetrics(server), "roomchat_rooms_awake") == 0; },
      kHibernateTimeout);
  out["all_hibernated"] = asleep;
  out["hibernate_wait_seconds"] = nowSeconds() - waitStart;
  std::this_thread::sleep_for(kTrimSettle);
  const auto slept = sampleProcess(server.pid);
  const auto metrics = scrapeMetrics(server);
  out["server_rss_hibernated_bytes"] = slept.rssBytes;
  out["rss_per_hibernated_room_bytes"] = static_cast<double>(slept.rssBytes - fresh.rssBytes) / n;
  out["open_room_files"] = countOpenFiles(server.pid, "/rooms/");
  out["open_files_total"] = countOpenFiles(server.pid);
  out["metric_rooms_hibernated"] = metricValue(metrics, "roomchat_rooms_hibernated");
  out["metric_room_files_open"] = metricValue(metrics, "roomchat_room_files_open");

  // Cold wakes: distinct random rooms, one request at a time on one connection.
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  auto http = server.http();
  http.cookie = owner.cookie;
  const auto before = scrapeMetrics(server);
  std::vector<double> us;
  int wakeFailures = 0;
  for (int k = 0; k < std::min(samples, n); ++k) {
    const int64_t t0 = nowNanos();
    const bool ok = http.get(messagesPath(ids[order[k]])).status == 200;
    us.push_back(static_cast<double>(nowNanos() - t0) / 1e3);
    wakeFailures += !ok;
  }
  const auto after = scrapeMetrics(server);
  out["cold_wake_http"] = sampleSummary(us);
  out["cold_wake_failures"] = wakeFailures;
  out["server_wake_seconds"] = {
      {"count", metricValue(after, std::string(kWakeHistogram) + "_count") -
                    metricValue(before, std::string(kWakeHistogram) + "_count")},
      {"p50_le", histogramPercentile(before, after, kWakeHistogram, 0.5)},
      {"p99_le", histogramPercentile(before, after, kWakeHistogram, 0.99)}};
  out["config"] = {{"threads", threads}, {"max_open_rooms", maxOpen}, {"wake_samples", samples}};
  return out;
}

}  // namespace loadgen
