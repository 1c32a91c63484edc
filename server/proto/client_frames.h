// Frames a client sends on the room WebSocket (API.md §3.2), parsed and
// validated before they reach a room: a room only ever sees well-formed,
// in-range values. Parsing is pure and runs on the connection's strand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/ids.h"
#include "model/types.h"

namespace roomchat::proto {

struct Limits {
  size_t maxTextChars = 4000;   // after trimming, in Unicode code points
  size_t maxImages = 10;
  size_t maxClientIdChars = 64;
  int maxHistoryLimit = 100;
};

struct Hello { std::optional<int64_t> lastSeq; };
struct Send {
  std::string clientId;
  model::MessageKind kind = model::MessageKind::kText;
  std::optional<std::string> text;   // trimmed, 1..maxTextChars
  std::vector<std::string> images;   // 64-hex blob keys, 1..maxImages
  std::optional<int64_t> replyToSeq;
};
struct History { int64_t beforeSeq = 0; int limit = 25; };
struct Edit { int64_t seq = 0; std::string text; };
struct Delete { int64_t seq = 0; };
struct Status {
  std::optional<std::string> user;    // "active" | "idle"
  std::optional<std::string> screen;  // "locked" | "unlocked"
};
struct Typing { bool active = false; };
struct CallJoin {};
struct CallUpdate {
  std::optional<std::string> sessionId;
  std::optional<std::string> trackName;
  std::optional<bool> muted;
};
struct CallLeave {};
struct CallSignal { std::string to; std::string payloadJson; };  // payload kept verbatim
struct Ping {};

using ClientFrame = std::variant<Hello, Send, History, Edit, Delete, Status, Typing, CallJoin,
                                 CallUpdate, CallLeave, CallSignal, Ping>;

// Why a frame was refused: `code` is one of API.md's error frame codes
// (bad_frame, unknown_type, invalid_field, too_long); clientId is echoed when
// the frame carried a readable one, so the sender can fail that message.
struct FrameError {
  std::string code;
  std::string message;
  std::optional<std::string> clientId;
};

using ParseResult = std::variant<ClientFrame, FrameError>;

ParseResult parseClientFrame(std::string_view text, const Limits& limits = {});

// Trims Unicode white space at both ends; counts code points of valid UTF-8.
std::string trimText(std::string_view s);
// Number of code points, or nullopt when s is not valid UTF-8.
std::optional<size_t> utf8Length(std::string_view s);
// The first `maxChars` code points of s (s must be valid UTF-8).
std::string utf8Prefix(std::string_view s, size_t maxChars);

// Why `name` (a display name or room name, already trimmed) cannot be shown
// to other users as it is, or nullopt when it can: not UTF-8, a control
// character (C0, DEL, C1, line and paragraph separators), a bidi control that
// reorders the text around it (U+061C, U+200E/F, U+202A-202E, U+2066-2069),
// or nothing visible (only white space and default-ignorable characters such
// as zero-width spaces, joiners, variation selectors and Hangul fillers).
std::optional<std::string> nameFault(std::string_view name);

using roomchat::isBlobKey;  // base/ids.h

}  // namespace roomchat::proto
