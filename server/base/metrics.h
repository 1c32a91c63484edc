// Process-wide metrics, rendered in Prometheus text format at /metrics.
// Every instrument is lock-free and safe to touch from any thread. Counters
// and histograms are on every message's path, on every io thread at once: so
// each thread adds to a slot of its own (a cache line apart from the others'),
// and a scrape sums the slots. One shared atomic would bounce its cache line
// between cores on every message.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace roomchat {

// Slots per instrument; threads beyond it share slots (still correct).
inline constexpr size_t kMetricSlots = 16;
// The calling thread's slot, fixed for its life.
size_t metricSlot();

class Counter {
 public:
  void inc(uint64_t n = 1) { slots_[metricSlot()].v.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const;

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> v{0};
  };
  std::array<Slot, kMetricSlots> slots_{};
};

class Gauge {
 public:
  void add(int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Fixed buckets; observations in the unit the name says (seconds or count).
class Histogram {
 public:
  static constexpr std::array<double, 14> kSecondsBuckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01,    0.025,  0.05,    0.1,    0.25,  1.0,   5.0};
  static constexpr std::array<double, 14> kCountBuckets = {
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};

  explicit Histogram(const std::array<double, 14>& bounds) : bounds_(bounds) {}
  void observe(double v);
  uint64_t count() const;
  std::string render(const std::string& name, const std::string& help) const;

 private:
  struct alignas(64) Slot {
    std::array<std::atomic<uint64_t>, 15> counts{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sumMicros{0};  // sum * 1e6, kept integral for atomics
  };
  const std::array<double, 14>& bounds_;
  std::array<Slot, kMetricSlots> slots_{};
};

// Why the built-in store refused an upload (the label of roomchat_uploads_refused_total).
enum class UploadRefusal { kSignature, kExpired, kTooLarge, kHash, kType };
inline constexpr const char* kUploadRefusalNames[] = {"signature", "expired", "too_large",
                                                       "hash_mismatch", "type_mismatch"};

struct Metrics {
  Gauge connections;           // open room WebSockets
  Gauge roomsAwake;            // room actors in memory
  Gauge roomFilesOpen;         // open room databases
  Counter roomsWoken;
  Counter roomsHibernated;
  Counter roomOpenFailures;    // a room database that could not be opened
  Counter messagesPersisted;
  Counter fanoutDeliveries;    // frames queued to sockets by broadcasts
  Counter framesRejected;      // client frames answered with an error
  Counter slowConsumersClosed;
  Counter storageErrors;       // failed room commits
  Counter metaStoreErrors;     // meta.db reads and writes that failed (store::MetaStore)
  Counter httpRequests;
  Counter uploadsAccepted;     // images stored through the built-in store
  Counter uploadBytes;         // their bytes
  Counter uploadsRefused[5];   // by UploadRefusal
  Counter blobsCollected;      // removed by the garbage collector
  // Link previews (preview/): fetches by outcome, cache hits, refusals to fetch.
  Counter previewFetched;      // a page or file read and described
  Counter previewFallbacks;    // upstream failed: the stand-in preview was answered
  Counter previewRefused;      // the target (or a redirect) was not a public address
  Counter previewCacheHits;
  Counter previewRateLimited;  // per-user limit or too many fetches at once
  Histogram commitSeconds{Histogram::kSecondsBuckets};   // group commit time
  Histogram batchSize{Histogram::kCountBuckets};         // messages per group commit
  Histogram roomQueueDepth{Histogram::kCountBuckets};    // frames waiting when a room flushes
  Histogram httpSeconds{Histogram::kSecondsBuckets};
  Histogram wakeSeconds{Histogram::kSecondsBuckets};     // opening a hibernated room
  Histogram checkpointSeconds{Histogram::kSecondsBuckets};  // WAL checkpoints, off the strands

  // `extra` appends gauges computed at scrape time (e.g. rooms on disk).
  std::string render(const std::function<void(std::string&)>& extra = {}) const;
};

Metrics& metrics();

}  // namespace roomchat
