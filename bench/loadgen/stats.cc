#include "stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace loadgen {

int LatencyHistogram::bucketOf(uint64_t ns) {
  if (ns < (1u << kSubBits)) return static_cast<int>(ns);
  const int top = 63 - std::countl_zero(ns);
  const int shift = top - kSubBits;
  const int sub = static_cast<int>((ns >> shift) & ((1u << kSubBits) - 1));
  return ((shift + 1) << kSubBits) + sub;
}

int64_t LatencyHistogram::upperEdge(int bucket) {
  if (bucket < (1 << kSubBits)) return bucket;
  const int shift = (bucket >> kSubBits) - 1;
  const int64_t lower = static_cast<int64_t>((1 << kSubBits) + (bucket & ((1 << kSubBits) - 1)))
                        << shift;
  return lower + (int64_t{1} << shift) - 1;
}

void LatencyHistogram::record(int64_t ns) {
  if (ns < 0) ns = 0;
  ++counts_[bucketOf(static_cast<uint64_t>(ns))];
  ++count_;
  max_ = std::max(max_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

int64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= std::max<uint64_t>(rank, 1)) return std::min(upperEdge(b), max_);
  }
  return max_;
}

nlohmann::json LatencyHistogram::summary() const {
  auto us = [](int64_t ns) { return std::round(static_cast<double>(ns) / 100.0) / 10.0; };
  return {{"count", count_},
          {"p50_us", us(percentile(0.50))},
          {"p99_us", us(percentile(0.99))},
          {"p999_us", us(percentile(0.999))},
          {"max_us", us(max_)}};
}

nlohmann::json sampleSummary(std::vector<double> us) {
  if (us.empty()) return {{"count", 0}};
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(us.size())));
    return std::round(us[std::clamp<size_t>(i, 1, us.size()) - 1] * 10) / 10;
  };
  return {{"count", us.size()}, {"p50_us", at(0.5)}, {"p99_us", at(0.99)},
          {"p999_us", at(0.999)}, {"max_us", std::round(us.back() * 10) / 10}};
}

ProcSample sampleProcess(int pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the command name, which is in parentheses and may hold spaces.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) s.rssBytes = std::stoll(line.substr(6)) * 1024;
  return s;
}

int countOpenFiles(int pid, const std::string& needle) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  int n = 0;
  char target[4096];
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (needle.empty()) { ++n; continue; }
    ssize_t len = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (len > 0 && std::string_view(target, len).find(needle) != std::string_view::npos) ++n;
  }
  closedir(d);
  return n;
}

int64_t raiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return static_cast<int64_t>(lim.rlim_cur);
}

bool waitFor(const std::function<bool()>& pred, double timeoutSeconds) {
  const double deadline = nowSeconds() + timeoutSeconds;
  while (!pred() && nowSeconds() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return pred();
}

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string utcTimestamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace loadgen
