#include "auth/password.h"

#include <sodium.h>

namespace roomchat::auth {
namespace {

// sodium_init() is itself thread-safe; the static makes it a one-time cost.
bool sodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// libsodium reads the password through a pointer even when it is empty.
const char* bytes(std::string_view s) { return s.empty() ? "" : s.data(); }

}  // namespace

PasswordCost minimalPasswordCost() {
  return PasswordCost{crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

std::string hashPassword(std::string_view password, const PasswordCost& cost) {
  if (!sodiumReady()) return {};
  char out[crypto_pwhash_STRBYTES];
  int rc = crypto_pwhash_str_alg(out, bytes(password), password.size(), cost.opsLimit,
                                 cost.memLimitBytes, crypto_pwhash_ALG_ARGON2ID13);
  if (rc != 0) return {};  // out of memory, or a cost outside libsodium's limits
  return std::string(out);
}

bool verifyPassword(std::string_view storedHash, std::string_view password) {
  if (!sodiumReady()) return false;
  // libsodium wants a NUL-terminated string that fits its buffer: anything
  // else cannot be one of our hashes.
  if (storedHash.empty() || storedHash.size() >= crypto_pwhash_STRBYTES ||
      storedHash.find('\0') != std::string_view::npos) {
    return false;
  }
  std::string terminated(storedHash);
  return crypto_pwhash_str_verify(terminated.c_str(), bytes(password), password.size()) == 0;
}

}  // namespace roomchat::auth
