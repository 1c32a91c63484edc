#include "proto/cursor.h"

#include <sodium.h>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/ids.h"
#include "proto/json_text.h"

namespace roomchat::proto {
namespace {

using nlohmann::json;

// Far above any cursor encode produces (~120 chars), far below anything costly.
constexpr size_t kMaxCursorChars = 512;
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

bool sodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string base64url(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), kVariant);
  out.resize(out.size() - 1);  // the encoder's NUL terminator
  return out;
}

bool isBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

// The JSON array inside a cursor, or nullopt when the text is not a
// base64url-encoded JSON array.
std::optional<json> decodeArray(std::string_view cursor) {
  if (!sodiumReady() || cursor.empty() || cursor.size() > kMaxCursorChars) return std::nullopt;
  if (!std::all_of(cursor.begin(), cursor.end(), isBase64UrlChar)) return std::nullopt;
  std::vector<unsigned char> bytes(cursor.size());
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(bytes.data(), bytes.size(), cursor.data(), cursor.size(), nullptr,
                        &length, &end, kVariant) != 0 ||
      end != cursor.data() + cursor.size()) {
    return std::nullopt;
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), length);
  if (!nestingWithin(text, 2)) return std::nullopt;
  json array = json::parse(text, nullptr, false);
  if (array.is_discarded() || !array.is_array()) return std::nullopt;
  return array;
}

// A JSON integer (not a float, not a string) that fits in int64.
std::optional<int64_t> asInt64(const json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

std::optional<model::Keyset> keysetOf(const json& array) {
  if (array.size() != 2 || !array[1].is_string()) return std::nullopt;
  std::optional<int64_t> at = asInt64(array[0]);
  const std::string& id = array[1].get_ref<const std::string&>();
  if (!at || *at < 0 || !isValidId(id)) return std::nullopt;
  return model::Keyset{*at, id};
}

}  // namespace

std::string encodeCursor(const model::Keyset& key) {
  return base64url(dumpSafe(json::array({key.at, key.id})));
}

std::string encodeSeqCursor(int64_t seq) { return base64url(dumpSafe(json::array({seq}))); }

// Strict: besides the checks, the cursor must be exactly what encode makes of
// the decoded value, so no second spelling (spaces, "1.0", other padding bits)
// of a cursor is ever accepted.
std::optional<model::Keyset> decodeKeysetCursor(std::string_view cursor) {
  std::optional<json> array = decodeArray(cursor);
  if (!array) return std::nullopt;
  std::optional<model::Keyset> key = keysetOf(*array);
  if (!key || encodeCursor(*key) != cursor) return std::nullopt;
  return key;
}

std::optional<int64_t> decodeSeqCursor(std::string_view cursor) {
  std::optional<json> array = decodeArray(cursor);
  if (!array || array->size() != 1) return std::nullopt;
  std::optional<int64_t> seq = asInt64((*array)[0]);
  if (!seq || *seq < 1 || encodeSeqCursor(*seq) != cursor) return std::nullopt;
  return seq;
}

}  // namespace roomchat::proto
