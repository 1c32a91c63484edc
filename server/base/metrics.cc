#include "base/metrics.h"

#include <iterator>

#include <cstdio>
#include <initializer_list>
#include <utility>

namespace roomchat {
namespace {

void line(std::string& out, const char* name, const char* type, const char* help, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += buf;
  out += '\n';
}

// One counter family split by an `outcome` label.
void outcomes(std::string& out, const char* name, const char* help,
              std::initializer_list<std::pair<const char*, const Counter*>> values) {
  out += std::string("# HELP ") + name + ' ' + help + "\n# TYPE " + name + " counter\n";
  for (const auto& [label, counter] : values)
    out += std::string(name) + "{outcome=\"" + label + "\"} " +
           std::to_string(counter->value()) + '\n';
}

}  // namespace

size_t metricSlot() {
  static std::atomic<size_t> nextSlot{0};
  thread_local const size_t slot = nextSlot.fetch_add(1, std::memory_order_relaxed) % kMetricSlots;
  return slot;
}

uint64_t Counter::value() const {
  uint64_t sum = 0;
  for (const auto& s : slots_) sum += s.v.load(std::memory_order_relaxed);
  return sum;
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  Slot& s = slots_[metricSlot()];
  s.counts[i].fetch_add(1, std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sumMicros.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
}

uint64_t Histogram::count() const {
  uint64_t sum = 0;
  for (const auto& s : slots_) sum += s.count.load(std::memory_order_relaxed);
  return sum;
}

std::string Histogram::render(const std::string& name, const std::string& help) const {
  std::string out = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  auto bucket = [this](size_t i) {
    uint64_t sum = 0;
    for (const auto& s : slots_) sum += s.counts[i].load(std::memory_order_relaxed);
    return sum;
  };
  uint64_t sumMicros = 0;
  for (const auto& s : slots_) sumMicros += s.sumMicros.load(std::memory_order_relaxed);
  uint64_t cumulative = 0;
  char buf[160];
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += bucket(i);
    std::snprintf(buf, sizeof buf, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(), bounds_[i],
                  static_cast<unsigned long long>(cumulative));
    out += buf;
  }
  cumulative += bucket(bounds_.size());
  std::snprintf(buf, sizeof buf, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                name.c_str(), static_cast<unsigned long long>(cumulative), name.c_str(),
                static_cast<double>(sumMicros) / 1e6, name.c_str(),
                static_cast<unsigned long long>(cumulative));
  out += buf;
  return out;
}

std::string Metrics::render(const std::function<void(std::string&)>& extra) const {
  std::string out;
  line(out, "roomchat_connections", "gauge", "Open room WebSocket connections.",
       connections.value());
  line(out, "roomchat_rooms_awake", "gauge", "Room actors in memory.", roomsAwake.value());
  line(out, "roomchat_room_files_open", "gauge", "Open room databases.", roomFilesOpen.value());
  line(out, "roomchat_rooms_woken_total", "counter", "Rooms opened from disk.",
       roomsWoken.value());
  line(out, "roomchat_rooms_hibernated_total", "counter", "Rooms closed after idling.",
       roomsHibernated.value());
  line(out, "roomchat_room_open_failures_total", "counter",
       "Room databases that could not be opened.", roomOpenFailures.value());
  line(out, "roomchat_messages_persisted_total", "counter", "Messages committed.",
       messagesPersisted.value());
  line(out, "roomchat_fanout_deliveries_total", "counter", "Frames queued to sockets by broadcasts.",
       fanoutDeliveries.value());
  line(out, "roomchat_frames_rejected_total", "counter", "Client frames answered with an error.",
       framesRejected.value());
  line(out, "roomchat_slow_consumers_closed_total", "counter",
       "Sockets closed because their outbound queue overflowed.", slowConsumersClosed.value());
  line(out, "roomchat_storage_errors_total", "counter", "Room commits that failed.",
       storageErrors.value());
  line(out, "roomchat_meta_store_errors_total", "counter",
       "Reads and writes of the meta database (meta.db) that failed.", metaStoreErrors.value());
  line(out, "roomchat_http_requests_total", "counter", "HTTP requests served.",
       httpRequests.value());
  line(out, "roomchat_uploads_accepted_total", "counter",
       "Images stored through the built-in blob store.", uploadsAccepted.value());
  line(out, "roomchat_upload_bytes_total", "counter", "Bytes of the images stored.",
       uploadBytes.value());
  out += "# HELP roomchat_uploads_refused_total Uploads the built-in store refused, by reason.\n"
         "# TYPE roomchat_uploads_refused_total counter\n";
  for (size_t i = 0; i < std::size(uploadsRefused); ++i)
    out += std::string("roomchat_uploads_refused_total{reason=\"") + kUploadRefusalNames[i] +
           "\"} " + std::to_string(uploadsRefused[i].value()) + "\n";
  line(out, "roomchat_blobs_collected_total", "counter",
       "Images removed by the garbage collector.", blobsCollected.value());
  outcomes(out, "roomchat_preview_fetches_total", "Link preview fetches by outcome.",
           {{"ok", &previewFetched}, {"fallback", &previewFallbacks}, {"refused", &previewRefused}});
  line(out, "roomchat_preview_cache_hits_total", "counter", "Link previews answered from the cache.",
       previewCacheHits.value());
  line(out, "roomchat_preview_rate_limited_total", "counter",
       "Link preview requests refused with rate_limited.", previewRateLimited.value());
  out += commitSeconds.render("roomchat_commit_seconds", "Group commit latency.");
  out += batchSize.render("roomchat_commit_batch_messages", "Messages per group commit.");
  out += roomQueueDepth.render("roomchat_room_queue_depth",
                               "Frames waiting in a room when it flushes.");
  out += httpSeconds.render("roomchat_http_request_seconds", "HTTP request latency.");
  out += wakeSeconds.render("roomchat_room_wake_seconds",
                            "Time to open a hibernated room (with the page that woke it).");
  out += checkpointSeconds.render("roomchat_checkpoint_seconds",
                                  "WAL checkpoints of room databases (work pool).");
  if (extra) extra(out);
  return out;
}

Metrics& metrics() {
  static Metrics m;
  return m;
}

}  // namespace roomchat
