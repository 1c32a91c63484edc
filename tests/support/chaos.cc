#include "support/chaos.h"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "support/async_ws.h"
#include "support/http_client.h"
#include "support/ws_client.h"

namespace fs = std::filesystem;
namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

namespace roomchat::test {

bool soakMode() {
  const char* v = std::getenv("ROOMCHAT_SOAK");
  return v && std::string(v) == "1";
}

uint64_t testSeed() {
  uint64_t seed;
  if (const char* v = std::getenv("ROOMCHAT_SEED"); v && *v) {
    seed = std::strtoull(v, nullptr, 10);
  } else {
    seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
           1000000007ULL;
  }
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  report(std::string(info ? info->name() : "?") + ": seed " + std::to_string(seed) +
         " (repeat with ROOMCHAT_SEED=" + std::to_string(seed) + ")" +
         (soakMode() ? " [soak]" : ""));
  return seed;
}

void report(const std::string& line) { std::cerr << "[ chaos    ] " << line << std::endl; }

// ---------------------------------------------------------------------------
// Room databases

namespace {

std::string column(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace

bool readRoomDatabase(const std::string& dataDir, const std::string& roomId,
                      std::vector<StoredMessage>& out, std::string& error) {
  out.clear();
  const fs::path file = fs::path(dataDir) / "rooms" / roomId.substr(0, 2) / (roomId + ".db");
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    error = "no database file " + file.string();
    return false;
  }
  // A copy of the file and its WAL (not the shared-memory index, which
  // SQLite rebuilds): opening it replays the WAL the way the next server
  // start would, without touching the server's own files.
  const fs::path copyDir = fs::path(dataDir).parent_path() / ("dbcopy-" + roomId);
  fs::remove_all(copyDir, ec);
  fs::create_directories(copyDir, ec);
  const fs::path copy = copyDir / (roomId + ".db");
  fs::copy_file(file, copy, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    error = "cannot copy " + file.string() + ": " + ec.message();
    return false;
  }
  fs::path wal = file;
  wal += "-wal";
  if (fs::exists(wal)) {
    fs::path walCopy = copy;
    walCopy += "-wal";
    fs::copy_file(wal, walCopy, fs::copy_options::overwrite_existing, ec);
  }

  sqlite3* db = nullptr;
  bool ok = false;
  if (sqlite3_open_v2(copy.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    error = "cannot open " + copy.string() + ": " + (db ? sqlite3_errmsg(db) : "?");
  } else {
    sqlite3_stmt* st = nullptr;
    std::string integrity;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      integrity = column(st, 0);
    }
    sqlite3_finalize(st);
    st = nullptr;
    if (integrity != "ok") {
      error = "integrity_check of " + roomId + ": " + integrity;
    } else if (sqlite3_prepare_v2(db,
                                  "SELECT seq, id, author_id, client_id, text, deleted "
                                  "FROM messages ORDER BY seq",
                                  -1, &st, nullptr) != SQLITE_OK) {
      error = std::string("query: ") + sqlite3_errmsg(db);
    } else {
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        out.push_back({sqlite3_column_int64(st, 0), column(st, 1), column(st, 2), column(st, 3),
                       column(st, 4), sqlite3_column_int(st, 5) != 0});
      }
      ok = rc == SQLITE_DONE;
      if (!ok) error = std::string("step: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  fs::remove_all(copyDir, ec);
  return ok;
}

// ---------------------------------------------------------------------------
// Clients

namespace {

struct AckRecord {
  int64_t seq = 0;
  std::string id;
};

struct CatchUp {
  int64_t after = 0;  // the hello's lastSeq
  int64_t last = 0;   // the welcome's lastSeq
  bool reset = false;
  std::vector<std::pair<int64_t, std::string>> got;  // (seq, id) in welcome order
};

constexpr size_t kMaxProblems = 20;

}  // namespace

struct ChaosRun::Client {
  struct State* state = nullptr;
  int room = 0;
  std::string roomId, userId, cookie, tab;

  std::shared_ptr<AsyncWs> ws;
  uint64_t generation = 0;  // callbacks of an older socket are ignored
  bool welcomed = false;
  bool everWelcomed = false;
  int attempt = 0;
  int64_t lastSeq = 0;      // highest seq seen: what hello{lastSeq} asks from
  int64_t helloLastSeq = 0;

  int64_t composedCount = 0;
  std::deque<std::string> outbox;                 // un-acked clientIds, compose order
  std::map<std::string, std::string> texts;       // clientId -> text
  std::set<std::string> onWire;                   // sent on this connection, un-acked
  std::set<std::string> everSent;
  std::map<std::string, AckRecord> acks;          // the ack log
  std::map<int64_t, std::string> received;        // seq -> id
  std::vector<CatchUp> catchUps;
  std::vector<std::string> problems;
  int64_t resent = 0, reAcks = 0, reconnects = 0, refused = 0, ackConflicts = 0;
  bool dropAfterSend = false;
  std::map<int, int64_t> refusedByStatus;
  std::string firstRefusal;

  std::unique_ptr<asio::steady_timer> composeTimer, retryTimer;

  void problem(const std::string& what) {
    if (problems.size() < kMaxProblems) problems.push_back(tab + ": " + what);
  }
};

struct ChaosRun::State {
  IoThread io{1};
  std::vector<std::unique_ptr<Client>> clients;
  std::atomic<int> port{0};
  bool composing = true;  // io thread only
  bool stopping = false;  // io thread only
  ChaosOptions options;
  std::mt19937_64 rng;    // io thread only

  void connect(Client& c);
  void scheduleReconnect(Client& c);
  void onFrame(Client& c, json&& f);
  void note(Client& c, int64_t seq, const std::string& id, const char* how);
  void pump(Client& c);
  void compose(Client& c);
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
};

void ChaosRun::State::connect(Client& c) {
  if (stopping) return;
  const uint64_t gen = ++c.generation;
  AsyncWs::Options o;
  o.port = port.load();
  o.target = WsClient::roomTarget(c.roomId, c.tab);
  o.cookie = c.cookie;
  o.timeout = 10s;
  AsyncWs::Handlers h;
  Client* cp = &c;
  h.onOpen = [this, cp, gen](int status, const std::string& error) {
    Client& c = *cp;
    if (gen != c.generation || stopping) return;
    if (status != 101) {
      if (status > 0) {
        ++c.refused;
        ++c.refusedByStatus[status];
        if (c.firstRefusal.empty())
          c.firstRefusal = std::to_string(status) + " on port " + std::to_string(port.load()) + ": " + error;
      }
      return;  // onClose follows
    }
    c.helloLastSeq = c.lastSeq;
    c.ws->send(json{{"type", "hello"}, {"lastSeq", c.lastSeq}});
  };
  h.onFrame = [this, cp, gen](json&& f) {
    if (gen != cp->generation || stopping) return;
    onFrame(*cp, std::move(f));
  };
  h.onClose = [this, cp, gen](std::optional<int>, const std::string&) {
    Client& c = *cp;
    if (gen != c.generation) return;
    c.welcomed = false;
    c.onWire.clear();
    c.ws.reset();
    if (!stopping) scheduleReconnect(c);
  };
  c.ws = AsyncWs::create(io.context(), o, std::move(h));
  c.ws->start();
}

void ChaosRun::State::scheduleReconnect(Client& c) {
  const double base = std::min<double>(static_cast<double>(options.backoffMax.count()),
                                       static_cast<double>(options.backoffMin.count()) *
                                           std::pow(2.0, std::min(c.attempt, 16)));
  ++c.attempt;
  const auto delay = std::chrono::milliseconds(static_cast<int64_t>(base * uniform(0.5, 1.0)));
  if (!c.retryTimer) c.retryTimer = std::make_unique<asio::steady_timer>(io.context());
  c.retryTimer->expires_after(delay);
  Client* cp = &c;
  c.retryTimer->async_wait([this, cp](boost::system::error_code ec) {
    if (!ec && !stopping) connect(*cp);
  });
}

void ChaosRun::State::note(Client& c, int64_t seq, const std::string& id, const char* how) {
  auto [it, inserted] = c.received.emplace(seq, id);
  if (!inserted && it->second != id) {
    c.problem(std::string("seq ") + std::to_string(seq) + " seen with two ids (" + it->second +
              ", then " + id + " in " + how + ")");
  }
}

void ChaosRun::State::onFrame(Client& c, json&& f) {
  const std::string type = f.value("type", "");
  if (type == "welcome") {
    CatchUp cu;
    cu.after = c.helloLastSeq;
    cu.last = f.value("lastSeq", int64_t{-1});
    cu.reset = f.value("reset", false);
    if (cu.reset) c.problem("welcome with reset after lastSeq " + std::to_string(cu.after));
    int64_t maxSeq = 0;
    for (const auto& m : f["messages"]) {
      int64_t seq = m.value("seq", int64_t{-1});
      cu.got.emplace_back(seq, m.value("id", ""));
      note(c, seq, m.value("id", ""), "a catch-up");
      maxSeq = std::max(maxSeq, seq);
    }
    c.catchUps.push_back(std::move(cu));
    c.lastSeq = std::max({c.lastSeq, maxSeq, f.value("lastSeq", int64_t{0})});
    if (c.everWelcomed) ++c.reconnects;
    c.everWelcomed = true;
    c.welcomed = true;
    c.attempt = 0;
    pump(c);
    return;
  }
  if (!c.welcomed) return;  // anything before the welcome is in its catch-up
  if (type == "ack") {
    const std::string cid = f.value("clientId", "");
    const json& m = f["message"];
    const int64_t seq = m.value("seq", int64_t{-1});
    const std::string id = m.value("id", "");
    if (m.value("clientId", cid) != cid) c.problem("ack for " + cid + " carries another clientId");
    auto known = c.acks.find(cid);
    if (known != c.acks.end()) {
      ++c.reAcks;
      if (known->second.seq != seq || known->second.id != id) {
        ++c.ackConflicts;
        c.problem("clientId " + cid + " acked as seq " + std::to_string(known->second.seq) +
                  " and again as seq " + std::to_string(seq));
      }
    } else {
      c.acks[cid] = {seq, id};
      if (seq <= c.lastSeq) ++c.reAcks;  // stored before a crash, caught up, acked now
    }
    if (seq > c.lastSeq) {
      if (seq != c.lastSeq + 1)
        c.problem("live gap: ack seq " + std::to_string(seq) + " after " + std::to_string(c.lastSeq));
      c.lastSeq = seq;
    }
    note(c, seq, id, "an ack");
    c.onWire.erase(cid);
    std::erase(c.outbox, cid);
    pump(c);
  } else if (type == "message") {
    const json& m = f["message"];
    const int64_t seq = m.value("seq", int64_t{-1});
    if (seq <= c.lastSeq) {
      c.problem("message seq " + std::to_string(seq) + " delivered again (lastSeq " +
                std::to_string(c.lastSeq) + ")");
    } else if (seq != c.lastSeq + 1) {
      c.problem("live gap: message seq " + std::to_string(seq) + " after " +
                std::to_string(c.lastSeq));
    }
    c.lastSeq = std::max(c.lastSeq, seq);
    note(c, seq, m.value("id", ""), "a message");
  } else if (type == "error") {
    const std::string code = f.value("code", "");
    const std::string cid = f.value("clientId", "");
    if (!cid.empty() && (code == "storage_unavailable" || code == "rate_limited")) {
      // Not stored: retry later with the same clientId.
      c.onWire.erase(cid);
      auto timer = std::make_shared<asio::steady_timer>(io.context(), 200ms);
      Client* cp = &c;
      uint64_t gen = c.generation;
      timer->async_wait([this, cp, gen, timer](boost::system::error_code ec) {
        if (!ec && gen == cp->generation && !stopping) pump(*cp);
      });
    } else {
      c.problem("error frame " + f.dump());
    }
  }
}

void ChaosRun::State::pump(Client& c) {
  if (!c.welcomed || !c.ws) return;
  for (const auto& cid : c.outbox) {
    if (c.onWire.size() >= static_cast<size_t>(options.window)) break;
    if (c.onWire.count(cid)) continue;
    c.ws->send(json{{"type", "send"}, {"clientId", cid}, {"kind", "text"}, {"text", c.texts[cid]}});
    c.onWire.insert(cid);
    if (!c.everSent.insert(cid).second) ++c.resent;
    if (c.dropAfterSend) {
      // The frame is handed to the kernel before the abort runs (both are
      // posted in this order), so the server usually stores it.
      c.dropAfterSend = false;
      c.ws->abort();
      return;
    }
  }
}

void ChaosRun::State::compose(Client& c) {
  if (stopping) return;
  if (composing && c.outbox.size() < static_cast<size_t>(options.outboxLimit)) {
    std::string cid = c.tab + "-" + std::to_string(c.composedCount++);
    c.texts[cid] = "chaos " + cid;
    c.outbox.push_back(cid);
    pump(c);
  }
  if (!composing) return;
  const double mean = 1000.0 / std::max(0.01, options.sendsPerSecond);
  if (!c.composeTimer) c.composeTimer = std::make_unique<asio::steady_timer>(io.context());
  c.composeTimer->expires_after(std::chrono::milliseconds(static_cast<int64_t>(mean * uniform(0.5, 1.5))));
  Client* cp = &c;
  c.composeTimer->async_wait([this, cp](boost::system::error_code ec) {
    if (!ec) compose(*cp);
  });
}

// ---------------------------------------------------------------------------
// The run

ChaosRun::ChaosRun(ServerProcess& server, ChaosOptions options)
    : server_(server), options_(options), rng_(options.seed), state_(std::make_unique<State>()) {
  state_->options = options;
  state_->rng.seed(options.seed ^ 0x9e3779b97f4a7c15ULL);
}

ChaosRun::~ChaosRun() {
  if (state_) {
    stopClients();
    std::this_thread::sleep_for(50ms);
    state_->io.stop();
    state_->clients.clear();
  }
}

::testing::AssertionResult ChaosRun::start(std::chrono::seconds timeout) {
  started_ = std::chrono::steady_clock::now();
  state_->port = server_.port();
  const auto& o = options_;
  if (o.usersPerRoom > o.users)
    return ::testing::AssertionFailure() << "usersPerRoom > users";
  std::vector<HttpClient> users;
  std::vector<std::string> userIds;
  for (int i = 0; i < o.users; ++i) {
    HttpClient http(server_.port());
    std::string name = "chaos_" + std::to_string(i);
    auto res = http.post("/api/auth/signup", {{"username", name},
                                              {"password", "password-" + name},
                                              {"displayName", "Chaos " + std::to_string(i)}});
    if (res.status != 201 || !http.session())
      return ::testing::AssertionFailure() << "signup " << name << ": " << res.describe();
    userIds.push_back(res.json["user"].value("id", ""));
    users.push_back(std::move(http));
  }
  for (int r = 0; r < o.rooms; ++r) {
    auto res = users[r % o.users].post(
        "/api/rooms", {{"name", "chaos " + std::to_string(r)}, {"visibility", "public"}});
    if (res.status != 201)
      return ::testing::AssertionFailure() << "create room " << r << ": " << res.describe();
    roomIds_.push_back(res.json["room"].value("id", ""));
  }
  for (int r = 0; r < o.rooms; ++r) {
    for (int k = 0; k < o.usersPerRoom; ++k) {
      const int u = (r * o.usersPerRoom + k) % o.users;
      for (int t = 0; t < (k == 0 ? 2 : 1); ++t) {
        auto c = std::make_unique<Client>();
        c->state = state_.get();
        c->room = r;
        c->roomId = roomIds_[r];
        c->userId = userIds[u];
        c->cookie = users[u].cookieHeader();
        c->tab = "r" + std::to_string(r) + "u" + std::to_string(u) + "t" + std::to_string(t);
        state_->clients.push_back(std::move(c));
      }
    }
  }
  state_->io.call([&] {
    for (auto& c : state_->clients) state_->connect(*c);
  });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int welcomed = 0;
    state_->io.call([&] {
      for (auto& c : state_->clients) welcomed += c->everWelcomed;
    });
    if (welcomed == static_cast<int>(state_->clients.size())) break;
    if (std::chrono::steady_clock::now() > deadline)
      return ::testing::AssertionFailure()
             << welcomed << " of " << state_->clients.size() << " sockets welcomed after "
             << timeout.count() << " s";
    std::this_thread::sleep_for(20ms);
  }
  state_->io.call([&] {
    for (auto& c : state_->clients) state_->compose(*c);
  });
  report("start: " + std::to_string(o.rooms) + " rooms, " + std::to_string(o.users) + " users, " +
         std::to_string(state_->clients.size()) + " sockets, " +
         std::to_string(o.sendsPerSecond) + " msg/s per socket, seed " + std::to_string(o.seed));
  return ::testing::AssertionSuccess();
}

void ChaosRun::pause(std::chrono::milliseconds min, std::chrono::milliseconds max) {
  auto ms = std::uniform_int_distribution<int64_t>(min.count(), std::max(min.count(), max.count()))(rng_);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

::testing::AssertionResult ChaosRun::inject(const std::string& name, int times, const Fault& fault,
                                            std::chrono::milliseconds minGap,
                                            std::chrono::milliseconds maxGap) {
  for (int i = 0; i < times; ++i) {
    pause(minGap, maxGap);
    auto r = fault(*this);
    ++faults_;
    if (!r) return r << " (during " << name << " #" << (i + 1) << ")";
  }
  return ::testing::AssertionSuccess();
}

void ChaosRun::serverRestarted() { state_->port = server_.port(); }

void ChaosRun::dropSocketsAfterSend(double fraction) {
  state_->io.call([&] {
    for (auto& c : state_->clients) {
      if (state_->uniform(0, 1) < fraction) c->dropAfterSend = true;
    }
  });
}

void ChaosRun::checkDiskNow(const std::string& when) {
  ChaosReport r = compare(false);
  for (const auto& p : r.problems) {
    if (diskProblems_.size() < kMaxProblems) diskProblems_.push_back(when + ": " + p);
  }
}

::testing::AssertionResult ChaosRun::settle(std::chrono::seconds timeout) {
  state_->io.call([&] { state_->composing = false; });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string why;
  while (true) {
    bool done = true;
    state_->io.call([&] {
      std::map<int, int64_t> roomMax;
      for (auto& c : state_->clients) roomMax[c->room] = std::max(roomMax[c->room], c->lastSeq);
      for (auto& c : state_->clients) {
        if (!c->welcomed) {
          done = false;
          why = c->tab + " is not connected";
        } else if (!c->outbox.empty()) {
          done = false;
          why = c->tab + " has " + std::to_string(c->outbox.size()) + " un-acked messages";
        } else if (c->lastSeq != roomMax[c->room]) {
          done = false;
          why = c->tab + " is at seq " + std::to_string(c->lastSeq) + " of " +
                std::to_string(roomMax[c->room]);
        }
        if (!done) break;
      }
    });
    if (done) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > deadline)
      return ::testing::AssertionFailure() << "not settled after " << timeout.count()
                                           << " s: " << why;
    std::this_thread::sleep_for(50ms);
  }
}

void ChaosRun::stopClients() {
  state_->io.call([&] {
    state_->stopping = true;
    for (auto& c : state_->clients) {
      if (c->ws) c->ws->abort();
      if (c->composeTimer) c->composeTimer->cancel();
      if (c->retryTimer) c->retryTimer->cancel();
    }
  });
}

ChaosReport ChaosRun::verify() {
  stopClients();
  ChaosReport r = compare(true);
  r.problems.insert(r.problems.begin(), diskProblems_.begin(), diskProblems_.end());
  return r;
}

ChaosReport ChaosRun::compare(bool final) {
  ChaosReport r;
  r.rooms = static_cast<int>(roomIds_.size());
  r.faults = faults_;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  auto problem = [&](const std::string& p) {
    if (r.problems.size() < kMaxProblems) r.problems.push_back(p);
  };

  // A copy of every client's logs, taken on the io thread.
  struct Snapshot {
    int room;
    std::string tab, userId;
    std::map<std::string, AckRecord> acks;
    std::map<int64_t, std::string> received;
    std::vector<CatchUp> catchUps;
    std::vector<std::string> problems;
    bool outboxEmpty;
  };
  std::vector<Snapshot> snaps;
  state_->io.call([&] {
    r.sockets = static_cast<int>(state_->clients.size());
    for (auto& c : state_->clients) {
      snaps.push_back({c->room, c->tab, c->userId, c->acks, c->received, c->catchUps, c->problems,
                       c->outbox.empty()});
      r.composed += c->composedCount;
      r.resent += c->resent;
      r.reAcks += c->reAcks;
      r.reconnects += c->reconnects;
      r.refusedUpgrades += c->refused;
      for (auto [status, n] : c->refusedByStatus) r.refusedByStatus[status] += n;
      if (r.firstRefusal.empty()) r.firstRefusal = c->firstRefusal;
      r.duplicated += c->ackConflicts;
    }
  });
  for (const auto& s : snaps) {
    r.acked += static_cast<int64_t>(s.acks.size());
    if (final) {
      for (const auto& p : s.problems) problem(p);
      if (!s.outboxEmpty) problem(s.tab + ": messages never acked");
    }
  }

  for (int room = 0; room < r.rooms; ++room) {
    const std::string& roomId = roomIds_[room];
    std::vector<StoredMessage> rows;
    std::string error;
    if (!readRoomDatabase(server_.dataDir(), roomId, rows, error)) {
      problem("room " + std::to_string(room) + ": " + error);
      continue;
    }
    r.stored += static_cast<int64_t>(rows.size());
    std::map<int64_t, const StoredMessage*> bySeq;
    std::map<std::string, int> textCount, cidCount;
    int64_t previous = 0;
    for (const auto& m : rows) {
      if (m.seq != previous + 1) {
        ++r.seqGaps;
        problem("room " + std::to_string(room) + ": seq " + std::to_string(m.seq) + " follows " +
                std::to_string(previous) + " (gap)");
      }
      previous = m.seq;
      bySeq[m.seq] = &m;
      if (++textCount[m.text] == 2) {
        ++r.duplicated;
        problem("room " + std::to_string(room) + ": '" + m.text + "' stored twice");
      }
      if (!m.clientId.empty() && ++cidCount[m.authorId + "/" + m.clientId] == 2) {
        ++r.duplicated;
        problem("room " + std::to_string(room) + ": clientId " + m.clientId + " stored twice");
      }
    }
    std::set<std::string> ackedHere;
    for (const auto& s : snaps) {
      if (s.room != room) continue;
      for (const auto& [cid, ack] : s.acks) {
        ackedHere.insert(s.userId + "/" + cid);
        auto it = bySeq.find(ack.seq);
        if (it == bySeq.end() || it->second->clientId != cid || it->second->id != ack.id ||
            it->second->authorId != s.userId || it->second->text != "chaos " + cid) {
          ++r.lost;
          problem("room " + std::to_string(room) + ": acked " + cid + " (seq " +
                  std::to_string(ack.seq) + ", id " + ack.id + ") is " +
                  (it == bySeq.end() ? std::string("not stored")
                                     : "stored differently: seq " + std::to_string(ack.seq) +
                                           " holds " + it->second->clientId + " " +
                                           it->second->id));
        }
      }
    }
    if (!final) continue;
    for (const auto& m : rows) {
      if (!ackedHere.count(m.authorId + "/" + m.clientId)) {
        ++r.unacked;
        problem("room " + std::to_string(room) + ": seq " + std::to_string(m.seq) + " (" +
                m.clientId + ") stored but never acked");
      }
    }
    for (const auto& s : snaps) {
      if (s.room != room) continue;
      // Everything the socket ever received is the room, exactly.
      std::map<int64_t, std::string> expected;
      for (const auto& m : rows) expected[m.seq] = m.id;
      if (s.received != expected) {
        int missing = 0, wrong = 0;
        for (const auto& [seq, id] : expected) {
          auto it = s.received.find(seq);
          if (it == s.received.end()) ++missing;
          else if (it->second != id) ++wrong;
        }
        problem(s.tab + ": received " + std::to_string(s.received.size()) + " messages, room has " +
                std::to_string(expected.size()) + " (" + std::to_string(missing) + " missing, " +
                std::to_string(wrong) + " with another id)");
      }
      // Each catch-up is exactly the stored messages after its lastSeq.
      for (const auto& cu : s.catchUps) {
        r.catchUpMessages += static_cast<int64_t>(cu.got.size());
        std::vector<std::pair<int64_t, std::string>> want;
        for (const auto& m : rows) {
          if (m.seq > cu.after && m.seq <= cu.last) want.emplace_back(m.seq, m.id);
        }
        if (cu.got != want) {
          problem(s.tab + ": catch-up after " + std::to_string(cu.after) + " up to " +
                  std::to_string(cu.last) + " held " + std::to_string(cu.got.size()) +
                  " messages, the room has " + std::to_string(want.size()) + " there");
        }
      }
    }
  }
  return r;
}

std::string ChaosReport::describe() const {
  std::ostringstream out;
  out << rooms << " rooms, " << sockets << " sockets, " << faults << " faults, " << seconds
      << " s: composed " << composed << ", acked " << acked << ", stored " << stored << ", lost "
      << lost << ", duplicated " << duplicated << ", stored-unacked " << unacked << ", seq gaps "
      << seqGaps << "; reconnects " << reconnects << ", catch-up messages " << catchUpMessages
      << ", resent " << resent << ", re-acks " << reAcks << ", refused upgrades "
      << refusedUpgrades;
  if (!refusedByStatus.empty()) {
    out << " (";
    for (auto it = refusedByStatus.begin(); it != refusedByStatus.end(); ++it)
      out << (it == refusedByStatus.begin() ? "" : ", ") << it->first << ": " << it->second;
    out << "; first: " << firstRefusal << ")";
  }
  for (const auto& p : problems) out << "\n  problem: " << p;
  return out.str();
}

// ---------------------------------------------------------------------------
// Faults

namespace faults {

ChaosRun::Fault killAndRestart() {
  return [](ChaosRun& run) -> ::testing::AssertionResult {
    run.server().kill9();
    run.checkDiskNow("after kill -9 #" + std::to_string(run.faultsInjected() + 1));
    auto started = run.server().restart();
    if (!started) return started;
    run.serverRestarted();
    return ::testing::AssertionSuccess();
  };
}

ChaosRun::Fault terminateAndRestart() {
  return [](ChaosRun& run) -> ::testing::AssertionResult {
    auto code = run.server().terminate(std::chrono::seconds(20));
    if (code != std::optional<int>(0))
      return ::testing::AssertionFailure()
             << "SIGTERM: exit " << (code ? std::to_string(*code) : std::string("none (killed)"));
    run.checkDiskNow("after SIGTERM #" + std::to_string(run.faultsInjected() + 1));
    auto started = run.server().restart();
    if (!started) return started;
    run.serverRestarted();
    return ::testing::AssertionSuccess();
  };
}

ChaosRun::Fault freeze(std::chrono::milliseconds frozen) {
  return [frozen](ChaosRun& run) -> ::testing::AssertionResult {
    run.server().sendSignal(SIGSTOP);
    std::this_thread::sleep_for(frozen);
    run.server().sendSignal(SIGCONT);
    if (!run.server().running()) return ::testing::AssertionFailure() << "died while frozen";
    return ::testing::AssertionSuccess();
  };
}

ChaosRun::Fault dropSockets(double fraction) {
  return [fraction](ChaosRun& run) -> ::testing::AssertionResult {
    run.dropSocketsAfterSend(fraction);
    return ::testing::AssertionSuccess();
  };
}

}  // namespace faults

}  // namespace roomchat::test
