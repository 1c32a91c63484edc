// Crash recovery under load: senders spread over many rooms keep writing
// while the server is killed (SIGKILL), stopped (SIGTERM) or frozen (SIGSTOP)
// at random moments and restarted on the same data. The clients behave like
// the web client (backoff, hello{lastSeq}, resend un-acked with the same
// clientId); afterwards their ack logs are compared with the room database
// files (support/chaos.h lists every check). ROOMCHAT_SOAK=1 runs bigger
// versions (more rooms, sockets, faults and minutes); ROOMCHAT_SEED repeats
// a run.
#include <sqlite3.h>

#include <filesystem>
#include <iostream>

#include "support/chaos.h"
#include "support/fixture.h"

namespace roomchat::test {
namespace {

class Chaos : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    // Users hold sockets in many rooms at once; rooms stay awake so the
    // kills hit open databases with commits in flight.
    args.insert(args.end(), {"--max-connections-per-user", "10000", "--room-idle-seconds", "600"});
    return args;
  }

  ChaosOptions options(uint64_t seed) const {
    ChaosOptions o;
    o.seed = seed;
    o.rooms = 20;
    o.users = scaled(8, 12);
    o.usersPerRoom = scaled(3, 5);  // 4 sockets per room (6 in soak)
    o.sendsPerSecond = scaled(4.0, 6.0);
    return o;
  }

  // Prints the numbers, then fails with every problem found.
  void expectClean(const ChaosReport& r, const std::string& what) {
    report(what + ": " + r.describe());
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.lost, 0);
    EXPECT_EQ(r.duplicated, 0);
    EXPECT_EQ(r.seqGaps, 0);
    EXPECT_EQ(r.unacked, 0);
    EXPECT_EQ(r.acked, r.stored) << "every stored message is acked exactly once";
    EXPECT_GT(r.acked, 0);
  }
};

TEST_F(Chaos, AckedMessagesSurviveRepeatedKillNineWithoutLossDuplicatesOrGaps) {
  const uint64_t seed = testSeed();
  const int kills = scaled(4, 30);
  ChaosRun run(server(), options(seed));
  ASSERT_TRUE(run.start());
  ASSERT_TRUE(run.inject("kill -9", kills, faults::killAndRestart(), 300ms,
                         scaled(1500ms, 4000ms)));
  ASSERT_TRUE(run.settle(60s));
  ASSERT_EQ(server().terminate(), std::optional<int>(0));
  ChaosReport r = run.verify();
  expectClean(r, "kill -9 x" + std::to_string(kills));
  EXPECT_EQ(r.faults, kills);
  // Every socket came back with hello{lastSeq} at least once (one that was
  // still in backoff at the next kill reconnects once for both).
  EXPECT_GE(r.reconnects, r.sockets);
}

TEST_F(Chaos, RestartsFreezesAndDroppedAcksLoseNothingAndStoreNothingTwice) {
  const uint64_t seed = testSeed();
  const int rounds = scaled(1, 8);
  ChaosRun run(server(), options(seed));
  ASSERT_TRUE(run.start());
  for (int i = 0; i < rounds; ++i) {
    // Half the sockets drop right after a send: stored, ack lost, resent.
    ASSERT_TRUE(run.inject("drop after send", 1, faults::dropSockets(0.5), 300ms, 1000ms));
    ASSERT_TRUE(run.inject("SIGTERM", 1, faults::terminateAndRestart(), 300ms, 1500ms));
    // A frozen server keeps its sockets; clients just wait for acks.
    ASSERT_TRUE(run.inject("SIGSTOP", 1, faults::freeze(scaled(700ms, 3000ms)), 300ms, 1500ms));
    ASSERT_TRUE(run.inject("kill -9", 1, faults::killAndRestart(), 300ms, 1500ms));
  }
  ASSERT_TRUE(run.settle(60s));
  ASSERT_EQ(server().terminate(), std::optional<int>(0));
  ChaosReport r = run.verify();
  expectClean(r, "drop+SIGTERM+SIGSTOP+kill -9 x" + std::to_string(rounds));
  // ~40 sockets dropped a connection right after handing a send to the
  // kernel: the server stores those and the resends must be answered from
  // the stored original. Zero would mean the dedup path was never taken.
  EXPECT_GT(r.reAcks, 0) << "no resend of a stored message happened; the dedup path went untested";
}

// The verifier itself must be able to fail: a run whose databases are then
// tampered with (one acked message deleted, one message stored twice) is
// reported with exactly those problems.
TEST_F(Chaos, TheVerifierReportsALostMessageAGapAndADuplicate) {
  ChaosOptions o = options(testSeed());
  o.rooms = 2;
  o.users = 2;
  o.usersPerRoom = 2;
  o.sendsPerSecond = 10;
  ChaosRun run(server(), o);
  ASSERT_TRUE(run.start());
  run.pause(1000ms, 1000ms);
  ASSERT_TRUE(run.settle(30s));
  ASSERT_EQ(server().terminate(), std::optional<int>(0));

  auto tamper = [&](const std::string& roomId, const char* sql) {
    auto file = std::filesystem::path(server().dataDir()) / "rooms" / roomId.substr(0, 2) / (roomId + ".db");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    EXPECT_EQ(sqlite3_changes(db), 1) << sql;
    sqlite3_free(err);
    sqlite3_close(db);
  };
  tamper(run.roomIds()[0], "DELETE FROM messages WHERE seq = 2");
  tamper(run.roomIds()[1],
         "INSERT INTO messages (seq, id, author_kind, author_id, kind, text, created_at, deleted, client_id) "
         "SELECT (SELECT max(seq) + 1 FROM messages), id, author_kind, author_id, kind, text, "
         "created_at, deleted, NULL FROM messages WHERE seq = 1");
  ChaosReport r = run.verify();
  report("tampered: " + r.describe());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.lost, 1);
  EXPECT_EQ(r.seqGaps, 1);
  EXPECT_EQ(r.duplicated, 1);
  EXPECT_EQ(r.unacked, 1) << "the copy has no clientId, so nobody acked it";
}

}  // namespace
}  // namespace roomchat::test
