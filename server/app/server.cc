#include "app/server.h"

#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "api/handler.h"
#include "base/metrics.h"
#include "net/http_server.h"
#include "room/directory.h"
#include "store/meta_store.h"

namespace roomchat::app {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// Room activity reaches the meta store in batches: rooms report every commit,
// and at most one pool task at a time writes the latest time of each.
class ActivityWriter {
 public:
  ActivityWriter(store::MetaStore& meta, asio::thread_pool& pool) : meta_(meta), pool_(pool) {}

  void note(const std::string& roomId, int64_t at) {
    std::lock_guard lock(mu_);
    auto& latest = pending_[roomId];
    latest = std::max(latest, at);
    if (scheduled_) return;
    scheduled_ = true;
    asio::post(pool_, [this] { drain(); });
  }

 private:
  void drain() {
    std::unordered_map<std::string, int64_t> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
      scheduled_ = false;
    }
    for (const auto& [id, at] : batch) meta_.touchRoom(id, at);
  }

  store::MetaStore& meta_;
  asio::thread_pool& pool_;
  std::mutex mu_;
  std::unordered_map<std::string, int64_t> pending_;
  bool scheduled_ = false;
};

void raiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

bool splitHostPort(const std::string& listen, std::string& host, unsigned short& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    port = static_cast<unsigned short>(p);
  } catch (...) {
    return false;
  }
  return true;
}

auth::PasswordCost passwordCost(const Config& c) {
  return c.passwordCost == "min" ? auth::minimalPasswordCost() : auth::PasswordCost{};
}

void writeReadyFile(const std::string& file, unsigned short port) {
  if (file.empty()) return;
  const std::string tmp = file + ".tmp";
  std::ofstream(tmp) << port << "\n";
  fs::rename(tmp, file);  // readers never see a half-written file
}

// The token in `file` (surrounding white space dropped); "" when no file is
// configured. An unreadable or short token stops the start: an operator who
// asked for protected metrics must not get open (or no) metrics silently.
Result<std::string> readMetricsToken(const std::string& file) {
  if (file.empty()) return std::string();
  std::ifstream in(file);
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return makeError("bad_config", "cannot read " + file);
  const size_t first = token.find_first_not_of(" \t\r\n");
  token = first == std::string::npos
              ? std::string()
              : token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
  if (token.size() < 16 || token.find_first_of(" \t\r\n") != std::string::npos)
    return makeError("bad_config", file + " must hold one token of at least 16 characters");
  return token;
}

}  // namespace

int runServer(const Config& config) {
  raiseFileLimit();
  // A file-size limit (RLIMIT_FSIZE) must behave like a full disk: a write
  // that fails with EFBIG, refused as storage_unavailable, not a process
  // killed by SIGXFSZ with every room's sockets.
  signal(SIGXFSZ, SIG_IGN);
  std::string host;
  unsigned short port = 0;
  if (!splitHostPort(config.listen, host, port)) {
    spdlog::error("--listen must be HOST:PORT, got '{}'", config.listen);
    return 2;
  }
  auto metricsToken = readMetricsToken(config.metricsTokenFile);
  if (!metricsToken.ok()) {
    spdlog::error("--metrics-token-file: {}", metricsToken.error().message);
    return 2;
  }
  std::error_code ec;
  fs::create_directories(fs::path(config.dataDir) / "rooms", ec);
  auto opened = store::openSqliteMetaStore((fs::path(config.dataDir) / "meta.db").string());
  if (!opened.ok()) {
    spdlog::error("cannot open the meta database: {}", opened.error().message);
    return 1;
  }
  std::unique_ptr<store::MetaStore> meta = std::move(*opened);

  const int ioThreads = config.ioThreads > 0
                            ? config.ioThreads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  asio::io_context ioc(ioThreads);
  asio::thread_pool work(std::max(1, config.workThreads));
  // Hibernation, on a thread of its own at a low priority: a sweep closes
  // hundreds of rooms at once, and on the work pool those closings queued
  // ahead of requests. Nice 10 (a tenth of a normal thread's share), not 19:
  // rooms closing too slowly under a long full load would keep their files.
  asio::thread_pool background(1);
  asio::post(background, [] { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10); });
  ActivityWriter activity(*meta, work);

  room::DirectoryOptions dirOptions;
  dirOptions.roomsDir = fs::path(config.dataDir) / "rooms";
  dirOptions.storeOptions.synchronousFull = config.synchronousFull;
  dirOptions.idleSeconds = config.roomIdleSeconds;
  dirOptions.roomLimits.callGraceMs = int64_t{config.callGraceSeconds} * 1000;
  dirOptions.roomLimits.userMessageRate = config.messageRate;
  dirOptions.roomLimits.userMessageBurst = config.messageBurst;
  dirOptions.work = work.get_executor();
  dirOptions.background = background.get_executor();
  dirOptions.hooks.activity = [&activity](const std::string& id, int64_t at) {
    activity.note(id, at);
  };
  room::LocalRoomDirectory directory(ioc, dirOptions);

  api::ConnectionRegistry connections;
  blob::LocalBlobStore blobs(fs::path(config.dataDir) / "blobs");
  net::ServerLimits netLimits;
  netLimits.wsMaxFrameBytes = config.maxFrameBytes;
  netLimits.wsOutboundFrames = config.outboundQueueFrames;
  netLimits.requestTimeout = std::chrono::seconds(config.requestTimeoutSeconds);

  api::ApiLimits limits;
  limits.maxRoomsPerOwner = config.maxRoomsPerOwner;
  limits.maxConnectionsPerUser = config.maxConnectionsPerUser;
  limits.connectPerMinute = config.connectPerMinute;
  limits.connectBurst = config.connectBurst;
  limits.messageRate = config.messageRate;
  limits.messageBurst = config.messageBurst;
  limits.sessionDays = config.sessionDays;
  limits.frames.maxTextChars = config.maxTextChars;

  std::string origin = config.publicOrigin;
  if (origin.empty()) origin = "http://" + config.listen;  // fixed below once the port is known
  const double perMinute = 1.0 / 60.0;
  api::Services services{
      *meta,
      directory,
      blobs,
      connections,
      work,
      auth::OriginPolicy(origin, config.allowedOrigins),
      passwordCost(config),
      auth::KeyedRateLimiter(config.loginPerMinute * perMinute, config.loginBurst),
      auth::KeyedRateLimiter(config.loginPerMinute * 5 * perMinute, config.loginBurst * 5),
      auth::KeyedRateLimiter(config.signupPerMinute * perMinute, config.signupBurst),
      limits,
      config.webDir};
  api::ApiHandler handler(services, *metricsToken);
  net::HttpServer http(ioc, handler, netLimits);
  auto bound = http.listen(host, port);
  if (!bound.ok()) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  if (config.publicOrigin.empty()) {
    std::string shownHost = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    services.origins = auth::OriginPolicy("http://" + shownHost + ":" + std::to_string(*bound),
                                          config.allowedOrigins);
  }
  directory.start();
  spdlog::info("roomchat listening on http://{}:{} (data {}, public origin {})", host, *bound,
               config.dataDir, services.origins.publicOrigin());
  writeReadyFile(config.readyFile, *bound);

  // The io threads must outlive the shutdown sequence, which still posts to
  // room strands after the last socket and timer are gone.
  auto keepRunning = asio::make_work_guard(ioc);
  std::thread stopper;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: closing sockets (1012), finishing commits", sig);
    // Shutting down waits on room strands, which need the io threads: not here.
    stopper = std::thread([&] {
      handler.setDraining();
      http.stopAccepting();
      directory.stop();
      directory.shutdownAll();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (metrics().connections.value() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      // In-flight API calls may still need a room strand: let them finish
      // while the io threads run (new ones are refused while draining).
      work.join();
      ioc.stop();
    });
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < ioThreads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  if (stopper.joinable()) stopper.join();
  work.join();
  background.join();
  spdlog::info("roomchat stopped");
  return 0;
}

}  // namespace roomchat::app
