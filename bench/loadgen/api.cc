#include "api.h"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

namespace loadgen {

namespace {

constexpr std::string_view kTimeMark = "lat~";
constexpr const char* kPassword = "bench-password-1";

// Runs body(i) for i in [0, n) on `threads` threads; rethrows the first failure.
template <class F>
void parallelFor(int n, int threads, F body) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::exception_ptr failure;
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(threads, 1); ++t)
    pool.emplace_back([&, t] {
      try {
        for (int i; (i = next++) < n && !failure;) body(t, i);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!failure) failure = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

Server Server::fromArgs(const Args& args) {
  Server s;
  const auto kind = args.str("server", "roomchat");
  if (kind != "roomchat" && kind != "baseline") throw Failure("--server roomchat|baseline");
  s.baseline = kind == "baseline";
  s.port = static_cast<uint16_t>(args.num("port", 0));
  s.pid = static_cast<int>(args.num("pid", 0));
  if (s.port == 0) throw Failure("--port is required");
  return s;
}

std::string runTag() {
  static const std::string tag = [] {
    auto t = std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1);
    std::ostringstream out;
    out << "b" << std::hex << (t % 0xffffffffLL) << getpid() % 1000;
    return out.str();
  }();
  return tag;
}

User signUp(const Server& s, const std::string& username) {
  auto http = s.http();
  nlohmann::json body = {{"username", username}, {"password", kPassword},
                         {"displayName", username}};
  auto reply = http.post("/api/auth/signup", body.dump());
  auto json = reply.json();
  if (reply.status != 201 || !json.is_object())
    throw Failure("signup " + username + ": " + std::to_string(reply.status) + " " + reply.body +
                  reply.error);
  return {json["user"]["id"].get<std::string>(), http.cookie};
}

std::vector<User> signUpMany(const Server& s, int n, int threads) {
  std::vector<User> users(n);
  if (s.baseline) return users;  // no accounts: empty ids and cookies
  parallelFor(n, threads, [&](int, int i) {
    users[i] = signUp(s, runTag() + "-u" + std::to_string(i));
  });
  return users;
}

std::string createRoom(HttpClient& http, const std::string& name) {
  nlohmann::json body = {{"name", name}, {"visibility", "public"}};
  auto reply = http.post("/api/rooms", body.dump());
  auto json = reply.json();
  if (reply.status != 201 || !json.is_object())
    throw Failure("create room: " + std::to_string(reply.status) + " " + reply.body + reply.error);
  return json["room"]["id"].get<std::string>();
}

std::vector<std::string> makeRooms(const Server& s, const User& owner, int n, int threads) {
  std::vector<std::string> ids(n);
  if (s.baseline) {
    for (int i = 0; i < n; ++i) ids[i] = "b" + std::to_string(i);
    return ids;
  }
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int t = 0; t < threads; ++t) {
    clients.push_back(std::make_unique<HttpClient>("127.0.0.1", s.port, s.origin()));
    clients.back()->cookie = owner.cookie;
  }
  parallelFor(n, threads, [&](int t, int i) {
    ids[i] = createRoom(*clients[t], "bench " + std::to_string(i));
  });
  return ids;
}

WsTarget roomSocket(const Server& s, const std::string& roomId, const std::string& tab,
                    const std::string& cookie, std::optional<asio::ip::address> source) {
  return WsTarget{s.endpoint(), source, s.host(), "/api/rooms/" + roomId + "/ws?tab=" + tab,
                  cookie, s.origin()};
}

std::string helloFrame(std::optional<int64_t> lastSeq) {
  if (!lastSeq) return R"({"type":"hello"})";
  return R"({"type":"hello","lastSeq":)" + std::to_string(*lastSeq) + "}";
}

std::string sendFrame(std::string_view clientId, int64_t sentAtNs) {
  std::string f = R"({"type":"send","clientId":")";
  f += clientId;
  f += R"(","kind":"text","text":")";
  f += kTimeMark;
  f += std::to_string(sentAtNs);
  f += R"(~"})";
  return f;
}

std::string historyFrame(int64_t beforeSeq, int limit) {
  return R"({"type":"history","beforeSeq":)" + std::to_string(beforeSeq) +
         R"(,"limit":)" + std::to_string(limit) + "}";
}

std::string_view frameType(std::string_view frame) {
  constexpr std::string_view key = R"("type":")";
  auto at = frame.find(key);
  if (at == std::string_view::npos) return {};
  at += key.size();
  auto end = frame.find('"', at);
  return end == std::string_view::npos ? std::string_view{} : frame.substr(at, end - at);
}

int64_t sentAtOf(std::string_view frame) {
  auto at = frame.find(kTimeMark);
  if (at == std::string_view::npos) return -1;
  int64_t ns = -1;
  const char* p = frame.data() + at + kTimeMark.size();
  std::from_chars(p, frame.data() + frame.size(), ns);
  return ns;
}

std::map<std::string, double> scrapeMetrics(const Server& s) {
  std::map<std::string, double> out;
  if (s.baseline) return out;
  HttpClient http = s.http();
  if (const char* token = std::getenv("ROOMCHAT_METRICS_TOKEN")) http.bearer = token;
  auto reply = http.get("/metrics");
  std::istringstream in(reply.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    try {
      out[line.substr(0, space)] += std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
    }
  }
  return out;
}

double metricValue(const std::map<std::string, double>& m, const std::string& series) {
  auto it = m.find(series);
  return it == m.end() ? -1 : it->second;
}

double histogramPercentile(const std::map<std::string, double>& before,
                           const std::map<std::string, double>& after, const std::string& name,
                           double q) {
  const std::string prefix = name + "_bucket{le=\"";
  std::vector<std::pair<double, double>> buckets;  // (upper bound, cumulative count gained)
  for (const auto& [series, value] : after) {
    if (series.rfind(prefix, 0) != 0) continue;
    std::string le = series.substr(prefix.size(), series.size() - prefix.size() - 2);
    double bound = le == "+Inf" ? 1e300 : std::stod(le);
    double was = before.count(series) ? before.at(series) : 0;
    buckets.emplace_back(bound, value - was);
  }
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || buckets.back().second <= 0) return -1;
  const double rank = q * buckets.back().second;
  for (const auto& [bound, count] : buckets)
    if (count >= rank) return bound;
  return buckets.back().first;
}

}  // namespace loadgen
