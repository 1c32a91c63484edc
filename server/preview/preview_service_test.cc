// PreviewService with a counting fetch function and a hand-moved clock: the
// cache (hits, TTLs, LRU order), the per-user limit, single flight and the
// cap on concurrent fetches. The real fetch is tested in link_preview_test.cc.
#include "preview/preview_service.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/metrics.h"

namespace roomchat::preview {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kT0 = 1'700'000'000'000;

class PreviewServiceTest : public ::testing::Test {
 protected:
  PreviewOptions generous() {
    PreviewOptions o;
    o.perMinute = 6000;
    o.burst = 1000;
    return o;
  }

  std::unique_ptr<PreviewService> make(PreviewOptions o) {
    return std::make_unique<PreviewService>(
        o,
        [this](const CheckedUrl& url) -> Result<LinkPreview> {
          ++fetches_;
          if (url.host == "refused.example") return makeError("forbidden_target", "no");
          LinkPreview p{url.url, "title of " + url.url, "", std::nullopt, ContentKind::kHtml};
          p.fallback = url.host == "down.example";
          return p;
        },
        [this] { return now_.load(); });
  }

  std::atomic<int> fetches_{0};
  std::atomic<int64_t> now_{kT0};
};

TEST_F(PreviewServiceTest, ASecondAskIsAnsweredFromTheCache) {
  auto s = make(generous());
  const uint64_t hits = metrics().previewCacheHits.value();
  auto a = s->get("ann", "https://example.com/a");
  auto b = s->get("bob", "https://example.com/a#other-fragment");
  ASSERT_TRUE(a.result.ok() && b.result.ok());
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(b.result->title, a.result->title);
  EXPECT_EQ(b.result->url, "https://example.com/a#other-fragment");  // as asked
  EXPECT_EQ(metrics().previewCacheHits.value(), hits + 1);
}

TEST_F(PreviewServiceTest, PreviewsExpireAfterTheirTtlAndFailuresSooner) {
  auto s = make(generous());
  (void)s->get("ann", "https://example.com/");
  (void)s->get("ann", "https://down.example/");
  (void)s->get("ann", "https://refused.example/");
  ASSERT_EQ(fetches_, 3);
  now_ += std::chrono::milliseconds(5min).count() + 1;  // past the failure TTL only
  (void)s->get("ann", "https://example.com/");
  EXPECT_EQ(fetches_, 3);
  (void)s->get("ann", "https://down.example/");
  (void)s->get("ann", "https://refused.example/");
  EXPECT_EQ(fetches_, 5);
  now_ += std::chrono::milliseconds(1h).count();
  (void)s->get("ann", "https://example.com/");
  EXPECT_EQ(fetches_, 6);
}

TEST_F(PreviewServiceTest, TheLeastRecentlyUsedEntryIsEvicted) {
  PreviewOptions o = generous();
  o.cacheEntries = 2;
  auto s = make(o);
  (void)s->get("ann", "https://example.com/1");
  (void)s->get("ann", "https://example.com/2");
  (void)s->get("ann", "https://example.com/1");  // 1 is now the most recent
  (void)s->get("ann", "https://example.com/3");  // evicts 2
  ASSERT_EQ(fetches_, 3);
  (void)s->get("ann", "https://example.com/1");
  EXPECT_EQ(fetches_, 3);
  (void)s->get("ann", "https://example.com/2");
  EXPECT_EQ(fetches_, 4);
}

TEST_F(PreviewServiceTest, RefusalsAndBadUrlsAreErrors) {
  auto s = make(generous());
  auto refused = s->get("ann", "https://refused.example/");
  ASSERT_FALSE(refused.result.ok());
  EXPECT_EQ(refused.result.error().code, "forbidden_target");
  auto bad = s->get("ann", "ftp://example.com/");
  ASSERT_FALSE(bad.result.ok());
  EXPECT_EQ(bad.result.error().code, "bad_url");
  EXPECT_EQ(fetches_, 1);
}

TEST_F(PreviewServiceTest, EachUserHasARateLimit) {
  PreviewOptions o = generous();
  o.perMinute = 30;
  o.burst = 3;
  auto s = make(o);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(s->get("ann", "https://example.com/").result.ok());
  auto limited = s->get("ann", "https://example.com/");
  ASSERT_FALSE(limited.result.ok());
  EXPECT_EQ(limited.result.error().code, "rate_limited");
  EXPECT_GE(limited.retryAfterSeconds, 1);
  EXPECT_TRUE(s->get("bob", "https://example.com/").result.ok());  // others are not held up
  now_ += 2000;                                                     // one token per 2 s
  EXPECT_TRUE(s->get("ann", "https://example.com/").result.ok());
}

TEST_F(PreviewServiceTest, ConcurrentAsksForOneUrlMakeOneFetch) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> fetches{0};
  PreviewService s(
      generous(),
      [&](const CheckedUrl& url) -> Result<LinkPreview> {
        ++fetches;
        released.wait();
        return LinkPreview{url.url, "t", "", std::nullopt, ContentKind::kHtml};
      },
      [] { return kT0; });
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      ok += s.get("user" + std::to_string(i), "https://example.com/same").result.ok();
    });
  std::this_thread::sleep_for(100ms);  // let them all join the flight (or the cache after it)
  release.set_value();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(fetches, 1);
}

TEST_F(PreviewServiceTest, FetchesBeyondTheConcurrencyCapAreTurnedAway) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  PreviewOptions o = generous();
  o.maxConcurrentFetches = 1;
  PreviewService s(
      o,
      [&](const CheckedUrl& url) -> Result<LinkPreview> {
        started.set_value();
        released.wait();
        return LinkPreview{url.url, "t", "", std::nullopt, ContentKind::kHtml};
      },
      [] { return kT0; });
  std::thread slow([&] { EXPECT_TRUE(s.get("ann", "https://example.com/slow").result.ok()); });
  started.get_future().wait();
  auto busy = s.get("bob", "https://example.com/other");
  release.set_value();
  slow.join();
  ASSERT_FALSE(busy.result.ok());
  EXPECT_EQ(busy.result.error().code, "rate_limited");
  EXPECT_EQ(busy.retryAfterSeconds, 1);
}

TEST_F(PreviewServiceTest, AFetchThatThrowsEndsItsFlightAndIsNotCached) {
  int calls = 0;
  PreviewService s(
      generous(),
      [&](const CheckedUrl& url) -> Result<LinkPreview> {
        if (++calls == 1) throw std::bad_alloc();
        return LinkPreview{url.url, "t", "", std::nullopt, ContentKind::kHtml};
      },
      [] { return kT0; });
  auto first = s.get("ann", "https://example.com/");
  ASSERT_FALSE(first.result.ok());
  EXPECT_EQ(first.result.error().code, "internal");
  EXPECT_TRUE(s.get("ann", "https://example.com/").result.ok());
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace roomchat::preview
