// Fuzzes proto::parseClientFrame, the parser every WebSocket text frame from a
// client goes through, and the UTF-8 helpers it is built on. Promises checked
// for every input (the raw bytes are the frame's text):
//  - the parser answers a ClientFrame or a FrameError and never crashes,
//    throws, leaks or trips ASan/UBSan;
//  - a ClientFrame holds only what the contract allows: valid UTF-8 strings
//    within proto::Limits, ids and seqs in range, trimmed texts, blob keys;
//  - a FrameError has one of the contract's codes and serializes as an error
//    frame (which is what RoomSocket sends back);
//  - utf8Length agrees with nlohmann's own UTF-8 check, and trimText and
//    utf8Prefix keep valid text valid.
// Each input is parsed under the default limits and under tiny ones, so the
// limit boundaries are reached by short inputs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "check.h"
#include "proto/client_frames.h"
#include "proto/server_frames.h"

namespace {

using namespace roomchat;
using nlohmann::json;

// nlohmann's serializer validates UTF-8 on its own (Hoehrmann's decoder): an
// independent opinion on what utf8Length must accept.
bool nlohmannAcceptsUtf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

void checkString(const std::string& s, size_t minChars, size_t maxChars, const char* what) {
  std::optional<size_t> chars = proto::utf8Length(s);
  FUZZ_CHECK(chars.has_value(), what);
  FUZZ_CHECK(*chars >= minChars && *chars <= maxChars, what);
}

// Message text: trimmed, 1..maxTextChars code points.
void checkText(const std::string& s, const proto::Limits& limits, const char* what) {
  checkString(s, 1, limits.maxTextChars, what);
  FUZZ_CHECK(proto::trimText(s) == s, what);
}

void checkFrame(const proto::ClientFrame& frame, const proto::Limits& limits) {
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, proto::Hello>) {
          FUZZ_CHECK(!f.lastSeq || *f.lastSeq >= 0, "hello.lastSeq");
        } else if constexpr (std::is_same_v<T, proto::Send>) {
          checkString(f.clientId, 1, limits.maxClientIdChars, "send.clientId");
          if (f.kind == model::MessageKind::kText) {
            FUZZ_CHECK(f.text.has_value(), "send text without text");
            FUZZ_CHECK(f.images.empty(), "send text with images");
          } else {
            FUZZ_CHECK(!f.images.empty() && f.images.size() <= limits.maxImages, "send.images");
            for (const std::string& key : f.images) FUZZ_CHECK(proto::isBlobKey(key), "image key");
          }
          if (f.text) checkText(*f.text, limits, "send.text");
          FUZZ_CHECK(!f.replyToSeq || *f.replyToSeq >= 1, "send.replyToSeq");
        } else if constexpr (std::is_same_v<T, proto::History>) {
          FUZZ_CHECK(f.beforeSeq >= 1, "history.beforeSeq");
          FUZZ_CHECK(f.limit >= 1 && f.limit <= limits.maxHistoryLimit, "history.limit");
        } else if constexpr (std::is_same_v<T, proto::Edit>) {
          FUZZ_CHECK(f.seq >= 1, "edit.seq");
          checkText(f.text, limits, "edit.text");
        } else if constexpr (std::is_same_v<T, proto::Delete>) {
          FUZZ_CHECK(f.seq >= 1, "delete.seq");
        } else if constexpr (std::is_same_v<T, proto::Status>) {
          FUZZ_CHECK(f.user || f.screen, "status without fields");
          FUZZ_CHECK(!f.user || *f.user == "active" || *f.user == "idle", "status.user");
          FUZZ_CHECK(!f.screen || *f.screen == "locked" || *f.screen == "unlocked",
                     "status.screen");
        } else if constexpr (std::is_same_v<T, proto::CallUpdate>) {
          if (f.sessionId) checkString(*f.sessionId, 1, 128, "callUpdate.sessionId");
          if (f.trackName) checkString(*f.trackName, 1, 128, "callUpdate.trackName");
        } else if constexpr (std::is_same_v<T, proto::CallSignal>) {
          checkString(f.to, 1, 64, "callSignal.to");
          // Relayed verbatim to another client: it must be one valid JSON object.
          FUZZ_CHECK(proto::utf8Length(f.payloadJson).has_value(), "callSignal.payload utf8");
          json payload = json::parse(f.payloadJson, nullptr, false);
          FUZZ_CHECK(!payload.is_discarded() && payload.is_object(), "callSignal.payload");
        }
      },
      frame);
}

void checkError(const proto::FrameError& error, std::string_view input) {
  FUZZ_CHECK(error.code == "bad_frame" || error.code == "unknown_type" ||
                 error.code == "invalid_field" || error.code == "too_long",
             "error code");
  FUZZ_CHECK(proto::utf8Length(error.message).has_value(), "error message utf8");
  if (error.clientId) {
    FUZZ_CHECK(proto::utf8Length(*error.clientId).has_value(), "echoed clientId utf8");
    FUZZ_CHECK(error.clientId->size() <= input.size(), "echoed clientId size");
  }
  // The answer RoomSocket sends must itself be a well-formed error frame.
  json sent = json::parse(proto::errorFrame(error.code, error.message, error.clientId), nullptr,
                          false);
  FUZZ_CHECK(!sent.is_discarded() && sent.value("type", "") == "error", "error frame");
}

void parseAndCheck(std::string_view input, const proto::Limits& limits) {
  proto::ParseResult result = proto::parseClientFrame(input, limits);
  if (const auto* frame = std::get_if<proto::ClientFrame>(&result)) {
    checkFrame(*frame, limits);
  } else {
    checkError(std::get<proto::FrameError>(result), input);
  }
}

void checkUtf8Helpers(const std::string& s) {
  std::optional<size_t> chars = proto::utf8Length(s);
  FUZZ_CHECK(chars.has_value() == nlohmannAcceptsUtf8(s), "utf8Length disagrees with nlohmann");
  if (!chars) return;
  std::string trimmed = proto::trimText(s);
  FUZZ_CHECK(proto::utf8Length(trimmed).has_value(), "trimText broke UTF-8");
  FUZZ_CHECK(s.find(trimmed) != std::string::npos, "trimText is not a substring");
  FUZZ_CHECK(proto::trimText(trimmed) == trimmed, "trimText not idempotent");
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, *chars / 2, *chars}) {
    std::string prefix = proto::utf8Prefix(s, n);
    std::optional<size_t> prefixChars = proto::utf8Length(prefix);
    FUZZ_CHECK(prefixChars && *prefixChars == std::min(n, *chars), "utf8Prefix length");
    FUZZ_CHECK(s.compare(0, prefix.size(), prefix) == 0, "utf8Prefix is not a prefix");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  parseAndCheck(input, proto::Limits{});
  proto::Limits tiny;
  tiny.maxTextChars = 5;
  tiny.maxImages = 2;
  tiny.maxClientIdChars = 4;
  tiny.maxHistoryLimit = 3;
  parseAndCheck(input, tiny);
  checkUtf8Helpers(std::string(input));
  return 0;
}
