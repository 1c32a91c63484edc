// Password hashing with argon2id (libsodium's crypto_pwhash_str). The stored
// string carries its own parameters and salt, so costs can be raised later
// without invalidating existing hashes. Hashing is deliberately slow (tens of
// milliseconds): call it on the work pool, never on an io thread.
#pragma once

#include <string>
#include <string_view>

namespace roomchat::auth {

struct PasswordCost {
  unsigned long long opsLimit = 2;          // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t memLimitBytes = 64ull << 20;       // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

// The cheapest cost libsodium allows: only for tests and benchmarks.
PasswordCost minimalPasswordCost();

// Returns an empty string when hashing fails (out of memory, or a cost outside
// libsodium's limits); verifyPassword never accepts an empty hash.
std::string hashPassword(std::string_view password, const PasswordCost& cost);
// Constant-time; false for a malformed hash.
bool verifyPassword(std::string_view storedHash, std::string_view password);

}  // namespace roomchat::auth
