// Fault-injection harness: many room sockets that behave like the web client
// while the test does bad things to the server, and a verifier that compares
// what the clients were promised with what the room databases hold.
//
// Each ChaosRun socket composes text messages at a steady rate into an outbox,
// keeps at most `window` of them un-acked on the wire, reconnects with
// jittered exponential backoff after any close, says hello{lastSeq} with the
// highest seq it has seen, and resends every un-acked message with the same
// clientId (exactly what web/src/lib/ws-client.ts does). It keeps an ack log
// (clientId -> seq, id), every message it received (seq -> id) and every
// catch-up the server gave it.
//
// A fault is a function that does something to the server and returns once
// the server is serving again, so a new case is a few lines:
//
//   ChaosRun run(server(), options);
//   ASSERT_TRUE(run.start());
//   ASSERT_TRUE(run.inject("kill -9", 5, faults::killAndRestart()));
//   ASSERT_TRUE(run.settle());
//   ASSERT_EQ(server().terminate(), std::optional<int>(0));
//   ChaosReport report = run.verify();
//   EXPECT_TRUE(report.ok()) << report.describe();
//
// verify() reads the room databases (rooms/<xx>/<id>.db, through a copy so
// the WAL is replayed on the copy) and checks: every acked message is stored
// exactly once with the acked seq and id; seq has no gap; nothing is stored
// twice (by text, which embeds the clientId, and by clientId); a clientId
// acked twice was acked with the same seq and id; every stored message was
// acked; every catch-up was exactly the stored messages after its lastSeq;
// every socket received exactly the room's messages.
//
// Randomness comes from one seed (ROOMCHAT_SEED, else the clock), printed so
// a failing run can be repeated. The io thread owns all client state; the
// test thread talks to it only through IoThread::call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/server_process.h"

namespace roomchat::test {

// True when ROOMCHAT_SOAK=1: tests then use their bigger soak parameters.
bool soakMode();
template <class T>
T scaled(T fast, T soak) {
  return soakMode() ? soak : fast;
}
// ROOMCHAT_SEED if set, else from the clock; printed with the test's name.
uint64_t testSeed();
// Prints "[ chaos ] <line>" to stderr (the numbers reliability.md records).
void report(const std::string& line);

// One row of a room database's `messages` table.
struct StoredMessage {
  int64_t seq = 0;
  std::string id;
  std::string authorId;
  std::string clientId;
  std::string text;
  bool deleted = false;
};

// Every message of the room, by seq, read from a copy of its database file
// (and WAL) in dataDir/rooms/<xx>/<roomId>.db. Returns false with `error`
// set when the file is missing, unreadable or fails PRAGMA integrity_check.
bool readRoomDatabase(const std::string& dataDir, const std::string& roomId,
                      std::vector<StoredMessage>& out, std::string& error);

struct ChaosOptions {
  int rooms = 20;
  int users = 8;            // accounts, shared between rooms
  int usersPerRoom = 3;     // each room has this many users; the first one has two tabs
  double sendsPerSecond = 4;  // new messages composed per socket
  int window = 4;           // un-acked sends on the wire per socket
  int outboxLimit = 40;     // a socket composes nothing while this many wait
  std::chrono::milliseconds backoffMin{50};
  std::chrono::milliseconds backoffMax{1000};
  uint64_t seed = 1;
};

struct ChaosReport {
  int rooms = 0;
  int sockets = 0;
  int faults = 0;
  double seconds = 0;       // from start() to verify()
  int64_t composed = 0;     // messages the clients wrote
  int64_t acked = 0;        // distinct clientIds acked
  int64_t stored = 0;       // rows in the room databases
  int64_t lost = 0;         // acked, not stored (or stored with another seq/id)
  int64_t duplicated = 0;   // stored twice, or acked twice with different seqs
  int64_t unacked = 0;      // stored but never acked (final check only)
  int64_t seqGaps = 0;
  int64_t resent = 0;       // sends repeated after a reconnect
  int64_t reAcks = 0;       // acks of a clientId already acked or already stored
  int64_t reconnects = 0;   // welcomes after the first, each with hello{lastSeq}
  int64_t catchUpMessages = 0;
  int64_t refusedUpgrades = 0;  // non-101 answers while the server came back
  std::map<int, int64_t> refusedByStatus;
  std::string firstRefusal;  // status line and body of the first refused upgrade
  std::vector<std::string> problems;  // the first few, for the failure message

  bool ok() const { return problems.empty(); }
  std::string describe() const;  // one summary line, then the problems
};

class ChaosRun {
 public:
  // A fault does something to the server and returns once it serves again.
  using Fault = std::function<::testing::AssertionResult(ChaosRun&)>;

  ChaosRun(ServerProcess& server, ChaosOptions options);
  ~ChaosRun();
  ChaosRun(const ChaosRun&) = delete;
  ChaosRun& operator=(const ChaosRun&) = delete;

  // Signs up the users, creates the rooms, opens every socket and waits
  // until each got its first welcome.
  ::testing::AssertionResult start(std::chrono::seconds timeout = std::chrono::seconds(60));

  // `times` faults, each after a random pause of [minGap, maxGap] with
  // traffic flowing; stops at the first fault that fails.
  ::testing::AssertionResult inject(const std::string& name, int times, const Fault& fault,
                                    std::chrono::milliseconds minGap = std::chrono::milliseconds(300),
                                    std::chrono::milliseconds maxGap = std::chrono::milliseconds(2000));

  // For faults: the server restarted (maybe on a new port); sockets
  // reconnect to it.
  void serverRestarted();
  // For faults: the server is down; the databases must already hold every
  // message acked so far (recorded as problems otherwise).
  void checkDiskNow(const std::string& when);
  // For faults on the client side: each socket, with probability
  // `fraction`, drops its TCP connection right after its next send, so the
  // message is usually stored but its ack never arrives; the resend after
  // the reconnect must get the original ack (and store nothing).
  void dropSocketsAfterSend(double fraction);
  // Lets traffic flow for a random time in [min, max].
  void pause(std::chrono::milliseconds min, std::chrono::milliseconds max);

  // Stops composing and waits until every socket is welcomed, has nothing
  // un-acked and has seen its room's newest message.
  ::testing::AssertionResult settle(std::chrono::seconds timeout = std::chrono::seconds(60));
  // Closes the sockets. REQUIRES: the server is stopped (or about to be).
  void stopClients();
  // The full comparison of ack logs and received messages with the room
  // databases. REQUIRES: the server has stopped.
  ChaosReport verify();

  ServerProcess& server() { return server_; }
  std::mt19937_64& rng() { return rng_; }
  const std::vector<std::string>& roomIds() const { return roomIds_; }
  int faultsInjected() const { return faults_; }

 private:
  struct Client;
  struct State;
  ChaosReport compare(bool final);

  ServerProcess& server_;
  ChaosOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::string> roomIds_;
  std::unique_ptr<State> state_;
  std::vector<std::string> diskProblems_;
  int faults_ = 0;
  std::chrono::steady_clock::time_point started_;
};

namespace faults {
// SIGKILL; the databases are checked against every ack so far; restart.
ChaosRun::Fault killAndRestart();
// SIGTERM (sockets get 1012), exit 0 expected; restart.
ChaosRun::Fault terminateAndRestart();
// SIGSTOP for `frozen`, then SIGCONT: sockets stay open, nothing may be lost.
ChaosRun::Fault freeze(std::chrono::milliseconds frozen);
// Client side: a `fraction` of the sockets drop right after a send
// (ChaosRun::dropSocketsAfterSend).
ChaosRun::Fault dropSockets(double fraction);
}  // namespace faults

}  // namespace roomchat::test
