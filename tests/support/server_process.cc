#include "support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef ROOMCHAT_BIN
#define ROOMCHAT_BIN "roomchat"
#endif

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace roomchat::test {
namespace {

std::string makeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/roomchat-it-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return {};
  return std::string(buf.data());
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool tcpConnects(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> extraArgs, bool metricsToken)
    : extraArgs_(std::move(extraArgs)) {
  tempDir_ = makeTempDir();
  dataDir_ = tempDir_ + "/data";
  readyFile_ = tempDir_ + "/ready";
  logFile_ = tempDir_ + "/server.log";
  std::error_code ec;
  fs::create_directories(dataDir_, ec);
  if (metricsToken && !tempDir_.empty()) {
    metricsToken_ = "metrics-" + fs::path(tempDir_).filename().string() + "-token";
    metricsTokenFile_ = tempDir_ + "/metrics-token";
    std::ofstream(metricsTokenFile_) << metricsToken_ << "\n";
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  const char* keep = std::getenv("ROOMCHAT_TEST_KEEP");
  if (!tempDir_.empty() && !(keep && *keep == '1')) {
    std::error_code ec;
    fs::remove_all(tempDir_, ec);
  }
}

std::vector<std::string> ServerProcess::argv() const {
  std::vector<std::string> args = {ROOMCHAT_BIN, "serve",
                                   "--listen", "127.0.0.1:0",
                                   "--data", dataDir_,
                                   "--ready-file", readyFile_,
                                   "--password-cost", "min"};
  if (!metricsTokenFile_.empty())
    args.insert(args.end(), {"--metrics-token-file", metricsTokenFile_});
  args.insert(args.end(), extraArgs_.begin(), extraArgs_.end());
  return args;
}

::testing::AssertionResult ServerProcess::start(std::chrono::seconds timeout) {
  if (tempDir_.empty()) return ::testing::AssertionFailure() << "mkdtemp failed";
  if (pid_ > 0) return ::testing::AssertionFailure() << "server already running";
  std::error_code ec;
  fs::remove(readyFile_, ec);
  port_ = 0;

  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = argv();
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int logFd = ::open(logFile_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logFd < 0) return ::testing::AssertionFailure() << "cannot open " << logFile_;
  {
    std::string banner = "=== starting:";
    for (auto& a : args) banner += " " + a;
    banner += "\n";
    (void)!::write(logFd, banner.data(), banner.size());
  }
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(logFd);
    if (devNull >= 0) ::close(devNull);
    return ::testing::AssertionFailure() << "fork failed: " << std::strerror(errno);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (devNull >= 0) ::dup2(devNull, 0);
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(cargs[0], cargs.data());
    const char msg[] = "exec of the server binary failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(logFd);
  if (devNull >= 0) ::close(devNull);
  pid_ = pid;
  lastExit_.reset();
  return waitReady(timeout);
}

::testing::AssertionResult ServerProcess::waitReady(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      return ::testing::AssertionFailure()
             << "server exited before it was ready (exit " << lastExit_.value_or(-1)
             << "); see the server log";
    }
    std::string text = readFile(readyFile_);
    size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    int port = 0;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      port = port * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits > 0 && port > 0 && port < 65536 && tcpConnects(port)) {
      port_ = port;
      return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(20ms);
  }
  return ::testing::AssertionFailure()
         << "server not ready after " << timeout.count() << " s (ready file "
         << readyFile_ << "); see the server log";
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    lastExit_ = decodeStatus(status);
    pid_ = -1;
    return false;
  }
  return true;
}

std::optional<int> ServerProcess::waitExit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!running()) return lastExit_;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

std::optional<int> ServerProcess::terminate(std::chrono::seconds timeout) {
  if (pid_ <= 0) return lastExit_;
  ::kill(pid_, SIGTERM);
  auto code = waitExit(timeout);
  if (!code) {
    kill9();
    return std::nullopt;
  }
  return code;
}

void ServerProcess::sendSignal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> ServerProcess::waitForExit(std::chrono::seconds timeout) {
  return waitExit(timeout);
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  lastExit_ = decodeStatus(status);
  pid_ = -1;
}

::testing::AssertionResult ServerProcess::restart(std::chrono::seconds timeout) {
  if (running()) return ::testing::AssertionFailure() << "restart: server still running";
  return start(timeout);
}

std::string ServerProcess::origin() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string ServerProcess::log() const { return readFile(logFile_); }

std::string ServerProcess::sanitizerReport() const {
  // First lines of each sanitizer's reports. UBSan's has no banner, only
  // "<file>:<line>:<col>: runtime error: <what>".
  static const char* const kStarts[] = {
      "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
      "ThreadSanitizer: ",       ": runtime error: ",    "ERROR: UndefinedBehaviorSanitizer"};
  const std::string text = log();
  size_t start = std::string::npos;
  for (const char* marker : kStarts) start = std::min(start, text.find(marker));
  if (start == std::string::npos) return {};
  start = text.rfind('\n', start);
  start = start == std::string::npos ? 0 : start + 1;
  size_t end = text.find("SUMMARY: ", start);
  end = end == std::string::npos ? text.size() : text.find('\n', end);
  const size_t kMax = 30000;
  std::string report = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (report.size() > kMax) report = report.substr(0, kMax) + "\n...(cut)...";
  return report;
}

long ServerProcess::rssKiB() const {
  if (pid_ <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

std::vector<std::string> ServerProcess::openFiles() const {
  std::vector<std::string> out;
  if (pid_ <= 0) return out;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code lec;
    auto target = fs::read_symlink(it->path(), lec);
    if (!lec) out.push_back(target.string());
  }
  return out;
}

int ServerProcess::openDbFiles() const {
  int n = 0;
  for (const auto& f : openFiles()) {
    if (f.size() >= 3 && f.compare(f.size() - 3, 3, ".db") == 0) ++n;
  }
  return n;
}

int ServerProcess::openFilesContaining(const std::string& needle) const {
  int n = 0;
  for (const auto& f : openFiles()) {
    if (f.find(needle) != std::string::npos) ++n;
  }
  return n;
}

std::filesystem::path ServerProcess::roomFile(const std::string& roomId) const {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(dataDir_) / "rooms"))
    if (entry.path().filename() == roomId + ".db") return entry.path();
  return {};
}

}  // namespace roomchat::test
