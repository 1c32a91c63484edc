// ServerTest is the base fixture of the integration suite: every test gets
// its own `roomchat serve` process (fresh data folder, free port) started in
// SetUp with serverArgs(), and its log printed when the test fails.
//
// Helpers speak the wire only (HTTP and WebSocket), like a real client:
// signUp() makes a user with its own cookie jar, createRoom() a room, join()
// a room socket that has already said hello and got its welcome.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/ws_client.h"

namespace roomchat::test {

using nlohmann::json;
using namespace std::chrono_literals;

// Limits high enough that no test trips them by accident.
std::vector<std::string> generousLimits();

struct TestUser {
  std::string id;
  std::string username;
  std::string password;
  std::string displayName;
  json user;        // the `user` object from signup
  HttpClient http;  // holds this user's session cookie
};

// Result of join(): the socket and the welcome frame it received.
struct Joined {
  std::unique_ptr<WsClient> ws;
  json welcome;
  WsClient* operator->() { return ws.get(); }
  WsClient& operator*() { return *ws; }
};

class ServerTest : public ::testing::Test {
 protected:
  // Extra `serve` flags for this fixture; default generousLimits().
  virtual std::vector<std::string> serverArgs() const { return generousLimits(); }

  void SetUp() override;
  void TearDown() override;

  ServerProcess& server() { return *server_; }
  int port() const { return server_->port(); }
  std::string origin() const { return server_->origin(); }

  // A client with no cookie.
  HttpClient anonymous() const { return HttpClient(server_->port()); }

  // Signs up (201 expected) and returns the user with its session.
  TestUser signUp(const std::string& username, const std::string& displayName = "");
  // A user with a generated unique name.
  TestUser newUser(const std::string& hint = "user");

  // POST /api/rooms (201 expected); returns the `room` object.
  json createRoom(TestUser& owner, const std::string& name = "room",
                  const std::string& visibility = "public");

  // Opens the room socket with the user's cookie and the server's own
  // Origin. Returns it whether or not the upgrade succeeded.
  std::unique_ptr<WsClient> openSocket(const TestUser& user, const std::string& roomId,
                                       const std::string& tab = "tab-1",
                                       std::optional<std::string> origin = std::string("self"));
  // openSocket + hello (+lastSeq) + welcome. ADD_FAILUREs when any step fails.
  Joined join(const TestUser& user, const std::string& roomId, const std::string& tab = "tab-1",
              std::optional<int64_t> lastSeq = std::nullopt);

  // GET /metrics with the server's bearer token.
  HttpResponse metrics();
  // GET /metrics, the value of one series summed over its label sets
  // (nullopt when absent or unreadable).
  std::optional<double> metric(const std::string& name);

  // Polls `cond` every 50 ms until it is true or `timeout` passes.
  static bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

  std::unique_ptr<ServerProcess> server_;
  int userCounter_ = 0;
};

// A `send` frame for a text message.
json textFrame(const std::string& clientId, const std::string& text);
// Sends a text message and waits for its ack; returns the ack's `message`
// (null, with a gtest failure, when no ack came).
json sendText(WsClient& ws, const std::string& clientId, const std::string& text);

// Seqs of a list of messages, in list order.
std::vector<int64_t> seqsOf(const json& messages);
// 'x' repeated n times.
std::string repeat(char c, size_t n);

}  // namespace roomchat::test
