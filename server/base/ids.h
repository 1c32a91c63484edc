// Identifiers and time. Random ids come from libsodium's CSPRNG.
// - randomId(): 26 lowercase base32 chars (130 bits): rooms, users, stickers.
//   Lowercase only, so ids are safe as file names on case-insensitive disks.
// - randomToken(): 43 base64url chars (256 bits): session and invite tokens.
// - uuidV7(): time-ordered RFC 9562 UUID, the public id of a message.
// - sha256Hex(): lowercase hex digest; tokens are stored only as this hash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace roomchat {

std::string randomId();
std::string randomToken();
std::string uuidV7(int64_t unixMs);
std::string sha256Hex(std::string_view data);

// Milliseconds since the Unix epoch, the wire's time unit.
int64_t nowMs();

// True when s is a blob key: 64 lowercase hex chars (a SHA-256).
bool isBlobKey(std::string_view s);

// True when s is 1..64 chars of [A-Za-z0-9_-] (API.md's id alphabet).
bool isValidId(std::string_view s);

}  // namespace roomchat
