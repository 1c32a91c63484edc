// History pages on a big room (roomchat only). history-prepare signs up a user
// and creates the room; the harness then stops the server, seeds the room's
// database with roomchat-seed and starts the server again; history times
// 25-message pages before random seqs, over HTTP and as `history` frames.
#include <future>
#include <random>

#include "api.h"
#include "fleet.h"
#include "scenarios.h"
#include "stats.h"

namespace loadgen {

namespace {

constexpr int kPage = 25;
constexpr double kFrameTimeout = 10;

// GET pages before random seqs; the first request (which wakes the room) is
// reported apart.
nlohmann::json httpPages(const Server& server, const std::string& room, const std::string& cookie,
                         int64_t lastSeq, int samples, std::mt19937_64& rng) {
  auto http = server.http();
  http.cookie = cookie;
  const int64_t t0 = nowNanos();
  auto first = http.get("/api/rooms/" + room + "/messages?limit=" + std::to_string(kPage));
  const double firstUs = static_cast<double>(nowNanos() - t0) / 1e3;
  auto json = first.json();
  const bool shapeOk = first.status == 200 && json["items"].size() == kPage &&
                       json["hasMore"] == true;
  std::uniform_int_distribution<int64_t> before(kPage + 1, std::max<int64_t>(lastSeq, kPage + 1));
  std::vector<double> us;
  int failures = 0;
  for (int k = 0; k < samples; ++k) {
    const std::string path = "/api/rooms/" + room + "/messages?before=" +
                             std::to_string(before(rng)) + "&limit=" + std::to_string(kPage);
    const int64_t start = nowNanos();
    failures += http.get(path).status != 200;
    us.push_back(static_cast<double>(nowNanos() - start) / 1e3);
  }
  nlohmann::json out = sampleSummary(us);
  out["first_request_us"] = firstUs;
  out["first_page_ok"] = shapeOk;
  out["failures"] = failures;
  return out;
}

// The same over one room socket: a history frame, wait for its answer, repeat.
nlohmann::json framePages(const Server& server, const std::string& room, const std::string& cookie,
                          int64_t lastSeq, int samples, std::mt19937_64& rng) {
  IoPool pool(1);
  std::promise<void> welcomed;
  std::atomic<int64_t> answeredAt{0};
  std::atomic<size_t> lastSize{0};
  Fleet fleet(pool, 1,
              {[&](int) { return roomSocket(server, room, "hist", cookie); },
               [](int) { return helloFrame(); },
               [&](int, std::string_view frame) {
                 if (frameType(frame) == "history") {
                   lastSize = frame.size();
                   answeredAt = nowNanos();
                 }
               }});
  if (fleet.open(0, 1, 1, kFrameTimeout) != 1) return {{"error", "no welcome"}, {"problems", fleet.problems()}};
  std::uniform_int_distribution<int64_t> before(kPage + 1, std::max<int64_t>(lastSeq, kPage + 1));
  std::vector<double> us;
  int timeouts = 0;
  for (int k = 0; k < samples; ++k) {
    answeredAt = 0;
    const std::string frame = historyFrame(before(rng), kPage);
    const int64_t start = nowNanos();
    asio::post(pool.at(0), [&fleet, frame] { fleet.client(0).send(frame); });
    if (!waitFor([&] { return answeredAt != 0; }, kFrameTimeout)) {
      ++timeouts;
      continue;
    }
    us.push_back(static_cast<double>(answeredAt - start) / 1e3);
  }
  nlohmann::json out = sampleSummary(us);
  out["timeouts"] = timeouts;
  out["frame_bytes"] = lastSize.load();
  return out;
}

}  // namespace

nlohmann::json runHistoryPrepare(const Server& server, const Args&) {
  if (server.baseline) throw Failure("history: roomchat only");
  User user = signUp(server, runTag() + "-hist");
  auto http = server.http();
  http.cookie = user.cookie;
  return {{"room", createRoom(http, "history")}, {"user", user.id}, {"cookie", user.cookie}};
}

nlohmann::json runHistory(const Server& server, const Args& args) {
  if (server.baseline) throw Failure("history: roomchat only");
  const std::string room = args.str("room", "");
  const std::string cookie = args.str("cookie", "");
  const int64_t lastSeq = args.num("last-seq", 1000000);
  const int samples = static_cast<int>(args.num("samples", 2000));
  std::mt19937_64 rng(7);
  return {{"room_messages", lastSeq},
          {"page", kPage},
          {"http", httpPages(server, room, cookie, lastSeq, samples, rng)},
          {"ws", framePages(server, room, cookie, lastSeq, samples, rng)}};
}

}  // namespace loadgen
