#include "auth/password.h"

#include <gtest/gtest.h>

namespace roomchat::auth {
namespace {

TEST(Password, HashThenVerifyRoundTrips) {
  std::string hash = hashPassword("correct horse battery staple", minimalPasswordCost());
  ASSERT_FALSE(hash.empty());
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(verifyPassword(hash, "correct horse battery staple"));
}

TEST(Password, WrongPasswordIsRefused) {
  std::string hash = hashPassword("hunter22", minimalPasswordCost());
  EXPECT_FALSE(verifyPassword(hash, "hunter23"));
  EXPECT_FALSE(verifyPassword(hash, ""));
  EXPECT_FALSE(verifyPassword(hash, "hunter22 "));
}

TEST(Password, MalformedHashIsRefusedNotCrashed) {
  EXPECT_FALSE(verifyPassword("", "x"));
  EXPECT_FALSE(verifyPassword("not a hash", "x"));
  EXPECT_FALSE(verifyPassword("$argon2id$v=19$m=8,t=1,p=1$", "x"));
  EXPECT_FALSE(verifyPassword(std::string(1000, '$'), "x"));
  std::string hash = hashPassword("pw", minimalPasswordCost());
  EXPECT_FALSE(verifyPassword(hash.substr(0, hash.size() - 4), "pw"));
  std::string withNul = hash;
  withNul.insert(5, 1, '\0');
  EXPECT_FALSE(verifyPassword(withNul, "pw"));
}

TEST(Password, SamePasswordHashesDifferently) {
  std::string a = hashPassword("same password", minimalPasswordCost());
  std::string b = hashPassword("same password", minimalPasswordCost());
  EXPECT_NE(a, b);  // a fresh salt each time
  EXPECT_TRUE(verifyPassword(a, "same password"));
  EXPECT_TRUE(verifyPassword(b, "same password"));
}

TEST(Password, EmptyAndBinaryPasswordsWork) {
  std::string empty = hashPassword("", minimalPasswordCost());
  EXPECT_TRUE(verifyPassword(empty, ""));
  std::string binary("a\0b", 3);
  std::string hash = hashPassword(binary, minimalPasswordCost());
  EXPECT_TRUE(verifyPassword(hash, binary));
  EXPECT_FALSE(verifyPassword(hash, "a"));
}

TEST(Password, CostBelowLibsodiumMinimumFailsWithEmptyHash) {
  PasswordCost tooCheap{0, 1024};
  EXPECT_EQ(hashPassword("pw", tooCheap), "");
}

}  // namespace
}  // namespace roomchat::auth
