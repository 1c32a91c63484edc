#include "auth/rate_limiter.h"

#include <gtest/gtest.h>

namespace roomchat::auth {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // a realistic epoch time in ms

TEST(TokenBucket, StartsFullThenRefusesAfterBurst) {
  TokenBucket bucket(1.0, 3.0);
  EXPECT_TRUE(bucket.full(kT0));
  EXPECT_TRUE(bucket.take(kT0));
  EXPECT_TRUE(bucket.take(kT0));
  EXPECT_TRUE(bucket.take(kT0));
  EXPECT_FALSE(bucket.take(kT0));
  EXPECT_FALSE(bucket.full(kT0));
}

TEST(TokenBucket, RefillsContinuouslyUpToBurst) {
  TokenBucket bucket(2.0, 2.0);  // one token per 500 ms
  ASSERT_TRUE(bucket.take(kT0));
  ASSERT_TRUE(bucket.take(kT0));
  EXPECT_FALSE(bucket.take(kT0 + 499));
  EXPECT_TRUE(bucket.take(kT0 + 500));
  EXPECT_FALSE(bucket.take(kT0 + 500));
  EXPECT_NEAR(bucket.tokens(kT0 + 750), 0.5, 1e-9);
  EXPECT_TRUE(bucket.full(kT0 + 60'000));
  EXPECT_DOUBLE_EQ(bucket.tokens(kT0 + 60'000), 2.0);  // never above burst
}

TEST(TokenBucket, MsUntilTokenIsExactAndHonoured) {
  TokenBucket bucket(3.0, 1.0);  // 333.33 ms per token: exercises rounding
  EXPECT_EQ(bucket.msUntilToken(kT0), 0);
  ASSERT_TRUE(bucket.take(kT0));
  int64_t wait = bucket.msUntilToken(kT0);
  EXPECT_EQ(wait, 334);
  EXPECT_FALSE(bucket.take(kT0 + wait - 1));
  EXPECT_TRUE(bucket.take(kT0 + wait - 1 + bucket.msUntilToken(kT0 + wait - 1)));
}

TEST(TokenBucket, ClockSteppingBackDoesNotRefillOrCrash) {
  TokenBucket bucket(1.0, 1.0);
  ASSERT_TRUE(bucket.take(kT0));
  EXPECT_FALSE(bucket.take(kT0 - 10'000));
  EXPECT_EQ(bucket.msUntilToken(kT0), 1000);
}

TEST(TokenBucket, ZeroRateNeverRefills) {
  TokenBucket bucket(0.0, 1.0);
  ASSERT_TRUE(bucket.take(kT0));
  EXPECT_FALSE(bucket.take(kT0 + 1'000'000'000));
  EXPECT_EQ(bucket.msUntilToken(kT0), INT64_MAX);
}

TEST(KeyedRateLimiter, AllowsBurstPerKeyThenGivesRetryAfter) {
  KeyedRateLimiter limiter(1.0 / 12.0, 5.0);  // 5 logins per minute
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.retryAfterSeconds("alice", kT0), 0);
  EXPECT_EQ(limiter.retryAfterSeconds("alice", kT0), 12);
  EXPECT_EQ(limiter.retryAfterSeconds("alice", kT0 + 11'500), 1);  // ceil, at least 1
  EXPECT_EQ(limiter.retryAfterSeconds("bob", kT0), 0);             // keys are independent
  EXPECT_EQ(limiter.retryAfterSeconds("alice", kT0 + 12'000), 0);
}

TEST(KeyedRateLimiter, RetryAfterRoundsUpToWholeSeconds) {
  KeyedRateLimiter limiter(2.0, 1.0);  // 500 ms per token
  ASSERT_EQ(limiter.retryAfterSeconds("ip", kT0), 0);
  EXPECT_EQ(limiter.retryAfterSeconds("ip", kT0), 1);
  EXPECT_EQ(limiter.retryAfterSeconds("ip", kT0 + 499), 1);
  EXPECT_EQ(limiter.retryAfterSeconds("ip", kT0 + 500), 0);
}

TEST(KeyedRateLimiter, FullBucketsArePrunedSoMemoryTracksActiveKeys) {
  KeyedRateLimiter limiter(1.0, 2.0);  // refills completely in 2 s
  int64_t now = kT0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 1000; ++i) {
      limiter.retryAfterSeconds("r" + std::to_string(round) + "-" + std::to_string(i), now);
    }
    now += 15'000;  // past the prune interval and the refill time
  }
  // 20,000 keys were seen; only the last round can still be held.
  EXPECT_LE(limiter.trackedKeys(), 1001u);
}

TEST(KeyedRateLimiter, MapIsCappedUnderAFloodOfNewKeys) {
  KeyedRateLimiter limiter(0.001, 1.0, /*maxKeys=*/100);  // nothing refills in the test
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_EQ(limiter.retryAfterSeconds("k" + std::to_string(i), kT0 + i), 0);
    ASSERT_LE(limiter.trackedKeys(), 100u);
  }
  // The most recent key is still limited: eviction keeps the emptiest buckets.
  EXPECT_GT(limiter.retryAfterSeconds("k9999", kT0 + 10'000), 0);
}

TEST(KeyedRateLimiter, PruningKeepsBucketsThatAreStillLimited) {
  KeyedRateLimiter limiter(1.0 / 60.0, 1.0);
  ASSERT_EQ(limiter.retryAfterSeconds("mallory", kT0), 0);
  // Many other keys and a prune later, mallory is still waiting.
  for (int i = 0; i < 100; ++i) limiter.retryAfterSeconds("x" + std::to_string(i), kT0 + 20'000);
  EXPECT_EQ(limiter.retryAfterSeconds("mallory", kT0 + 20'000), 40);
}

}  // namespace
}  // namespace roomchat::auth
