// roomchat-room-open: what a room's wake costs in SQLite alone, through the
// server's own RoomStore: open the file (schema read, WAL index), read the
// newest 25-message page, as a cold GET does, while `K` other room files stay
// open, as awake rooms do in a server. SQLite's unix layer walks a list of
// every open database file on each open, so the cost grows with K; this shows
// by how much. Rounds alternate the K values, after one uncounted pass; CPU
// time is the thread's own.
//   roomchat-room-open --dir /dev/shm/x --wakes 300 --open 0,1000,3000 --rounds 3
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/ids.h"
#include "loadgen/stats.h"
#include "store/room_store.h"

namespace {

namespace fs = std::filesystem;
using roomchat::store::RoomStore;

constexpr int kMessages = 30;
constexpr int kPage = 25;

double threadCpuUs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

fs::path roomFile(const fs::path& dir, const std::string& kind, int i) {
  return dir / kind / (std::to_string(i) + ".db");
}

// A closed room file with a few messages, checkpointed as hibernation leaves it.
bool makeRoom(const fs::path& file) {
  auto db = RoomStore::open(file, file.stem().string(), /*create=*/true);
  if (!db.ok()) return false;
  std::vector<roomchat::model::Message> batch(kMessages);
  for (auto& m : batch) {
    m.id = roomchat::randomId();
    m.text = "a message of about the usual length, with a few words";
  }
  return (*db)->append(batch).ok() && (*db)->close().ok();
}

struct Sample {
  std::vector<double> wallUs;
  std::vector<double> cpuUs;
};

// Wakes every cold room once: open + first page, then closes it (untimed).
bool wakeAll(const fs::path& dir, int wakes, Sample& out) {
  for (int i = 0; i < wakes; ++i) {
    const auto file = roomFile(dir, "cold", i);
    const double cpu0 = threadCpuUs();
    const auto t0 = std::chrono::steady_clock::now();
    auto db = RoomStore::open(file, file.stem().string(), /*create=*/false);
    if (!db.ok() || !(*db)->before(0, kPage).ok()) return false;
    out.wallUs.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    out.cpuUs.push_back(threadCpuUs() - cpu0);
    if (!(*db)->close().ok()) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"roomchat-room-open: SQLite's share of a room's wake"};
  std::string dir;
  int wakes = 300, rounds = 3;
  std::vector<int> openCounts{0, 1000, 3000};
  app.add_option("--dir", dir, "scratch folder (tmpfs recommended)")->required();
  app.add_option("--wakes", wakes, "cold rooms woken per measurement");
  app.add_option("--open", openCounts, "other room files held open")->delimiter(',');
  app.add_option("--rounds", rounds, "rounds over the --open values");
  CLI11_PARSE(app, argc, argv);

  const fs::path root(dir);
  const int most = *std::max_element(openCounts.begin(), openCounts.end());
  for (const auto* kind : {"cold", "awake"}) fs::create_directories(root / kind);
  for (int i = 0; i < wakes; ++i)
    if (!makeRoom(roomFile(root, "cold", i))) return std::fprintf(stderr, "setup failed\n"), 1;
  for (int i = 0; i < most; ++i)
    if (!makeRoom(roomFile(root, "awake", i))) return std::fprintf(stderr, "setup failed\n"), 1;

  std::vector<Sample> samples(openCounts.size());
  std::vector<std::unique_ptr<RoomStore>> awake;
  Sample warmup;  // the first pass pays for fresh heap and cold caches: not counted
  if (!wakeAll(root, wakes, warmup)) return std::fprintf(stderr, "wake failed\n"), 1;
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < openCounts.size(); ++k) {
      awake.resize(std::min<size_t>(awake.size(), openCounts[k]));
      while (static_cast<int>(awake.size()) < openCounts[k]) {
        const auto file = roomFile(root, "awake", static_cast<int>(awake.size()));
        awake.push_back(std::move(RoomStore::open(file, file.stem().string(), false).value()));
      }
      if (!wakeAll(root, wakes, samples[k])) return std::fprintf(stderr, "wake failed\n"), 1;
    }
  }

  nlohmann::json out = nlohmann::json::array();
  for (size_t k = 0; k < openCounts.size(); ++k) {
    out.push_back({{"open_rooms", openCounts[k]},
                   {"wall", loadgen::sampleSummary(samples[k].wallUs)},
                   {"thread_cpu", loadgen::sampleSummary(samples[k].cpuUs)}});
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
