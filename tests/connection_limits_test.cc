// Limits on one user's room sockets: the cap on open sockets and the rate of
// new ones both answer 429 with Retry-After (the contract's rate_limited), so
// a client backs off instead of hammering; an oversized clientId is not
// echoed back (a client cannot make the server amplify its junk).
#include <cstdlib>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

class ConnectionCap : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--max-connections-per-user", "2"});
    return args;
  }
};

TEST_F(ConnectionCap, PastTheCapTheUpgradeIs429WithRetryAfter) {
  TestUser u = newUser();
  std::string id = createRoom(u)["id"];
  Joined a = join(u, id, "a");
  Joined b = join(u, id, "b");
  auto third = openSocket(u, id, "c");
  EXPECT_EQ(third->upgradeStatus(), 429) << third->upgradeBody();
  EXPECT_EQ(third->upgradeErrorCode(), "rate_limited");
  const std::string retry = third->upgradeHeader("Retry-After");
  ASSERT_FALSE(retry.empty()) << "429 without Retry-After";
  EXPECT_GE(std::atoi(retry.c_str()), 1) << retry;
  // A slot that frees up is usable again.
  a->close();
  EXPECT_TRUE(eventually([&] { return openSocket(u, id, "d")->upgradeStatus() == 101; }, 5s));
}

class ConnectRate : public ServerTest {
 protected:
  // generousLimits() with this test's connect limit in place of its own.
  std::vector<std::string> serverArgs() const override {
    std::vector<std::string> args;
    const auto generous = generousLimits();
    for (size_t i = 0; i + 1 < generous.size(); i += 2)
      if (generous[i].rfind("--connect-", 0) != 0)
        args.insert(args.end(), {generous[i], generous[i + 1]});
    args.insert(args.end(), {"--connect-per-minute", "60", "--connect-burst", "10"});
    return args;
  }
};

TEST_F(ConnectRate, OpeningAndClosingSocketsInALoopIsRateLimitedPerUser) {
  TestUser u = newUser();
  TestUser other = newUser();
  std::string id = createRoom(u)["id"];
  int opened = 0, limited = 0;
  std::string retry;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 150 && std::chrono::steady_clock::now() - started < 10s; ++i) {
    auto ws = openSocket(u, id, "t" + std::to_string(i));
    if (ws->upgradeStatus() == 101) {
      ++opened;
      ws->send({{"type", "hello"}});
      ws->send({{"type", "typing"}, {"active", true}});
      ws->close();
    } else {
      EXPECT_EQ(ws->upgradeStatus(), 429) << ws->upgradeBody();
      EXPECT_EQ(ws->upgradeErrorCode(), "rate_limited") << ws->upgradeBody();
      retry = ws->upgradeHeader("Retry-After");
      ++limited;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // The burst, plus one a second for the time the loop took.
  EXPECT_LE(opened, 10 + static_cast<int>(seconds) + 1) << "in " << seconds << " s";
  EXPECT_GE(opened, 10);
  EXPECT_GT(limited, 0);
  ASSERT_FALSE(retry.empty()) << "429 without Retry-After";
  EXPECT_GE(std::atoi(retry.c_str()), 1) << retry;
  // The limit is per user: another user is not affected.
  Joined o = join(other, id, "other");
  EXPECT_FALSE(o.welcome.is_null());
}

class ClientIdEcho : public ServerTest {};

TEST_F(ClientIdEcho, AnInvalidClientIdIsNotEchoedBack) {
  TestUser u = newUser();
  std::string id = createRoom(u)["id"];
  Joined j = join(u, id);
  const std::string huge = repeat('c', 60000);
  j->send({{"type", "send"}, {"clientId", huge}, {"kind", "text"}, {"text", "x"}});
  json e = j->expect("error");
  EXPECT_EQ(e["code"], "invalid_field") << e.dump().substr(0, 200);
  EXPECT_FALSE(e.contains("clientId")) << "echoed " << e.dump().size() << " bytes";
  EXPECT_LT(e.dump().size(), 300u);
  // A valid clientId is still echoed with a failing message.
  j->send({{"type", "send"}, {"clientId", "ok-1"}, {"kind", "video"}, {"text", "x"}});
  EXPECT_EQ(j->expect("error")["clientId"], "ok-1");
}

}  // namespace
}  // namespace roomchat::test
