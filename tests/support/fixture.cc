#include "support/fixture.h"

#include <iostream>
#include <sstream>
#include <thread>

namespace roomchat::test {

std::vector<std::string> generousLimits() {
  return {"--message-rate",      "10000",  "--message-burst",      "10000",
          "--signup-per-minute", "100000", "--signup-burst",       "100000",
          "--login-per-minute",  "100000", "--login-burst",        "100000",
          "--connect-per-minute", "100000", "--connect-burst",      "100000"};
}

void ServerTest::SetUp() {
  server_ = std::make_unique<ServerProcess>(serverArgs());
  ASSERT_TRUE(server_->start());
}

void ServerTest::TearDown() {
  if (server_) {
    // Sanitized, the server is stopped the way an operator stops it (SIGTERM)
    // rather than killed: LeakSanitizer only checks at a clean exit, and the
    // shutdown path (rooms flushing, sockets closing, io threads joining) is
    // where lifetime bugs hide. A leak or a report there fails the test.
    if (ServerProcess::kSanitized && server_->running()) {
      auto exit = server_->terminate(30s);
      EXPECT_EQ(exit, std::optional<int>(0))
          << "the sanitized server did not stop cleanly on SIGTERM (nullopt: not within "
             "30 s; 1, 23, 66: a sanitizer report)";
    }
    std::string report = server_->sanitizerReport();
    if (!report.empty()) ADD_FAILURE() << "sanitizer report in the server:\n" << report;
  }
  if (HasFailure() && server_) {
    std::string log = server_->log();
    const size_t kMax = 20000;
    if (log.size() > kMax) log = "...(cut)...\n" + log.substr(log.size() - kMax);
    std::cerr << "--- server log (" << server_->tempDir() << ") ---\n"
              << log << "\n--- end of server log ---\n";
  }
  server_.reset();  // kills the child by PID, removes the temp dir
}

TestUser ServerTest::signUp(const std::string& username, const std::string& displayName) {
  TestUser u{.id = "",
             .username = username,
             .password = "password-" + username,
             .displayName = displayName.empty() ? "User " + username : displayName,
             .user = nullptr,
             .http = HttpClient(server_->port())};
  auto res = u.http.post("/api/auth/signup", {{"username", u.username},
                                              {"password", u.password},
                                              {"displayName", u.displayName}});
  EXPECT_EQ(res.status, 201) << "signup " << username << ": " << res.describe();
  if (res.status == 201 && res.json.contains("user")) {
    u.user = res.json["user"];
    u.id = u.user.value("id", "");
  }
  EXPECT_TRUE(u.http.session().has_value()) << "signup set no roomchat_session cookie";
  return u;
}

TestUser ServerTest::newUser(const std::string& hint) {
  return signUp(hint + "_" + std::to_string(++userCounter_));
}

json ServerTest::createRoom(TestUser& owner, const std::string& name,
                            const std::string& visibility) {
  auto res = owner.http.post("/api/rooms", {{"name", name}, {"visibility", visibility}});
  EXPECT_EQ(res.status, 201) << "create room: " << res.describe();
  if (res.status == 201 && res.json.contains("room")) return res.json["room"];
  return nullptr;
}

std::unique_ptr<WsClient> ServerTest::openSocket(const TestUser& user, const std::string& roomId,
                                                 const std::string& tab,
                                                 std::optional<std::string> origin) {
  auto ws = std::make_unique<WsClient>(server_->port());
  if (origin && *origin == "self") origin = server_->origin();
  ws->connect(WsClient::roomTarget(roomId, tab), user.http.cookieHeader(), origin);
  return ws;
}

Joined ServerTest::join(const TestUser& user, const std::string& roomId, const std::string& tab,
                        std::optional<int64_t> lastSeq) {
  Joined j{openSocket(user, roomId, tab), nullptr};
  if (j.ws->upgradeStatus() != 101) {
    ADD_FAILURE() << user.username << " could not open the socket of room " << roomId
                  << ": status " << j.ws->upgradeStatus() << " " << j.ws->upgradeBody() << " "
                  << j.ws->transportError();
    return j;
  }
  json hello = {{"type", "hello"}};
  if (lastSeq) hello["lastSeq"] = *lastSeq;
  j.ws->send(hello);
  j.welcome = j.ws->expect("welcome");
  return j;
}

HttpResponse ServerTest::metrics() {
  return anonymous().get("/metrics",
                         {{"Authorization", "Bearer " + server_->metricsToken()}});
}

std::optional<double> ServerTest::metric(const std::string& name) {
  auto res = metrics();
  if (res.status != 200) return std::nullopt;
  std::istringstream in(res.body);
  std::string line;
  std::optional<double> sum;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    if (line.size() <= name.size()) continue;
    char after = line[name.size()];
    size_t valuePos;
    if (after == '{') {
      auto close = line.find('}', name.size());
      if (close == std::string::npos) continue;
      valuePos = close + 1;
    } else if (after == ' ' || after == '\t') {
      valuePos = name.size();
    } else {
      continue;  // a longer name sharing this prefix
    }
    try {
      double v = std::stod(line.substr(valuePos));
      sum = sum.value_or(0) + v;
    } catch (...) {
    }
  }
  return sum;
}

bool ServerTest::eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

json textFrame(const std::string& clientId, const std::string& text) {
  return {{"type", "send"}, {"clientId", clientId}, {"kind", "text"}, {"text", text}};
}

json sendText(WsClient& ws, const std::string& clientId, const std::string& text) {
  ws.send(textFrame(clientId, text));
  json reply = ws.expectWhere(
      "",
      [&](const json& f) {
        std::string t = f.value("type", "");
        return (t == "ack" || t == "error") && f.value("clientId", "") == clientId;
      },
      WsClient::kDefaultTimeout, "(ack or error) for clientId " + clientId);
  if (reply.is_null()) return nullptr;
  if (reply.value("type", "") != "ack" || !reply.contains("message")) {
    ADD_FAILURE() << "send " << clientId << " was refused: " << reply.dump();
    return nullptr;
  }
  return reply["message"];
}

std::vector<int64_t> seqsOf(const json& messages) {
  std::vector<int64_t> out;
  if (!messages.is_array()) return out;
  for (const auto& m : messages) out.push_back(m.value("seq", int64_t{-1}));
  return out;
}

std::string repeat(char c, size_t n) { return std::string(n, c); }

}  // namespace roomchat::test
