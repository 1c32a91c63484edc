// Measurement helpers: a latency histogram cheap enough to record every
// delivery, and readings of another process from /proc (CPU time, RSS, open
// files) and of this one (file limit).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace loadgen {

// Log-linear buckets over nanoseconds: 32 sub-buckets per power of two, so a
// reported percentile is within about 3% of the true value. Not thread-safe:
// one per thread, merged at the end.
class LatencyHistogram {
 public:
  void record(int64_t ns);
  void merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  // q in [0,1]; nanoseconds (the bucket's upper edge); 0 when empty.
  int64_t percentile(double q) const;
  // {"count", "p50_us", "p99_us", "p999_us", "max_us"}
  nlohmann::json summary() const;

 private:
  static constexpr int kSubBits = 5;
  static constexpr int kBuckets = (65 - kSubBits) << kSubBits;
  static int bucketOf(uint64_t ns);
  static int64_t upperEdge(int bucket);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

// Exact percentiles of a small sample (microseconds in, microseconds out).
nlohmann::json sampleSummary(std::vector<double> us);

// /proc readings of a process; zero when the process is gone.
struct ProcSample {
  double cpuSeconds = 0;  // utime + stime
  int64_t rssBytes = 0;   // VmRSS
};
ProcSample sampleProcess(int pid);
// Open descriptors of `pid` whose target contains `needle` (all when empty).
int countOpenFiles(int pid, const std::string& needle = "");

// Raises this process's RLIMIT_NOFILE soft limit to the hard one; returns it.
int64_t raiseFileLimit();

// Sleeps in short steps until pred() or the deadline; returns pred().
bool waitFor(const std::function<bool()>& pred, double timeoutSeconds);

double nowSeconds();            // steady clock
int64_t nowNanos();             // steady clock, the latency timestamps
std::string utcTimestamp();     // 2024-05-01T12:00:00Z

}  // namespace loadgen
