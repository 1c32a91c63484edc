#include "app/server.h"

#include "app/blobs.h"

#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "api/handler.h"
#include "base/ids.h"
#include "base/metrics.h"
#include "net/http_server.h"
#include "net/io_shards.h"
#include "room/activity_writer.h"
#include "room/directory.h"
#include "store/meta_store.h"

namespace roomchat::app {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

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

// The pieces of runServer, each one step of the start-up.

std::unique_ptr<store::MetaStore> openMeta(const Config& config) {
  std::error_code ec;
  fs::create_directories(fs::path(config.dataDir) / "rooms", ec);
  auto opened = store::openSqliteMetaStore((fs::path(config.dataDir) / "meta.db").string());
  if (!opened.ok()) {
    spdlog::error("cannot open the meta database: {}", opened.error().message);
    return nullptr;
  }
  return std::move(*opened);
}

int ioThreadCount(const Config& config) {
  return config.ioThreads > 0 ? config.ioThreads
                              : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

room::DirectoryOptions directoryOptions(const Config& config, net::IoShards& shards,
                                        asio::thread_pool& work, asio::thread_pool& background,
                                        room::ActivityWriter& activity) {
  room::DirectoryOptions o;
  o.roomsDir = fs::path(config.dataDir) / "rooms";
  o.storeOptions.synchronousFull = config.synchronousFull;
  o.idleSeconds = config.roomIdleSeconds;
  o.roomLimits.callGraceMs = int64_t{config.callGraceSeconds} * 1000;
  o.roomLimits.userMessageRate = config.messageRate;
  o.roomLimits.userMessageBurst = config.messageBurst;
  o.work = work.get_executor();
  o.background = background.get_executor();
  o.hooks.activity = [&activity](const std::string& id, int64_t at) { activity.note(id, at); };
  // A room runs on the io thread its id picks; its sockets follow it there.
  o.roomExecutor = [&shards](const std::string& id) {
    return asio::any_io_executor(shards.forKey(id).get_executor());
  };
  return o;
}

net::ServerLimits netLimits(const Config& config) {
  net::ServerLimits l;
  l.wsMaxFrameBytes = config.maxFrameBytes;
  l.wsOutboundFrames = config.outboundQueueFrames;
  l.requestTimeout = std::chrono::seconds(config.requestTimeoutSeconds);
  l.wsHandshakeTimeout = l.requestTimeout;  // an upgrade is a request too
  return l;
}

api::ApiLimits apiLimits(const Config& config) {
  api::ApiLimits l;
  l.maxRoomsPerOwner = config.maxRoomsPerOwner;
  l.maxConnectionsPerUser = config.maxConnectionsPerUser;
  l.connectPerMinute = config.connectPerMinute;
  l.connectBurst = config.connectBurst;
  l.messageRate = config.messageRate;
  l.messageBurst = config.messageBurst;
  l.sessionDays = config.sessionDays;
  l.frames.maxTextChars = config.maxTextChars;
  return l;
}

preview::PreviewOptions previewOptions(const Config& config) {
  preview::PreviewOptions o;
  o.fetch.allowLoopback = config.previewAllowLoopback;
  // A fetch holds a work thread for up to 5 s: leave half the pool to the rest.
  o.maxConcurrentFetches = std::max(1, config.workThreads / 2);
  return o;
}

std::string shownOrigin(const std::string& host, unsigned short port) {
  std::string shownHost = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "http://" + shownHost + ":" + std::to_string(port);
}

// Everything the running server is made of, in the order it must be built
// (and, reversed, destroyed).
struct Parts {
  Parts(const Config& config, std::unique_ptr<store::MetaStore> metaStore, BlobParts blobParts,
        const std::string& metricsToken, const std::vector<auth::OidcProviderConfig>& providers)
      : meta(std::move(metaStore)),
        blobStore(std::move(blobParts.store)),
        shards(ioThreadCount(config)),
        work(std::max(1, config.workThreads)),
        activity(*meta, work.get_executor()),
        directory(shards.at(0), directoryOptions(config, shards, work, background, activity)),
        blobs(*meta, *blobStore, blobParts.local, blobLimits(config)),
        preview(previewOptions(config)),
        oidc(providers),
        services{*meta,
                 directory,
                 blobs,
                 connections,
                 work,
                 preview,
                 oidc,
                 auth::OriginPolicy(config.publicOrigin.empty() ? "http://" + config.listen
                                                                : config.publicOrigin,
                                    config.allowedOrigins),
                 passwordCost(config),
                 auth::KeyedRateLimiter(config.loginPerMinute / 60.0, config.loginBurst),
                 auth::KeyedRateLimiter(config.loginPerMinute * 5 / 60.0, config.loginBurst * 5),
                 auth::KeyedRateLimiter(config.signupPerMinute / 60.0, config.signupBurst),
                 apiLimits(config),
                 config.webDir},
        handler(services, metricsToken),
        http(shards, handler, netLimits(config)) {
    // Hibernation, on a thread of its own at a low priority: a sweep closes
    // hundreds of rooms at once, and on the work pool those closings queued
    // ahead of requests. Nice 10 (a tenth of a normal thread's share), not 19:
    // rooms closing too slowly under a long full load would keep their files.
    asio::post(background, [] { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10); });
  }

  std::unique_ptr<store::MetaStore> meta;
  std::unique_ptr<blob::BlobStore> blobStore;
  net::IoShards shards;
  asio::thread_pool work;
  asio::thread_pool background{1};
  room::ActivityWriter activity;
  room::LocalRoomDirectory directory;
  api::ConnectionRegistry connections;
  blob::BlobService blobs;
  preview::PreviewService preview;
  auth::OidcService oidc;
  api::Services services;
  api::ApiHandler handler;
  net::HttpServer http;
};

// Unreferenced images are collected every `interval` on the background
// thread (it reads room files and may delete many files), never on a room's.
void collectBlobsEvery(Parts& p, asio::steady_timer& timer, std::chrono::seconds interval,
                       blob::BlobService::RoomHoldsKey holds) {
  timer.expires_after(interval);
  timer.async_wait([&p, &timer, interval, holds](boost::system::error_code ec) {
    if (ec) return;
    asio::post(p.background, [&p, holds] {
      auto report = p.blobs.collect(nowMs(), false, holds);
      if (!report.ok()) spdlog::warn("image collection: {}", report.error().message);
      else if (!report->removedKeys.empty())
        spdlog::info("image collection removed {} images", report->removedKeys.size());
    });
    collectBlobsEvery(p, timer, interval, holds);
  });
}

// SIGTERM/SIGINT: stop accepting, close every room (1012), wait a little for
// the close frames, let in-flight API calls finish, then stop the io threads.
// The sequence waits on room strands, which need the io threads: so it runs
// on a thread of its own, not on the io thread that caught the signal.
void stopOnSignal(Parts& p, asio::signal_set& signals, asio::steady_timer& gcTimer,
                  std::thread& stopper) {
  signals.async_wait([&p, &gcTimer, &stopper](boost::system::error_code ec, int sig) {
    if (ec) return;
    gcTimer.cancel();
    spdlog::info("signal {}: closing sockets (1012), finishing commits", sig);
    stopper = std::thread([&p] {
      p.handler.setDraining();
      p.http.stopAccepting();
      p.directory.stop();
      p.directory.shutdownAll();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (metrics().connections.value() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      p.work.join();
      p.shards.stop();
    });
  });
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
  if (config.previewAllowLoopback)
    spdlog::warn("--preview-allow-loopback: link previews may fetch from this machine (tests only)");
  std::vector<auth::OidcProviderConfig> providers;
  if (!config.oidcConfigFile.empty()) {
    auto loaded = auth::loadOidcConfig(config.oidcConfigFile);
    if (!loaded.ok()) {
      spdlog::error("--oidc-config: {}", loaded.error().message);
      return 2;
    }
    providers = std::move(*loaded);
    for (const auto& p : providers)
      if (p.allowInsecureLoopback)
        spdlog::warn("oidc {}: plain http to a loopback issuer allowed (tests only)", p.id);
  }
  auto meta = openMeta(config);
  if (!meta) return 1;
  auto blobs = openBlobStore(config);
  if (!blobs.ok()) {
    spdlog::error("blob store: {}", blobs.error().message);
    return 2;
  }
  Parts p(config, std::move(meta), std::move(*blobs), *metricsToken, providers);
  auto bound = p.http.listen(host, port);
  if (!bound.ok()) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  if (config.publicOrigin.empty())
    p.services.origins = auth::OriginPolicy(shownOrigin(host, *bound), config.allowedOrigins);
  p.directory.start();
  spdlog::info("roomchat listening on http://{}:{} (data {}, public origin {}, {} io threads)", host,
               *bound, config.dataDir, p.services.origins.publicOrigin(), p.shards.size());
  writeReadyFile(config.readyFile, *bound);
  // Providers are looked up in the background: one that is down now is
  // looked up again at the first sign-in through it.
  asio::post(p.work, [&p] {
    for (const auto& failure : p.oidc.discoverAll())
      spdlog::warn("oidc {} (tried again at the next sign-in)", failure);
  });

  std::thread stopper;
  asio::steady_timer gcTimer(p.shards.at(0));
  if (config.blobGcIntervalSeconds > 0)
    collectBlobsEvery(p, gcTimer, std::chrono::seconds(config.blobGcIntervalSeconds),
                      roomHoldsKey(config));
  asio::signal_set signals(p.shards.at(0), SIGINT, SIGTERM);
  stopOnSignal(p, signals, gcTimer, stopper);
  p.shards.run();
  if (stopper.joinable()) stopper.join();
  p.work.join();
  p.background.join();
  spdlog::info("roomchat stopped");
  return 0;
}

}  // namespace roomchat::app
