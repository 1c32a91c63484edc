#include "blob/read_cache.h"

#include <gtest/gtest.h>

namespace roomchat::blob {
namespace {

ReadCache::Entry entryOf(size_t n) {
  return {std::make_shared<const std::string>(n, 'x'), "image/png"};
}

TEST(ReadCache, AGrantIsPerSessionAndExpires) {
  ReadCache cache(1000, 100);
  cache.remember("s1", "k", entryOf(10), 0);
  ASSERT_TRUE(cache.lookup("s1", "k", 99));
  EXPECT_EQ(cache.lookup("s1", "k", 99)->bytes->size(), 10u);
  EXPECT_FALSE(cache.lookup("s2", "k", 1)) << "another session was never granted it";
  EXPECT_FALSE(cache.lookup("s1", "k", 100)) << "the grant expired";
  EXPECT_FALSE(cache.lookup("s1", "other", 1));
}

TEST(ReadCache, BytesAreBoundedAndTheLeastRecentlyReadGoFirst) {
  ReadCache cache(100, 1000);
  cache.remember("s", "a", entryOf(25), 0);
  cache.remember("s", "b", entryOf(25), 0);
  cache.remember("s", "c", entryOf(25), 0);
  ASSERT_TRUE(cache.lookup("s", "a", 1));  // a is now the most recent
  cache.remember("s", "d", entryOf(25), 0);
  cache.remember("s", "e", entryOf(25), 0);  // over 100: b goes
  EXPECT_TRUE(cache.lookup("s", "a", 1));
  EXPECT_FALSE(cache.lookup("s", "b", 1));
  EXPECT_TRUE(cache.lookup("s", "e", 1));
  cache.remember("s", "huge", entryOf(26), 0);  // over a quarter: granted, not held
  EXPECT_FALSE(cache.lookup("s", "huge", 1));
}

}  // namespace
}  // namespace roomchat::blob
