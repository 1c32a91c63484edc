// ServerProcess owns one running `roomchat serve` child process started from
// the real binary (ROOMCHAT_BIN) on 127.0.0.1 with an OS-chosen port and a
// fresh temporary data folder. It promises that the child never outlives it:
// the destructor kills the child by PID (SIGKILL) and reaps it, and the child
// itself is set to die with the test process (PR_SET_PDEATHSIG).
//
// The child's stdout and stderr go to <tempdir>/server.log; log() returns it
// so a failing test can print it. restart() starts the same binary again with
// the same data folder and the same arguments (on a new port).
//
// In a sanitizer build the server runs sanitized too (it is the binary of the
// same build folder, and inherits ASAN_OPTIONS & co.). Its reports land in
// server.log, not in the test's output, and a report in the server need not
// break the request that caused it; sanitizerReport() finds them so that the
// fixture can fail the test with the report.
//
// Not thread-safe: use one ServerProcess from the thread that created it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace roomchat::test {

class ServerProcess {
 public:
  // extraArgs are appended after the fixed ones (--listen, --data, ...).
  // With metricsToken the server gets --metrics-token-file with a token of
  // its own (metricsToken()); without, /metrics is not served.
  explicit ServerProcess(std::vector<std::string> extraArgs = {}, bool metricsToken = true);
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the child and waits (up to `timeout`) until its ready file holds
  // the bound port and the port accepts a TCP connection.
  ::testing::AssertionResult start(std::chrono::seconds timeout = std::chrono::seconds(30));

  // SIGTERM, then waits up to `timeout` for the exit. Returns the exit code
  // (128+signal when killed by a signal); nullopt when it did not exit in
  // time (it is then SIGKILLed).
  std::optional<int> terminate(std::chrono::seconds timeout = std::chrono::seconds(20));
  // Sends a signal without waiting; waitForExit() then reaps.
  void sendSignal(int sig);
  std::optional<int> waitForExit(std::chrono::seconds timeout = std::chrono::seconds(20));
  // SIGKILL and reap.
  void kill9();
  // Same data folder, same arguments. REQUIRES: the child is not running.
  ::testing::AssertionResult restart(std::chrono::seconds timeout = std::chrono::seconds(30));

  bool running();  // reaps the child if it exited
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string origin() const;  // "http://127.0.0.1:<port>"
  const std::string& dataDir() const { return dataDir_; }
  // The room's database file under dataDir()/rooms (its -wal and -shm lie
  // beside it); empty when there is none.
  std::filesystem::path roomFile(const std::string& roomId) const;
  const std::string& tempDir() const { return tempDir_; }
  // The bearer token /metrics wants ("" when started without one).
  const std::string& metricsToken() const { return metricsToken_; }
  std::string log() const;  // whole server.log
  // The first sanitizer report (ASan, LSan, UBSan, TSan) in server.log, from
  // its first line to the end of its SUMMARY line; empty when there is none.
  std::string sanitizerReport() const;

  // True when this test binary, and hence the server next to it, was built
  // with ASan or TSan.
  static constexpr bool kSanitized =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
      true;
#else
      false;
#endif

  // Inspection of the live child through /proc/<pid>.
  long rssKiB() const;                       // VmRSS, -1 when unknown
  std::vector<std::string> openFiles() const;  // link targets of /proc/<pid>/fd/*
  int openDbFiles() const;                   // links ending with ".db"
  int openFilesContaining(const std::string& needle) const;

 private:
  std::vector<std::string> argv() const;
  ::testing::AssertionResult waitReady(std::chrono::seconds timeout);
  std::optional<int> waitExit(std::chrono::milliseconds timeout);

  std::vector<std::string> extraArgs_;
  std::string tempDir_;
  std::string dataDir_;
  std::string readyFile_;
  std::string logFile_;
  std::string metricsToken_;
  std::string metricsTokenFile_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::optional<int> lastExit_;
};

}  // namespace roomchat::test
