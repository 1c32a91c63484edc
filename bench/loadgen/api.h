// The wire contract as the load generator speaks it (docs/protocol.md): signing
// up, creating rooms, the room socket's frames, /metrics. The same scenarios
// also drive the Node baseline, which has no accounts: there a "room" is any
// path and no cookie is sent.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "args.h"
#include "net.h"

namespace loadgen {

struct Server {
  bool baseline = false;  // the Node `ws` server: no auth, no persistence
  uint16_t port = 0;
  int pid = 0;            // for /proc readings; 0: none taken

  static Server fromArgs(const Args& args);  // --server roomchat|baseline --port --pid
  std::string host() const { return "127.0.0.1:" + std::to_string(port); }
  std::string origin() const { return "http://" + host(); }
  tcp::endpoint endpoint() const { return {asio::ip::make_address("127.0.0.1"), port}; }
  HttpClient http() const { return HttpClient("127.0.0.1", port, origin()); }
};

struct User {
  std::string id;
  std::string cookie;  // "roomchat_session=..."
};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Unique per run, so repeated runs against one data folder do not collide.
std::string runTag();
// POST /api/auth/signup; throws Failure unless 201.
User signUp(const Server& s, const std::string& username);
// `n` users named <runTag>-u<i>, signed up on `threads` threads.
std::vector<User> signUpMany(const Server& s, int n, int threads = 2);
// POST /api/rooms as `owner` (201 expected; throws Failure otherwise).
std::string createRoom(HttpClient& http, const std::string& name);
// Room ids for a scenario: created through the API, or "b<i>" on the baseline.
std::vector<std::string> makeRooms(const Server& s, const User& owner, int n, int threads = 2);

// The socket of `roomId`, with the user's cookie and the server's own Origin.
WsTarget roomSocket(const Server& s, const std::string& roomId, const std::string& tab,
                    const std::string& cookie,
                    std::optional<asio::ip::address> source = std::nullopt);

// Frames.
std::string helloFrame(std::optional<int64_t> lastSeq = std::nullopt);
// A text message whose text carries the send time, read back by sentAtOf().
std::string sendFrame(std::string_view clientId, int64_t sentAtNs);
std::string historyFrame(int64_t beforeSeq, int limit);
// The frame's "type" without parsing it (first `"type":"` in the frame).
std::string_view frameType(std::string_view frame);
// The send time embedded by sendFrame(), or -1.
int64_t sentAtOf(std::string_view frame);

// GET /metrics, one value per series line: {"name{labels}" -> value}.
std::map<std::string, double> scrapeMetrics(const Server& s);
double metricValue(const std::map<std::string, double>& m, const std::string& series);
// Percentile (seconds) of the observations a Prometheus histogram gained
// between two scrapes, as the upper bound of the bucket that holds it.
double histogramPercentile(const std::map<std::string, double>& before,
                           const std::map<std::string, double>& after, const std::string& name,
                           double q);

}  // namespace loadgen
