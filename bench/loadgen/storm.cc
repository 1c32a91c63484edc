// Reconnect storm (roomchat only): N clients in R rooms note their lastSeq and
// disconnect; one writer per room then sends M messages; all N reconnect at
// once with hello{lastSeq}. Each client's time from connect to a welcome that
// carries exactly its M missed messages is recorded.
#include <thread>

#include "api.h"
#include "fleet.h"
#include "scenarios.h"
#include "stats.h"

namespace loadgen {

namespace {

constexpr double kTimeout = 120;
constexpr int kSetupConcurrency = 200;

struct Client {
  int64_t lastSeq = 0;
  int64_t startedNs = 0;
  int64_t welcomedNs = 0;
  int caughtUp = -1;  // messages in the reconnect welcome; -1: none yet
  bool reset = false;
};

}  // namespace

nlohmann::json runStorm(const Server& server, const Args& args) {
  if (server.baseline) throw Failure("storm: roomchat only (the baseline keeps no history)");
  const int rooms = static_cast<int>(args.num("rooms", 10));
  const int n = static_cast<int>(args.num("clients", 1000));
  const int missed = static_cast<int>(args.num("missed", 50));
  const int users = static_cast<int>(args.num("users", 20));
  const int usersPerRoom = static_cast<int>(args.num("users-per-room", 10));
  IoPool pool(static_cast<int>(args.num("threads", 2)));

  auto userList = signUpMany(server, users);
  auto roomIds = makeRooms(server, userList[0], rooms);
  std::vector<Client> clients(n);
  std::atomic<bool> reconnecting{false};
  std::atomic<int> acks{0};
  // Clients 0..n-1 (room i % rooms), then one writer per room at n + r.
  auto roomOf = [&](int i) { return i < n ? i % rooms : i - n; };
  Fleet fleet(pool, n + rooms,
              {[&](int i) {
                 if (i < n) clients[i].startedNs = nowNanos();
                 const int r = roomOf(i);
                 const int u = (r * usersPerRoom + (i / rooms) % usersPerRoom) % users;
                 return roomSocket(server, roomIds[r], "t" + std::to_string(i), userList[u].cookie);
               },
               [&](int i) {
                 return i < n && reconnecting ? helloFrame(clients[i].lastSeq) : helloFrame();
               },
               [&](int i, std::string_view frame) {
                 const auto type = frameType(frame);
                 if (type == "ack") ++acks;
                 if (type != "welcome" || i >= n) return;
                 auto w = nlohmann::json::parse(frame);
                 Client& c = clients[i];
                 if (!reconnecting) {
                   c.lastSeq = w["lastSeq"].get<int64_t>();
                   return;
                 }
                 c.caughtUp = static_cast<int>(w["messages"].size());
                 c.reset = w.value("reset", false);
                 c.welcomedNs = nowNanos();
               }});

  nlohmann::json out;
  const int ready = fleet.open(0, n + rooms, kSetupConcurrency, kTimeout);
  if (ready < n + rooms) return {{"ready", ready}, {"problems", fleet.problems()}};
  fleet.close(0, n, kTimeout);
  waitFor([&] { return metricValue(scrapeMetrics(server), "roomchat_connections") <= rooms; },
          kTimeout);

  onEveryThread(pool, [&](int th) {
    for (int r = 0; r < rooms; ++r)
      if (fleet.threadOf(n + r) == th)
        for (int k = 0; k < missed; ++k)
          fleet.client(n + r).send(sendFrame("w" + std::to_string(r) + "-" + std::to_string(k),
                                             nowNanos()));
  });
  out["writers_acked"] = waitFor([&] { return acks >= rooms * missed; }, kTimeout);

  reconnecting = true;
  const auto cpuBefore = sampleProcess(server.pid);
  const int64_t stormStart = nowNanos();
  const int back = fleet.open(0, n, n, kTimeout);
  const double stormSeconds = static_cast<double>(nowNanos() - stormStart) / 1e9;
  const auto cpuAfter = sampleProcess(server.pid);

  std::vector<double> us;
  int complete = 0, resets = 0;
  for (const auto& c : clients) {
    if (c.welcomedNs == 0) continue;
    us.push_back(static_cast<double>(c.welcomedNs - c.startedNs) / 1e3);
    complete += c.caughtUp == missed && !c.reset;
    resets += c.reset;
  }
  out["clients"] = n;
  out["rooms"] = rooms;
  out["missed_per_client"] = missed;
  out["reconnected"] = back;
  out["caught_up_exactly"] = complete;
  out["resets"] = resets;
  out["storm_seconds"] = stormSeconds;
  out["reconnect_latency"] = sampleSummary(us);
  out["server_cpu_seconds"] = cpuAfter.cpuSeconds - cpuBefore.cpuSeconds;
  out["problems"] = fleet.problems();
  return out;
}

}  // namespace loadgen
