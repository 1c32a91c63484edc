#include "base/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace roomchat {
namespace {

// More threads than slots, so some share one: nothing may be lost either way.
TEST(Metrics, CountsFromManyThreadsAddUpExactly) {
  Counter counter;
  Histogram histogram{Histogram::kSecondsBuckets};
  const int threads = static_cast<int>(kMetricSlots) + 4;
  const int perThread = 10000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = 0; i < perThread; ++i) {
        counter.inc();
        histogram.observe(0.0002);
      }
    });
  for (auto& t : pool) t.join();
  EXPECT_EQ(counter.value(), uint64_t(threads) * perThread);
  EXPECT_EQ(histogram.count(), uint64_t(threads) * perThread);
}

TEST(Metrics, HistogramRendersCumulativeBucketsSumAndCount) {
  Histogram h{Histogram::kSecondsBuckets};
  h.observe(0.00004);  // first bucket
  h.observe(0.003);    // le 0.005
  std::thread([&] { h.observe(10); }).join();  // +Inf, from another slot
  const std::string out = h.render("x_seconds", "help");
  EXPECT_NE(out.find("x_seconds_bucket{le=\"5e-05\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"5\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_sum 10.003040\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count 3\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace roomchat
